"""``ingest_parquet``: load Parquet files on any engine (DuckDB or Spark) through Ibis expressions.

The same steps as the CSV ingest (:mod:`hospeval.ingest.load`), and the same results for the same rows:
header profile -> typed values and every error of a row (required, type, code set) -> keyed pseudonyms
(HMAC-SHA256 as an expression) -> first row of a key wins, later ones quarantined as duplicates ->
``rows read = loaded + quarantined`` -> wide diagnosis / procedure slots to long rows -> reloaded stays
replace the old ones by key. Only reading the file and parsing dates are engine-specific
(:mod:`hospeval.ingest.store`); everything is written through the warehouse verbs.

On DuckDB every write happens in one transaction. On Spark each table is replaced atomically, but not
all tables together (Spark has no multi-table transaction): per target table, the diagnoses, procedures
and stays are written in that order, then the quarantine and the load log; a failure in between leaves
some tables with the new rows, and loading the same files again repairs that (reloads replace by key).

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> ingest_parquet(Warehouse(":memory:"), ["front-page.csv"])
Traceback (most recent call last):
...
hospeval.errors.InputFileError: file not found (file front-page.csv)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from hospeval.config import settings
from hospeval.errors import HospevalError, InputFileError
from hospeval.ingest import store
from hospeval.ingest.load import FileReport, IngestReport, Progress, _identifier_headers, _load_id
from hospeval.ingest.profiles import Profile, detect_profile, load_profile, normalise_header
from hospeval.ingest.pseudonym import hmac_expr
from hospeval.ingest.transform import (
    _FALSE,
    _INT_LIMITS,
    _TRUE,
    DATE_FORMATS,
    TIME_FORMATS,
    Field,
    _allowed_codes,
    slot_fields,
    stay_fields,
)
from hospeval.model import ColumnSpec, table_spec

QUARANTINE_SCHEMA = pa.schema([("load_id", pa.string()), ("file", pa.string()), ("source_row", pa.int64()),
                               ("field", pa.string()), ("reason", pa.string()), ("message", pa.string()),
                               ("record", pa.string())])
LOADS_SCHEMA = pa.schema([("load_id", pa.string()), ("file", pa.string()), ("table_name", pa.string()),
                          ("profile", pa.string()), ("encoding", pa.string()), ("rows_read", pa.int64()),
                          ("rows_loaded", pa.int64()), ("rows_quarantined", pa.int64()),
                          ("ignored_columns", pa.string()), ("started_at", pa.timestamp("us")),
                          ("finished_at", pa.timestamp("us")), ("status", pa.string())])
ERROR = dt.Struct({"field": dt.string, "reason": dt.string, "message": dt.string})
LONG = {"diagnoses": "stay_diagnoses", "procedures": "stay_procedures"}


@dataclass
class _Staged:
    """One file after checking: its report, profile, typed rows and quarantine rows (work tables)."""

    index: int
    report: FileReport
    profile: Profile
    typed: ibis.Table
    dup: ibis.Table   # __k of the rows that repeat an earlier row's key
    bad: ibis.Table
    work: list[str] = field(default_factory=list)


def ingest_parquet(warehouse, paths: list[str | Path], *, profile: str | None = None,
                   secret: str | None = None, progress: Progress | None = None,
                   source_names: list[str] | None = None) -> IngestReport:
    """Load Parquet files into ``warehouse`` (a DuckDB :class:`~hospeval.warehouse.Warehouse` or a
    :class:`~hospeval.spark.SparkWarehouse`). Raises :class:`InputFileError` (and loads nothing) when a
    file cannot be read; row-level problems are quarantined with the file, row and field.
    """
    paths = [Path(p) for p in paths]
    if source_names is not None and len(source_names) != len(paths):
        raise ValueError("source_names must name every path")
    names = source_names or [p.name for p in paths]
    for p in paths:
        if not p.exists():
            raise InputFileError("file not found", file=str(p))
        if p.suffix.lower() != ".parquet":
            raise InputFileError(f"not a Parquet file ({p.suffix or 'no suffix'})", file=str(p))
    secret = secret if secret is not None else settings().secret
    say = progress or (lambda _msg: None)
    warehouse.ensure_schema()
    warehouse.ensure_table("ingest_quarantine", QUARANTINE_SCHEMA)
    warehouse.ensure_table("ingest_loads", LOADS_SCHEMA)
    store.prepare(warehouse)
    load_id = _load_id(paths)
    started = datetime.now(UTC).replace(tzinfo=None)
    staged: list[_Staged] = []
    work: list[str] = []
    try:
        for i, path in enumerate(paths):
            say(f"checking {path.name}")
            staged.append(_stage(warehouse, i, path, names[i], profile, secret, load_id))
            work += staged[-1].work
            r = staged[-1].report
            say(f"staged {path.name}: {r.rows_loaded:,} good, {r.rows_quarantined:,} quarantined")
        say("writing to the warehouse")
        with warehouse.transaction():
            work += _commit(warehouse, staged, load_id, started)
    finally:
        for name in reversed(work):
            warehouse.drop(name)
        for i in range(len(paths)):
            store.drop_view(warehouse, f"__pq{i}")
    return IngestReport(load_id, [s.report for s in staged])


# -- checking one file -------------------------------------------------------------------------------

def _stage(wh, i: int, path: Path, source_name: str, profile: str | None, secret: str,
           load_id: str) -> _Staged:
    view = f"__pq{i}"
    src, headers = store.read_parquet(wh, path, view)
    prof = load_profile(profile) if profile else detect_profile(headers, str(path))
    id_headers = _identifier_headers(prof, headers)
    stays = prof.target == "stays"
    if stays:
        id_headers["stay_id"] = [h for h in headers if normalise_header(h) == "STAYID"]
        id_headers.setdefault("id_card_no", [])
        if not id_headers.get("medical_record_no") and not id_headers["stay_id"]:
            raise InputFileError("the file has no 病案号 / medical record number column, so stays cannot be "
                                 "identified", file=str(path))
        keys = ["stay_id"]
    else:
        keys = list(table_spec(prof.target).primary_key)
    typed = wh.scratch(f"{view}_typed", staging_expr(wh.engine, src, prof, headers, id_headers,
                                                     secret if stays else None))
    # Within one file, the first row of a key wins; the others are quarantined as duplicates. The window
    # runs over a narrow projection of the rows without errors.
    ok = typed.filter(typed["__errors"].isnull()).select("__k", *keys)
    n = ibis.row_number().over(group_by=[ok[k] for k in keys], order_by=ok["__k"])
    dup = wh.scratch(f"{view}_dup", ok.filter(n > 0).select("__k"))

    # Every error of a row is one quarantine row; a repeated key quarantines the later rows.
    errs = (typed.filter(typed["__errors"].notnull()).select("__k", "__errors", "__record")
            .unnest("__errors"))
    errs = errs.select(source_row=errs["__k"], field=errs["__errors"]["field"],
                       reason=errs["__errors"]["reason"], message=errs["__errors"]["message"],
                       record=errs["__record"])
    repeated = typed.semi_join(dup, "__k")
    dups = repeated.select(
        source_row=repeated["__k"], field=ibis.literal(keys[0]), reason=ibis.literal("duplicate_key"),
        message=ibis.literal(f"the same {keys[0]} appears earlier in the file"), record=repeated["__record"])
    both = errs.union(dups, distinct=False)
    bad = wh.scratch(f"{view}_bad", both.select(
        load_id=ibis.literal(load_id), file=ibis.literal(source_name), source_row=both["source_row"].cast("int64"),
        field="field", reason="reason", message="message", record=both["record"].cast("string")))

    good = _good_rows(typed, dup)
    sizes = typed.aggregate(what=ibis.literal("read"), n=typed.count()).union(
        good.aggregate(what=ibis.literal("loaded"), n=good.count()), distinct=False)
    counts = {r["what"]: r["n"] for r in wh.to_arrow(sizes).to_pylist()}
    # Rows quarantined per reason, and in all (reason NULL), in one query.
    tally = bad.group_by("reason").aggregate(n=bad["source_row"].nunique()).union(
        bad.aggregate(reason=ibis.null("string"), n=bad["source_row"].nunique()), distinct=False)
    tallied = wh.to_arrow(tally).to_pylist()
    by_reason = [r for r in tallied if r["reason"] is not None]
    quarantined = sum(int(r["n"]) for r in tallied if r["reason"] is None)
    known = prof.known_headers()
    report = FileReport(source_name, prof.target, prof.name, "parquet", int(counts["read"]),
                        int(counts["loaded"]), quarantined, {r["reason"]: int(r["n"]) for r in by_reason},
                        [h for h in headers if normalise_header(h) not in known], headers)
    if not report.reconciles:
        raise HospevalError(f"row counts do not reconcile: read {report.rows_read}, loaded {report.rows_loaded}, "
                            f"quarantined {quarantined}", file=source_name)
    return _Staged(i, report, prof, typed, dup, bad, [f"{view}_typed", f"{view}_dup", f"{view}_bad"])


def _dtype(spec: ColumnSpec) -> dt.DataType:
    return dt.DataType.from_pyarrow(spec.arrow_type)


def raw_expr(t: ibis.Table, headers: tuple[str, ...], values: dict[str, str] | None) -> ibis.Value:
    """Text of a field: first non-empty of its headers, trimmed, with the profile's value map applied."""
    parts = [store.trim(t[h]).nullif("") for h in headers]
    expr = parts[0] if len(parts) == 1 else ibis.coalesce(*parts)
    if values:
        expr = expr.substitute(values, else_=expr)
    return expr


