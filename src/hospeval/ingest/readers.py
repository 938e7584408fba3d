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


@dataclass
class RawFile:
    """A file made readable by DuckDB.

    ``source`` is a FROM-clause giving ``__k`` (the k-th accepted record) and one VARCHAR column per header.
    CSV files are scanned lazily by the staging query itself (no copy of the raw text is kept); after that
    scan, :meth:`finish` collects the structural rejects and maps ``__k`` to the file's data row number.
    """

    name: str
    source: str
    headers: list[str]
    encoding: str
    rows_read: int = 0
    replaced_bytes: bool = False      # the transcoder met undecodable bytes
    temp_path: Path | None = None
    rejects_table: str | None = None  # DuckDB's rejects table, for CSV
    numbered: bool = True             # ``source`` already has ``__k``

    @property
    def rejects(self) -> str:
        """Temp table (``__row``, ``reason``, ``message``) of records that could not be split into fields."""
        return f"{self.name}_rejects"

    @property
    def rowmap(self) -> str:
        """Temp table (``__k``, ``__row``)."""
        return f"{self.name}_rowmap"

    def finish(self, con: duckdb.DuckDBPyConnection, accepted: int) -> None:
        """After the staging scan: build the rejects and row-number tables, drop temporary files."""
        if self.rejects_table:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self.rejects} AS SELECT line - 1 AS __row, "
                f"lower(replace(first(error_type ORDER BY column_idx), ' ', '_')) AS reason, "
                f"first(error_message ORDER BY column_idx) AS message FROM {self.rejects_table} GROUP BY line")
            con.execute(f"DROP TABLE IF EXISTS {self.rejects_table}; DROP TABLE IF EXISTS {self.rejects_table}_scan")
            n_bad = con.execute(f"SELECT count(*) FROM {self.rejects}").fetchone()[0]
            self.rows_read = accepted + n_bad
            # Accepted records come in file order: the k-th gets the k-th data row number not rejected.
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self.rowmap} AS SELECT row_number() OVER (ORDER BY r) AS __k, "
                f"r AS __row FROM (SELECT range + 1 AS r FROM range({self.rows_read}) "
                f"EXCEPT SELECT __row FROM {self.rejects})")
        self.cleanup()

    def cleanup(self) -> None:
        """Remove the transcoded copy, if any."""
        if self.temp_path is not None:
            self.temp_path.unlink(missing_ok=True)
            self.temp_path = None


def detect_encoding(path: Path) -> str:
    """Return ``utf-8`` (BOM or not) when the head of the file decodes as UTF-8, else ``gb18030``."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _transcode(path: Path, encoding: str) -> tuple[Path, bool]:
    """Write a UTF-8 copy of a GB18030/GBK file; undecodable bytes become U+FFFD (quarantined later).

    Returns the copy and whether any replacement happened.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    replaced = False
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="hospeval-")
    with os.fdopen(fd, "wb") as out, path.open("rb") as src:
        while chunk := src.read(CHUNK):
            text = decoder.decode(chunk)
            replaced = replaced or "\ufffd" in text
            out.write(text.encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
    return Path(tmp), replaced


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
    source, temp, replaced = path, None, False
    if enc not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            codecs.lookup(enc)
        except LookupError as exc:
            raise InputFileError(f"unknown encoding {enc!r}", file=str(path)) from exc
        source, replaced = _transcode(path, enc)
        temp = source
    elif not _utf8_valid(path):
        replaced = True  # DuckDB reads invalid UTF-8 as U+FFFD; the staging query quarantines those rows
    scan = (f"read_csv({_quote(str(source))}, all_varchar=true, header=true, store_rejects=true, "
            f"rejects_table='{name}__rej', rejects_scan='{name}__rej_scan', sample_size=20480)")
    try:
        headers = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    except duckdb.Error as exc:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise InputFileError(f"cannot read as CSV: {str(exc).splitlines()[0]}", file=str(path)) from exc
    return RawFile(name, scan, headers, "utf-8" if enc.startswith("utf") else enc, replaced_bytes=replaced,
                   temp_path=temp, rejects_table=f"{name}__rej", numbered=False)


def _utf8_valid(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as src:
            while chunk := src.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    return _materialised(con, name, headers, "xlsx", n)


def _materialised(con: duckdb.DuckDBPyConnection, name: str, headers: list[str], kind: str, n: int) -> RawFile:
    """A raw table read up front (XLSX, Parquet): its row numbers are known, ``__k`` is the row."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_rowmap AS SELECT __row AS __k, __row FROM {name}")
    return RawFile(name, f"(SELECT __row AS __k, * EXCLUDE (__row) FROM {name})", headers, kind, n)


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
    return _materialised(con, name, cols, "parquet", n)
