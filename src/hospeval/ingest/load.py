"""``ingest_files``: load files into the canonical tables, atomically, with quarantine and reconciliation.

For each file: read (readers) -> pick a header profile -> stage typed rows with their errors (transform)
-> pseudonymise -> split good rows from quarantined ones; the typed rows are parked in a plain table of
the warehouse file, so memory holds one file's raw text at a time. All files of one call are then written in a single
transaction: either every file's good rows, quarantine rows and load log land, or nothing does.
Reloading a file replaces its stays (keyed by the derived stay id) instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from hospeval.config import settings
from hospeval.errors import HospevalError, InputFileError
from hospeval.ingest.profiles import Profile, detect_profile, load_profile, normalise_header
from hospeval.ingest.pseudonym import hmac_sql
from hospeval.ingest.readers import RawFile, read_file
from hospeval.ingest.transform import build_staging_sql, lit, q, slot_fields
from hospeval.model import table_spec
from hospeval.warehouse import Warehouse

QUARANTINE_DDL = (
    "CREATE TABLE IF NOT EXISTS ingest_quarantine (load_id VARCHAR, file VARCHAR, source_row BIGINT, "
    "field VARCHAR, reason VARCHAR, message VARCHAR, record VARCHAR)"
)
LOADS_DDL = (
    "CREATE TABLE IF NOT EXISTS ingest_loads (load_id VARCHAR, file VARCHAR, table_name VARCHAR, "
    "profile VARCHAR, encoding VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
    "ignored_columns VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR)"
)


@dataclass
class FileReport:
    """What happened to one file."""

    file: str
    table: str
    profile: str
    encoding: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list, repr=False)

    @property
    def reconciles(self) -> bool:
        """``rows read = rows loaded + rows quarantined``."""
        return self.rows_read == self.rows_loaded + self.rows_quarantined


@dataclass
class IngestReport:
    """What happened to every file of one call."""

    load_id: str
    files: list[FileReport]


Progress = Callable[[str], None]
INGEST_MEMORY_LIMIT = "2GB"


def _load_id(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        st = p.stat()
        h.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    h.update(str(time.time_ns()).encode())
    return h.hexdigest()[:16]


def ingest_files(warehouse: Warehouse, paths: list[str | Path], *, profile: str | None = None,
                 encoding: str | None = None, secret: str | None = None,
                 progress: Progress | None = None, source_names: list[str] | None = None) -> IngestReport:
    """Load files into the warehouse. Raises :class:`InputFileError` (and loads nothing) when a file
    cannot be read at all; row-level problems are quarantined instead.

    Examples
    --------
    >>> from hospeval.warehouse import Warehouse
    >>> wh = Warehouse(":memory:")
    >>> ingest_files(wh, ["no-such-file.csv"])
    Traceback (most recent call last):
    ...
    hospeval.errors.InputFileError: file not found (file no-such-file.csv)
    """
    paths = [Path(p) for p in paths]
    if getattr(warehouse, "engine", "duckdb") == "spark":
        return _ingest_on_spark(warehouse, paths, profile, secret, progress, source_names)
    if source_names is not None and len(source_names) != len(paths):
        raise ValueError("source_names must name every path")
    names = source_names or [p.name for p in paths]
    for p in paths:
        if not p.exists():
            raise InputFileError("file not found", file=str(p))
    secret = secret if secret is not None else settings().secret
    say = progress or (lambda _msg: None)
    con = warehouse.con
    warehouse.ensure_schema()
    con.execute(QUARANTINE_DDL)
    con.execute(LOADS_DDL)
    load_id = _load_id(paths)
    # Ingest keeps well under 4 GB: DuckDB spills to disk past this limit instead of growing.
    previous_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    try:
        return _ingest(warehouse, paths, names, profile, encoding, secret, say, load_id)
    finally:
        con.execute(f"SET memory_limit = '{previous_limit}'")


def _ingest_on_spark(warehouse, paths: list[Path], profile: str | None, secret: str | None,
                     progress: Progress | None, source_names: list[str] | None) -> IngestReport:
    """On Spark only Parquet is read (through :func:`hospeval.ingest.parquet.ingest_parquet`): CSV / XLSX
    sniffing, transcoding and structural rejects are DuckDB's.
    """
    from hospeval.ingest.parquet import ingest_parquet

    for p in paths:
        if p.suffix.lower() != ".parquet":
            raise InputFileError(
                "the Spark engine reads only Parquet files: convert this file to Parquet first (for a CSV, "
                "with DuckDB: COPY (FROM read_csv('FILE', all_varchar=true)) TO 'FILE.parquet'), or load "
                "it with --engine duckdb", file=str(p))
    return ingest_parquet(warehouse, paths, profile=profile, secret=secret, progress=progress,
                          source_names=source_names)


def _ingest(warehouse: Warehouse, paths: list[Path], names: list[str], profile: str | None,
            encoding: str | None, secret: str, say: Progress, load_id: str) -> IngestReport:
    con = warehouse.con
    _drop_parked(con, None)  # a run killed between parking and writing left its parked rows behind
    parked: list[tuple[FileReport, str, Profile]] = []
    try:
        for i, path in enumerate(paths):
            say(f"reading {path.name}")
            started = time.time()
            raw = read_file(con, path, f"__in{i}", encoding)
            try:
                prof = load_profile(profile) if profile else detect_profile(raw.headers, str(path))
            except InputFileError:
                raw.cleanup()
                raise
            say(f"checking {path.name} (profile {prof.name}, {raw.encoding})")
            report = _stage(con, raw, prof, path, names[i], secret, f"{PARKED_PREFIX}{load_id}_{i}")
            parked.append((report, raw, prof))
            say(f"staged {path.name}: {report.rows_loaded:,} good, {report.rows_quarantined:,} quarantined "
                f"({time.time() - started:.1f}s)")
        say("writing to the warehouse")
        with warehouse.transaction():
            _remove_replaced_stays(con, [raw.name for _r, raw, prof in parked if prof.target == "stays"])
            for report, raw, prof in parked:
                _commit(con, report, raw.name, prof, load_id)
    finally:
        for _report, raw, _prof in parked:
            _drop_staging(con, raw)
        con.execute("DROP TABLE IF EXISTS __superseded")  # the call's, see _remove_replaced_stays
        _drop_parked(con, load_id)
    return IngestReport(load_id, [r for r, *_ in parked])


PARKED_PREFIX = "__ingest_parked_"


def _drop_staging(con, raw: RawFile) -> None:
    name = raw.name
    for v in (f"{name}_keep", f"{name}_good", f"{name}_rows"):
        con.execute(f"DROP VIEW IF EXISTS {v}")
    for t in (name, raw.rejects, raw.rowmap, f"{name}_dup", f"{name}_bad"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _drop_parked(con, load_id: str | None) -> None:
    """Drop the parked tables of one load (or of every load: leftovers of a killed run)."""
    pattern = PARKED_PREFIX + (f"{load_id}_" if load_id else "")
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND "
                                "starts_with(table_name, ?)", [pattern]).fetchall():
        con.execute(f'DROP TABLE IF EXISTS "{table}"')


def _identifier_headers(prof: Profile, headers: list[str]) -> dict[str, list[str]]:
    norm = {normalise_header(h): h for h in headers}
    return {kind: [norm[h] for h in hs if h in norm] for kind, hs in prof.identifiers.items()}


def _stage(con, raw: RawFile, prof: Profile, path: Path, source_name: str, secret: str,
           typed: str) -> FileReport:
    """Stage one file: one wide scan into the table ``typed``, then narrow tables and views for the rest.

    ``typed`` is a plain table of the warehouse file, not a temporary one: temporary tables live in memory
    until the connection ends, and a call loading many files (a province's year) must hold only one file's
    raw text at a time. The raw copy is dropped as soon as ``typed`` is built; what stays in memory per
    file is narrow (row map, duplicate keys, quarantined rows). Nothing reaches the canonical tables
    before the one write transaction, and :func:`_drop_parked` removes the typed tables either way.
    """
    name = raw.name
    id_headers = _identifier_headers(prof, raw.headers)
    derived = None
    if prof.target == "stays":
        id_headers["stay_id"] = [h for h in raw.headers if normalise_header(h) == "STAYID"]
        id_headers.setdefault("id_card_no", [])
        if not id_headers.get("medical_record_no") and not id_headers["stay_id"]:
            raw.cleanup()
            raise InputFileError("the file has no 病案号 / medical record number column, so stays cannot be "
                                 "identified", file=str(path))
        derived = _stay_keys(secret)
        keys = ["stay_id"]
    else:
        keys = list(table_spec(prof.target).primary_key)
    try:
        con.execute(build_staging_sql(raw.source, typed, prof, raw.headers, id_headers, temp=False,
                                      check_encoding=raw.replaced_bytes, numbered=raw.numbered, derived=derived))
    except duckdb.Error as exc:
        raw.cleanup()
        raise InputFileError(f"cannot read the file: {str(exc).splitlines()[0]}", file=str(path)) from exc
    raw.finish(con, con.execute(f"SELECT count(*) FROM {typed}").fetchone()[0])
    con.execute(f"DROP TABLE IF EXISTS {name}")  # the raw text (XLSX, Parquet); typed has all it is needed for
    n_rejects = con.execute(f"SELECT count(*) FROM {raw.rejects}").fetchone()[0]
    if not n_rejects:
        con.execute(f"DROP TABLE IF EXISTS {raw.rowmap}")
    rows = (f"SELECT t.*, m.__row FROM {typed} t JOIN {raw.rowmap} m USING (__k)" if n_rejects
            else f"SELECT *, __k AS __row FROM {typed}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_rows AS {rows}")
    # Within one file, the first row of a key wins; the others are quarantined as duplicates.
    key_sql = ", ".join(q(k) for k in keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_dup AS SELECT __k FROM (SELECT __k, row_number() OVER "
        f"(PARTITION BY {key_sql} ORDER BY __k) AS n FROM {typed} WHERE __errors IS NULL) WHERE n > 1")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_good AS SELECT * FROM {name}_rows "
                f"WHERE __errors IS NULL AND __k NOT IN (SELECT __k FROM {name}_dup)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_bad AS "
        f"SELECT __row AS source_row, e.field, e.reason, e.message, __record AS record FROM ("
        f"  SELECT __row, unnest(__errors) AS e, __record FROM {name}_rows WHERE __errors IS NOT NULL) "
        f"UNION ALL SELECT __row, '*', reason, message, NULL FROM {raw.rejects} "
        f"UNION ALL SELECT __row, {lit(keys[0])}, 'duplicate_key', "
        f"  'the same ' || {lit(keys[0])} || ' appears earlier in the file', __record FROM {name}_rows "
        f"  WHERE __k IN (SELECT __k FROM {name}_dup)"
    )
    loaded = con.execute(f"SELECT count(*) FROM {name}_good").fetchone()[0]
    quarantined = con.execute(f"SELECT count(DISTINCT source_row) FROM {name}_bad").fetchone()[0]
    reasons = dict(con.execute(f"SELECT reason, count(DISTINCT source_row) FROM {name}_bad GROUP BY 1").fetchall())
    known = prof.known_headers()
    ignored = [h for h in raw.headers if normalise_header(h) not in known]
    report = FileReport(source_name, prof.target, prof.name, raw.encoding, raw.rows_read, loaded, quarantined,
                        reasons, ignored, raw.headers)
    if not report.reconciles:
        raise HospevalError(f"row counts do not reconcile: read {raw.rows_read}, loaded {loaded}, "
                            f"quarantined {quarantined}", file=source_name)
    con.execute(f"ALTER TABLE {name}_bad ADD COLUMN file VARCHAR DEFAULT {lit(source_name)}")
    return report


def _stay_keys(secret: str) -> dict[str, str]:
    """``stay_id`` and ``patient_id`` as keyed hashes, so the clear identifiers never reach a table."""
    stay_key = ("coalesce(__id_stay_id, coalesce(__id_medical_record_no, '') || '|' || "
                "coalesce(CAST(admission_count AS VARCHAR), '') || '|' || "
                "coalesce(strftime(admit_time, '%Y-%m-%d %H:%M'), ''))")
    stay_hash = hmac_sql(secret, f"'stay|' || coalesce(hospital_id, '') || '|' || {stay_key}")
    patient_hash = hmac_sql(
        secret, "CASE WHEN __id_id_card_no IS NOT NULL THEN 'id|' || upper(__id_id_card_no) "
                "ELSE 'mrn|' || coalesce(hospital_id, '') || '|' || "
                "coalesce(__id_medical_record_no, __id_stay_id, '') END")
    return {"stay_id": f"hospital_id || '-' || left({stay_hash}, 16)",
            "patient_id": f"left({patient_hash}, 24)"}


def _remove_replaced_stays(con, names: list[str]) -> None:
    """Delete the stored stays (and their diagnoses and procedures) that this call's files reload, in one
    pass per table, and note which rows a later file of the call supersedes (the later file wins).

    One pass instead of one per file: deleting per file scans the stays already written by the earlier
    files of the call, which made a call's cost grow with the square of its number of files.
    """
    con.execute("DROP TABLE IF EXISTS __superseded")
    if not names:
        return
    ids = " UNION ALL ".join(f"SELECT stay_id, {i} AS __file FROM {n}_good" for i, n in enumerate(names))
    if len(names) > 1:
        con.execute(f"CREATE TEMP TABLE __superseded AS SELECT stay_id, max(__file) AS __last FROM ({ids}) "
                    f"GROUP BY stay_id HAVING count(*) > 1")
    for table in ("stay_diagnoses", "stay_procedures", "stays"):
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:  # a first load has nothing to replace
            con.execute(f"DELETE FROM {table} WHERE stay_id IN (SELECT stay_id FROM ({ids}))")
    for i, n in enumerate(names):
        keep = (f"SELECT * FROM {n}_good WHERE stay_id NOT IN (SELECT stay_id FROM __superseded "
                f"WHERE __last > {i})" if len(names) > 1 else f"SELECT * FROM {n}_good")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {n}_keep AS {keep}")


def _commit(con, report: FileReport, name: str, prof: Profile, load_id: str) -> None:
    spec = table_spec(prof.target)
    fname = lit(Path(report.file).name)
    if prof.target == "stays":
        good = f"{name}_keep"  # see _remove_replaced_stays
        cols = []
        for c in spec.columns:
            if c.name == "source_file":
                cols.append(fname)
            elif c.name == "source_row":
                cols.append("__row")
            elif c.name == "load_id":
                cols.append(lit(load_id))
            else:
                cols.append(q(c.name))
        con.execute(f"INSERT INTO stays SELECT {', '.join(cols)} FROM {good}")
        _insert_long(con, good, prof, report, "diagnoses")
        _insert_long(con, good, prof, report, "procedures")
    else:
        keys = " AND ".join(f"t.{q(k)} = g.{q(k)}" for k in spec.primary_key)
        con.execute(f"DELETE FROM {prof.target} t WHERE EXISTS (SELECT 1 FROM {name}_good g WHERE {keys})")
        con.execute(f"INSERT INTO {prof.target} SELECT {', '.join(q(c) for c in spec.names)} FROM {name}_good")
    con.execute(f"INSERT INTO ingest_quarantine SELECT {lit(load_id)}, file, source_row, field, reason, message, "
                f"record FROM {name}_bad")
    con.execute("INSERT INTO ingest_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), 'loaded')",
                [load_id, Path(report.file).name, report.table, report.profile, report.encoding,
                 report.rows_read, report.rows_loaded, report.rows_quarantined, ", ".join(report.ignored_columns)])


def _insert_long(con, good: str, prof: Profile, report: FileReport, kind: str) -> None:
    table = {"diagnoses": "stay_diagnoses", "procedures": "stay_procedures"}[kind]
    spec = table_spec(table)
    headers = report.headers
    parts = []
    for seq, fields in slot_fields(prof, headers, kind).items():
        by_col = {f.spec.name: f.out for f in fields}
        cols = ["stay_id", str(seq)] + [q(by_col[c]) if c in by_col else "NULL" for c in spec.names[2:]]
        parts.append(f"SELECT {', '.join(cols)} FROM {good} WHERE {q(by_col['code'])} IS NOT NULL")
    if kind in prof.lists:
        # A pipe-separated list, principal first.
        nulls = ", ".join("NULL" for _ in spec.names[3:])
        parts.append(
            f"SELECT stay_id, CAST(i - 1 AS SMALLINT), trim(codes[i]), {nulls} FROM ("
            f" SELECT stay_id, string_split(__list_{kind}, '|') AS codes FROM {good}"
            f" WHERE __list_{kind} IS NOT NULL), range(1, len(codes) + 1) r(i) WHERE trim(codes[i]) <> ''")
    if parts:
        # in key order: a range of stays is then a few row groups (batched stages read ranges; see
        # hospeval.batches); the sort is per file, so it grows with the file, not the warehouse
        con.execute(f"INSERT INTO {table} SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY stay_id, 2")
