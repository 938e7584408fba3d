"""Code lists (``codelists/<name>.csv``: code, name, source) used by ``in_codelist`` in indicator fields.

Examples
--------
>>> sorted(codelist("complications"))[:2]
[3, 5]
"""

from __future__ import annotations

import csv
from functools import cache

from hospeval.errors import SchemaError
from hospeval.paths import data_dir


@cache
def codelist(name: str) -> dict[int, tuple[str, ...]]:
    """Return the codes of list ``name`` grouped by length (codes upper-cased, spaces removed)."""
    path = data_dir("codelists") / f"{name}.csv"
    if not path.exists():
        raise SchemaError(f"unknown code list {name!r}", file=str(path))
    by_length: dict[int, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "code" not in reader.fieldnames:
            raise SchemaError("code list needs a 'code' column", file=str(path), field="code")
        for row_no, row in enumerate(reader, start=1):
            code = (row["code"] or "").strip().upper().replace(" ", "")
            if not code:
                raise SchemaError("empty code", file=str(path), row=row_no, field="code")
            by_length.setdefault(len(code), set()).add(code)
    return {k: tuple(sorted(v)) for k, v in by_length.items()}
