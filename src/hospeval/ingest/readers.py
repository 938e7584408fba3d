"""Read an input file into a temporary all-text DuckDB table, keeping file row numbers.

Engine-specific by nature (file formats, encodings), so it talks to DuckDB directly. Structural
problems (wrong column count, undecodable bytes) become rows of a rejects table, never a crash.
Result: temp table ``<name>`` with ``__row`` (1-based data row) and one VARCHAR column per header, and
temp table ``<name>_rejects`` (``__row``, ``reason``, ``message``).
"""

from __future__ import annotations

import codecs
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from hospeval.errors import InputFileError

CHUNK = 1 << 22
_SNIFF = 1 << 16


@dataclass(frozen=True)
class RawFile:
    """A file read into DuckDB: the temp table names, headers, the encoding found and the row counts."""

    table: str
    rejects: str
    headers: list[str]
    encoding: str
    rows_read: int


def detect_encoding(path: Path) -> str:
    """Return ``utf-8`` (BOM or not) when the head of the file decodes as UTF-8, else ``gb18030``."""
    head = path.read_bytes()[:_SNIFF] if path.stat().st_size <= _SNIFF else _head(path)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(_SNIFF)


def _transcode(path: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of a GB18030/GBK file; undecodable bytes become U+FFFD (quarantined later)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="hospeval-")
    with os.fdopen(fd, "wb") as out, path.open("rb") as src:
        while chunk := src.read(CHUNK):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
    return Path(tmp)


def read_file(con: duckdb.DuckDBPyConnection, path: Path, name: str, encoding: str | None = None) -> RawFile:
    """Read a CSV / TXT, XLSX or Parquet file into temp tables ``name`` and ``name_rejects``."""
    if not path.exists():
        raise InputFileError("file not found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(con, path, name, encoding)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(con, path, name)
    if suffix == ".parquet":
        return _read_parquet(con, path, name)
    raise InputFileError(f"unsupported file type {suffix!r} (use CSV, XLSX or Parquet)", file=str(path))


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str, encoding: str | None) -> RawFile:
    if path.stat().st_size == 0:
        raise InputFileError("the file is empty", file=str(path))
    enc = (encoding or detect_encoding(path)).lower().replace("_", "-")
    source, temp = path, None
    if enc not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            codecs.lookup(enc)
        except LookupError as exc:
            raise InputFileError(f"unknown encoding {enc!r}", file=str(path)) from exc
        source = temp = _transcode(path, enc)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name}__scan AS SELECT row_number() OVER () AS __k, * "
            f"FROM read_csv(?, all_varchar=true, header=true, store_rejects=true, "
            f"rejects_table='{name}__rej', rejects_scan='{name}__rejscan', sample_size=20480)",
            [str(source)],
        )
    except duckdb.Error as exc:
        raise InputFileError(f"cannot read as CSV: {str(exc).splitlines()[0]}", file=str(path)) from exc
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    headers = [c for c in _columns(con, f"{name}__scan") if c != "__k"]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_rejects AS "
        f"SELECT line - 1 AS __row, lower(replace(first(error_type ORDER BY column_idx), ' ', '_')) AS reason, "
        f"first(error_message ORDER BY column_idx) AS message FROM {name}__rej GROUP BY line"
    )
    con.execute(f"DROP TABLE IF EXISTS {name}__rej; DROP TABLE IF EXISTS {name}__rejscan")
    # Accepted rows come in file order; give each the k-th data row number that was not rejected.
    n_ok = con.execute(f"SELECT count(*) FROM {name}__scan").fetchone()[0]
    n_bad = con.execute(f"SELECT count(*) FROM {name}_rejects").fetchone()[0]
    select = ", ".join(f's."{h}"' for h in headers)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS WITH rowmap AS ("
        f"  SELECT row_number() OVER (ORDER BY r) AS __k, r AS __row FROM ("
        f"    SELECT range + 1 AS r FROM range({n_ok + n_bad}) EXCEPT SELECT __row FROM {name}_rejects))"
        f" SELECT m.__row, {select} FROM {name}__scan s JOIN rowmap m USING (__k)"
    )
    con.execute(f"DROP TABLE {name}__scan")
    return RawFile(name, f"{name}_rejects", headers, "utf-8" if enc.startswith("utf") else enc, n_ok + n_bad)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook file
        raise InputFileError(f"cannot open as an Excel workbook: {exc}", file=str(path)) from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    try:
        headers = [str(h).strip() for h in next(rows) if h is not None and str(h).strip()]
    except StopIteration as exc:
        raise InputFileError("the first sheet is empty", file=str(path)) from exc
    width = len(headers)
    data: dict[str, list] = {"__row": [], **{h: [] for h in headers}}
    rejects: list[tuple[int, str, str]] = []
    n = 0
    created = False

    def flush() -> None:
        nonlocal created
        batch = pa.table(data, schema=pa.schema([("__row", pa.int64())] + [(h, pa.string()) for h in headers]))
        con.register("__xlsx_batch", batch)
        verb = "INSERT INTO" if created else "CREATE OR REPLACE TEMP TABLE"
        con.execute(f"{verb} {name} {'' if created else 'AS'} SELECT * FROM __xlsx_batch")
        con.unregister("__xlsx_batch")
        created = True
        for col in data.values():
            col.clear()

    # Reading cells is inherently per row; all checks happen later in SQL.
    for values in rows:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        n += 1
        if any(c is not None for c in cells[width:]):
            rejects.append((n, "too_many_columns", f"Expected Number of Columns: {width}"))
            continue
        cells += [None] * (width - len(cells))
        data["__row"].append(n)
        for h, c in zip(headers, cells[:width], strict=True):
            data[h].append(c)
        if len(data["__row"]) >= 50_000:
            flush()
    flush()
    con.register("__xlsx_rej", pa.table({"__row": pa.array([r[0] for r in rejects], pa.int64()),
                                         "reason": [r[1] for r in rejects], "message": [r[2] for r in rejects]}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_rejects AS SELECT * FROM __xlsx_rej")
    con.unregister("__xlsx_rej")
    return RawFile(name, f"{name}_rejects", headers, "xlsx", n)


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawFile:
    try:
        cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in cols)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT file_row_number + 1 AS __row, {select} "
                    f"FROM read_parquet(?, file_row_number=true)", [str(path)])
    except duckdb.Error as exc:
        raise InputFileError(f"cannot read as Parquet: {str(exc).splitlines()[0]}", file=str(path)) from exc
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_rejects (__row BIGINT, reason VARCHAR, message VARCHAR)")
    n = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    return RawFile(name, f"{name}_rejects", cols, "parquet", n)