def typed_expr(engine: str, raw: ibis.Value, spec: ColumnSpec) -> ibis.Value:
    """Typed value of a raw text expression (NULL when it does not parse), as the CSV ingest types it."""
    t = spec.type
    if t == "string":
        return raw
    if t in _INT_LIMITS:
        num = raw.try_cast("float64")
        whole = (num.abs() <= _INT_LIMITS[t]) & (num % 1 == 0)
        return ibis.ifelse(whole, num.cast(_dtype(spec)), ibis.null(_dtype(spec)))
    if t == "float64":
        return raw.replace(",", "").try_cast("float64")
    if t == "decimal":
        return raw.replace(",", "").try_cast(_dtype(spec))
    if t == "boolean":
        up = raw.upper()
        return ibis.cases((up.isin(list(_TRUE)), True), (up.isin(list(_FALSE)), False), else_=ibis.null("boolean"))
    if t == "date":
        return store.parse_timestamp(engine, raw.left(10), DATE_FORMATS).cast("date")
    if t == "timestamp":
        return store.parse_timestamp(engine, raw, TIME_FORMATS).cast("timestamp")
    raise ValueError(t)


def error_exprs(f: Field, raw: ibis.Value, typed: ibis.Value) -> list[tuple[ibis.Value, ibis.Value]]:
    """``(condition, error struct)`` for each way the field can be wrong (the CSV ingest's checks)."""
    label = f"{f.headers[0]} ({f.spec.label_zh or f.spec.name})" if f.headers else f.spec.name
    where = f.headers[0] if f.headers else f.spec.name

    def err(cond: ibis.Value, reason: str, message: ibis.Value) -> tuple[ibis.Value, ibis.Value]:
        return cond, ibis.struct({"field": ibis.literal(where), "reason": ibis.literal(reason),
                                  "message": message})

    out = []
    if f.spec.required:
        out.append(err(raw.isnull(), "missing_required", ibis.literal(f"{label} is required but empty")))
    if f.spec.type != "string":
        kind = {"date": "bad_date", "timestamp": "bad_date", "boolean": "bad_value"}.get(f.spec.type, "bad_number")
        out.append(err(raw.notnull() & typed.isnull(), kind,
                       ibis.literal(label + ": ") + raw + ibis.literal(f" is not a valid {f.spec.type}")))
    allowed = _allowed_codes(f.spec)
    if allowed:
        text = typed if f.spec.type == "string" else typed.cast("string")
        out.append(err(typed.notnull() & ~text.isin(allowed), "unknown_code",
                       ibis.literal(label + ": code ") + text
                       + ibis.literal(" is not in code set " + str(f.spec.codes))))
    return out


