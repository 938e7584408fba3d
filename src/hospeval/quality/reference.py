"""Reference dictionaries the rules look codes up in (ICD-10, ICD-9-CM-3, the level-4 surgery list ...).

The catalogue maps a dictionary name to a path template relative to the data root, e.g.
``icd10: schemes/{scheme}/icd10.csv``. A dictionary file that is absent is not an error: the rules that need
it report ``not_applicable`` with the reason.

Codes are compared upper-cased; the dictionary side is also trimmed. A recorded code with spaces is not
found (ingest trims codes; the format rules report any that still carry spaces).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hospeval.errors import SchemaError
from hospeval.paths import data_root


def normalise_code(code: str) -> str:
    """Normalise a recorded code for dictionary look-up.

    Examples
    --------
    >>> normalise_code(" i21.000 ")
    'I21.000'
    """
    return code.strip().upper()


@dataclass(frozen=True)
class Dictionary:
    """One loaded dictionary: the distinct normalised codes and the file's digest."""

    name: str
    path: str
    codes: pa.Table = field(repr=False, compare=False)
    digest: str = ""


@dataclass
class ReferenceData:
    """Dictionaries available for one run, and the reasons the others are not."""

    available: dict[str, Dictionary] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def reason_missing(self, names: tuple[str, ...]) -> str | None:
        """Why a rule needing ``names`` cannot run, or ``None`` when all are available."""
        reasons = [self.missing.get(n, f"dictionary {n!r} is not declared in the catalogue")
                   for n in names if n not in self.available]
        return "; ".join(reasons) or None

    def fingerprint(self) -> str:
        """Digest of the dictionaries in use (part of the deterministic run id)."""
        parts = [f"{n}={d.digest}" for n, d in sorted(self.available.items())]
        return ";".join(parts)


def load_dictionary(name: str, path: Path) -> Dictionary:
    """Read the ``code`` column of a dictionary CSV (``code,name[,...]``, UTF-8)."""
    raw = path.read_bytes()
    try:
        table = pacsv.read_csv(pa.BufferReader(raw),
                               convert_options=pacsv.ConvertOptions(column_types={"code": pa.string()}))
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"cannot read dictionary {name!r}: {exc}", file=str(path)) from exc
    if "code" not in table.column_names:
        raise SchemaError(f"dictionary {name!r} has no 'code' column", file=str(path))
    codes = pc.utf8_upper(pc.utf8_trim_whitespace(table.column("code")))
    unique = pc.unique(pc.drop_null(codes))
    return Dictionary(name=name, path=str(path), codes=pa.table({"code": unique}),
                      digest=hashlib.sha256(raw).hexdigest()[:16])


def resolve_dictionaries(templates: tuple[tuple[str, str], ...], *, scheme: str,
                         overrides: dict[str, Path] | None = None,
                         root: Path | None = None) -> ReferenceData:
    """Load every dictionary of the catalogue that exists; note the missing ones with a reason.

    Parameters
    ----------
    templates
        ``(name, path template)`` pairs from the catalogue; ``{scheme}`` is replaced.
    scheme
        Grouping scheme whose dictionaries to use, e.g. ``chs-drg-1.1``.
    overrides
        Name -> file, used instead of the template (tests, or a user's own dictionary).
    root
        Data root (default :func:`hospeval.paths.data_root`).
    """
    root = root or data_root()
    overrides = overrides or {}
    ref = ReferenceData()
    for name, template in templates:
        path = Path(overrides[name]) if name in overrides else root / template.format(scheme=scheme)
        if path.is_file():
            ref.available[name] = load_dictionary(name, path)
        else:
            ref.missing[name] = f"dictionary file {template.format(scheme=scheme)} not found"
    for name, path in overrides.items():
        if name not in ref.available and Path(path).is_file():
            ref.available[name] = load_dictionary(name, Path(path))
    return ref