def staging_expr(engine: str, t: ibis.Table, profile: Profile, headers: list[str],
                 id_headers: dict[str, list[str]], secret: str | None) -> ibis.Table:
    """Typed canonical rows of ``t`` (``__k`` and the file's text columns), with ``__errors`` (every
    error of a bad row), ``__record`` (a bad row's mapped fields as JSON) and, when ``secret`` is given,
    ``stay_id`` / ``patient_id``. Clear identifiers are read only inside the expression.
    """
    fields = stay_fields(profile, headers)
    for kind in LONG:
        for slot in slot_fields(profile, headers, kind).values():
            fields.extend(slot)
    raws = {f"__r{i}": raw_expr(t, f.headers, profile.values.get(f.spec.name)) for i, f in enumerate(fields)
            if f.headers}
    ids = {f"__id_{kind}": raw_expr(t, tuple(hs), None) if hs else ibis.null("string")
           for kind, hs in id_headers.items()}
    lists = {}
    for kind, header in profile.lists.items():
        real = next((h for h in headers if normalise_header(h) == header), None)
        lists[f"__list_{kind}"] = raw_expr(t, (real,), None) if real else ibis.null("string")
    inner = t.select(__k=t["__k"].cast("int64"), **raws, **ids, **lists)

    # Typed values in their own projection, so that the checks below read each one, not recompute it.
    values: dict[str, ibis.Value] = {}
    for i, f in enumerate(fields):
        values[f.out] = (typed_expr(engine, inner[f"__r{i}"], f.spec) if f.headers
                         else ibis.null(_dtype(f.spec)))
    typed = inner.mutate(**values)

    out: dict[str, ibis.Value] = {"__k": typed["__k"], **{f.out: typed[f.out] for f in fields}}
    checks: list[tuple[ibis.Value, ibis.Value]] = []
    record: list[tuple[str, ibis.Value]] = []
    for i, f in enumerate(fields):
        if not f.headers:
            if f.spec.required:
                checks.append((ibis.literal(True), ibis.struct({
                    "field": ibis.literal(f.spec.name), "reason": ibis.literal("missing_column"),
                    "message": ibis.literal(f"the file has no column for {f.spec.name} ({f.spec.label_zh})")})))
            continue
        raw = typed[f"__r{i}"]
        checks.extend(error_exprs(f, raw, typed[f.out]))
        record.append((f.headers[0], raw))
    if secret is not None:
        out.update(_stay_keys(secret, typed, out))
    out.update({name: typed[name] for name in lists})
    if checks:
        bad = ibis.or_(*[c for c, _ in checks])
        items = ibis.array([ibis.ifelse(c, e, ibis.null(ERROR)) for c, e in checks])
        out["__errors"] = ibis.ifelse(bad, items.filter(lambda x: x.notnull()), ibis.null(dt.Array(ERROR)))
        out["__record"] = (ibis.ifelse(bad, store.to_json(ibis.struct(dict(record))), ibis.null("string"))
                           if record else ibis.null("string"))
    else:
        out["__errors"] = ibis.null(dt.Array(ERROR))
        out["__record"] = ibis.null("string")
    return typed.select(**out)


def _stay_keys(secret: str, inner: ibis.Table, typed: dict[str, ibis.Value]) -> dict[str, ibis.Value]:
    """``stay_id`` and ``patient_id`` from the same messages as the CSV ingest (``load._stay_keys``)."""
    hospital = typed["hospital_id"]
    mrn, card, given = inner["__id_medical_record_no"], inner["__id_id_card_no"], inner["__id_stay_id"]
    blank = ibis.literal("")
    stay_key = ibis.coalesce(given, ibis.coalesce(mrn, blank) + "|"
                             + ibis.coalesce(typed["admission_count"].cast("string"), blank) + "|"
                             + ibis.coalesce(typed["admit_time"].strftime("%Y-%m-%d %H:%M"), blank))
    stay_hash = hmac_expr(secret, "stay|" + ibis.coalesce(hospital, blank) + "|" + stay_key)
    patient = ibis.ifelse(card.notnull(), "id|" + card.upper(),
                          "mrn|" + ibis.coalesce(hospital, blank) + "|" + ibis.coalesce(mrn, given, blank))
    return {"stay_id": hospital + "-" + stay_hash.left(16), "patient_id": hmac_expr(secret, patient).left(24)}


# -- writing -----------------------------------------------------------------------------------------

def _conform(expr: ibis.Table, table: str) -> ibis.Table:
    """``expr`` with exactly the columns (order, types) of canonical ``table``."""
    return expr.select(*[expr[c.name].cast(_dtype(c)).name(c.name) if c.name in expr.columns
                         else ibis.null(_dtype(c)).name(c.name) for c in table_spec(table).columns])


def _good_rows(typed: ibis.Table, dup: ibis.Table) -> ibis.Table:
    return typed.filter(typed["__errors"].isnull()).anti_join(dup, "__k")


def _good(s: _Staged) -> ibis.Table:
    return _good_rows(s.typed, s.dup).mutate(__file=ibis.literal(s.index))


def _latest(rows: ibis.Table, keys: list[str]) -> ibis.Table:
    """Across the files of one call, the last file's row of a key wins (as reloading would)."""
    n = ibis.row_number().over(group_by=[rows[k] for k in keys], order_by=ibis.desc(rows["__file"]))
    return rows.filter(n == 0)


def _long_rows(s: _Staged, good: ibis.Table, kind: str) -> list[ibis.Table]:
    table = LONG[kind]
    spec = table_spec(table)
    parts = []
    for seq, fields in slot_fields(s.profile, s.report.headers, kind).items():
        by_col = {f.spec.name: f.out for f in fields}
        rows = good.filter(good[by_col["code"]].notnull())
        parts.append(rows.select(stay_id="stay_id", __file="__file", seq=ibis.literal(seq, "int16"),
                                 **{c: rows[by_col[c]] for c in spec.names[2:] if c in by_col}))
    if kind in s.profile.lists:
        # A pipe-separated list, principal first; an empty item keeps its place in the numbering.
        listed = good.filter(good[f"__list_{kind}"].notnull())
        items = listed.select("stay_id", "__file", __item=listed[f"__list_{kind}"].re_split(r"\|")).unnest(
            "__item", offset="__seq")
        code = store.trim(items["__item"])
        items = items.filter(code != "")
        parts.append(items.select("stay_id", "__file", seq=items["__seq"].cast("int16"),
                                  code=store.trim(items["__item"])))
    return [p.select(*[p[c] if c in p.columns else ibis.null(_dtype(spec.column(c))).name(c)
                       for c in ["stay_id", "__file", *spec.names[1:]]]) for p in parts]


def _union(tables: list[ibis.Table]) -> ibis.Table:
    return tables[0].union(*tables[1:], distinct=False) if len(tables) > 1 else tables[0]


def _replace_by_key(wh, table: str, new: ibis.Table, keys: ibis.Table, on: list[str],
                    order: list[str] | None = None) -> None:
    """Table ``table`` without the rows whose ``on`` columns match ``keys``, plus ``new`` (sorted by ``order``)."""
    old = wh.table(table)
    kept = old.anti_join(keys, [old[c] == keys[c] for c in on])
    rows = _conform(kept, table).union(_conform(new, table), distinct=False)
    wh.replace(table, rows.order_by(order) if order else rows)


def _commit(wh, staged: list[_Staged], load_id: str, started: datetime) -> list[str]:
    work = []
    for target in dict.fromkeys(s.profile.target for s in staged):
        files = [s for s in staged if s.profile.target == target]
        spec = table_spec(target)
        rows = []
        for s in files:
            good = _good(s)
            lineage = {"source_file": ibis.literal(Path(s.report.file).name), "source_row": good["__k"],
                       "load_id": ibis.literal(load_id)} if target == "stays" else {}
            rows.append(good.select(*[good[c] for c in spec.names if c in good.columns and c not in lineage],
                                    "__file", **lineage))
        keys = ["stay_id"] if target == "stays" else list(spec.primary_key)
        if len(rows) == 1:
            new = rows[0]
        else:
            new = wh.scratch(f"__pq_new_{target}", _latest(_union(rows), keys))
            work.append(f"__pq_new_{target}")
        if target == "stays":
            longs = {kind: [p for s in files for p in _long_rows(s, _good(s), kind)] for kind in LONG}
            for kind, parts in longs.items():
                if not parts:
                    fresh = new.select("stay_id").limit(0)
                elif len(files) == 1:
                    fresh = _union(parts)
                else:  # only the long rows of the stays that won
                    fresh = _union(parts).semi_join(new, ["stay_id", "__file"])
                # stored in key order: a range of stays is then a few row groups, which the batched stages
                # read without scanning the table (hospeval.batches); the joins above leave no order
                _replace_by_key(wh, LONG[kind], fresh, new.select("stay_id"), ["stay_id"], ["stay_id", "seq"])
        _replace_by_key(wh, target, new, new.select(*keys), keys)
    wh.append("ingest_quarantine", _union([s.bad for s in staged]))
    finished = datetime.now(UTC).replace(tzinfo=None)
    wh.append("ingest_loads", pa.Table.from_pylist([
        {"load_id": load_id, "file": Path(s.report.file).name, "table_name": s.report.table,
         "profile": s.report.profile, "encoding": s.report.encoding, "rows_read": s.report.rows_read,
         "rows_loaded": s.report.rows_loaded, "rows_quarantined": s.report.rows_quarantined,
         "ignored_columns": ", ".join(s.report.ignored_columns), "started_at": started,
         "finished_at": finished, "status": "loaded"} for s in staged], schema=LOADS_SCHEMA))
    return work
