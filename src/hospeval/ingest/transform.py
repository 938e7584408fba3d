"""Turn a raw all-text table into typed canonical rows plus a list of errors per row, in one SQL scan.

Every canonical column gets three SQL pieces: the raw text (aliases coalesced, value map applied), the
typed value, and the error conditions (required but empty, unparseable, unknown code, undecodable
bytes). Rows with errors are quarantined with every reason, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hospeval.ingest.profiles import Profile, normalise_header
from hospeval.model import ColumnSpec, code_sets, metrics, table_spec

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"]
TIME_FORMATS = [
    f"{d}{t}" for d in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
    for t in (" %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "%H%M%S", "%H%M")
] + DATE_FORMATS
_TRUE = ("1", "Y", "YES", "TRUE", "T", "是")
_FALSE = ("0", "2", "N", "NO", "FALSE", "F", "否")
_INT_LIMITS = {"int8": 127, "int16": 32767, "int32": 2**31 - 1, "int64": 2**63 - 1}
LINEAGE = ("source_file", "source_row", "load_id")
DERIVED = ("stay_id", "patient_id")
SLOT_SPECS = {"diagnoses": "stay_diagnoses", "procedures": "stay_procedures"}


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


@dataclass(frozen=True)
class Field:
    """One canonical field of a staged row: its output name, spec, and the source headers it reads."""

    out: str
    spec: ColumnSpec
    headers: tuple[str, ...]


def raw_sql(headers: tuple[str, ...], values: dict[str, str] | None) -> str:
    """Text of a field: first non-empty of its headers, trimmed, with the profile's value map applied."""
    parts = [f"nullif(trim({q(h)}), '')" for h in headers]
    expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
    if values:
        cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in values.items())
        expr = f"(CASE {expr} {cases} ELSE {expr} END)"
    return expr


def typed_sql(raw: str, spec: ColumnSpec) -> str:
    """Typed value of a raw text expression (NULL when it does not parse)."""
    t = spec.type
    if t == "string":
        return raw
    if t in _INT_LIMITS:
        num = f"TRY_CAST({raw} AS DOUBLE)"
        lim = _INT_LIMITS[t]
        return (f"(CASE WHEN {num} = floor({num}) AND abs({num}) <= {lim} "
                f"THEN CAST({num} AS {spec.sql_type}) END)")
    if t == "float64":
        return f"TRY_CAST(replace({raw}, ',', '') AS DOUBLE)"
    if t == "decimal":
        return f"TRY_CAST(replace({raw}, ',', '') AS {spec.sql_type})"
    if t == "boolean":
        return (f"(CASE WHEN upper({raw}) IN {tuple(_TRUE)} THEN true "
                f"WHEN upper({raw}) IN {tuple(_FALSE)} THEN false END)")
    if t == "date":
        return f"CAST(try_strptime(left({raw}, 10), {_list(DATE_FORMATS)}) AS DATE)"
    if t == "timestamp":
        return f"try_strptime({raw}, {_list(TIME_FORMATS)})"
    raise ValueError(t)


def _allowed_codes(spec: ColumnSpec) -> list[str] | None:
    if spec.codes == "metric":
        return list(metrics())
    if spec.codes and spec.codes in code_sets():
        return list(code_sets()[spec.codes])
    return None


def error_sql(f: Field, raw: str, typed: str) -> list[tuple[str, str]]:
    """``(condition, struct)`` SQL pairs, one for each way the field can be wrong."""
    label = f"{f.headers[0]} ({f.spec.label_zh or f.spec.name})" if f.headers else f.spec.name
    where = lit(f.headers[0] if f.headers else f.spec.name)

    def err(cond: str, reason: str, message: str) -> tuple[str, str]:
        return cond, f"{{'field': {where}, 'reason': {lit(reason)}, 'message': {message}}}"

    out = []
    if f.spec.required:
        out.append(err(f"{raw} IS NULL", "missing_required", lit(f"{label} is required but empty")))
    if f.spec.type != "string":
        kind = {"date": "bad_date", "timestamp": "bad_date", "boolean": "bad_value"}.get(f.spec.type, "bad_number")
        out.append(err(f"{raw} IS NOT NULL AND {typed} IS NULL", kind,
                       f"{lit(label + ': ')} || {raw} || {lit(f' is not a valid {f.spec.type}')}"))
    allowed = _allowed_codes(f.spec)
    if allowed:
        out.append(err(f"{typed} IS NOT NULL AND {typed} NOT IN ({', '.join(lit(a) for a in allowed)})",
                       "unknown_code",
                       f"{lit(label + ': code ')} || {typed} || {lit(' is not in code set ' + str(f.spec.codes))}"))
    return out


def stay_fields(profile: Profile, headers: list[str]) -> list[Field]:
    """Canonical columns of the target table that this file provides, with their source headers."""
    present = {normalise_header(h): h for h in headers}
    by_column: dict[str, list[str]] = {}
    for norm, column in profile.columns.items():
        if norm in present:
            by_column.setdefault(column, []).append(present[norm])
    spec = table_spec(profile.target)
    skip = {*LINEAGE, *DERIVED} if profile.target == "stays" else set()
    return [Field(c.name, c, tuple(by_column.get(c.name, ()))) for c in spec.columns if c.name not in skip]


def slot_fields(profile: Profile, headers: list[str], kind: str) -> dict[int, list[Field]]:
    """For diagnoses / procedures: seq -> fields, from the wide slots whose code header is present."""
    present = {normalise_header(h): h for h in headers}
    spec = table_spec(SLOT_SPECS[kind])
    merged: dict[int, dict[str, list[str]]] = {}
    for group in getattr(profile, kind):
        for seq, fields in group.slots():
            if normalise_header(fields["code"]) not in present:
                continue
            slot = merged.setdefault(seq, {})
            for col, header in fields.items():
                if normalise_header(header) in present:
                    slot.setdefault(col, []).append(present[normalise_header(header)])
    # An empty slot is simply no diagnosis / procedure, so slot fields are never "required".
    return {seq: [Field(f"__{kind[0]}{seq}_{col}", replace(spec.column(col), required=False), tuple(hs))
                  for col, hs in cols.items()]
            for seq, cols in sorted(merged.items())}


def build_staging_sql(source: str, out_table: str, profile: Profile, headers: list[str],
                      id_headers: dict[str, list[str]], check_encoding: bool = False,
                      numbered: bool = True, derived: dict[str, str] | None = None, temp: bool = True) -> str:
    """``CREATE TEMP TABLE out_table`` (a plain table when ``temp`` is false) from ``source`` (which has ``__k`` and the file's headers).

    Inner query: raw text and typed value of every field. Outer query: the typed values, and, only for
    rows with a problem, the list of every error (``__errors``) and the row's mapped fields as JSON
    (``__record``); good rows pay for neither. ``derived`` adds computed columns (name -> SQL over the
    typed columns), e.g. the pseudonymous keys. When ``numbered`` is false the source has no ``__k``
    and records are numbered in scan order after the projection, so only the narrow typed row is buffered.
    """
    inner, outer, checks, record = (["__k"], ["__k"], [], []) if numbered else ([], [], [], [])
    fields = stay_fields(profile, headers)
    for kind in ("diagnoses", "procedures"):
        for slot in slot_fields(profile, headers, kind).values():
            fields.extend(slot)
    for i, f in enumerate(fields):
        if not f.headers:
            outer.append(f"CAST(NULL AS {f.spec.sql_type}) AS {q(f.out)}")
            if f.spec.required:
                checks.append(("true", f"{{'field': {lit(f.spec.name)}, 'reason': 'missing_column', "
                                       f"'message': {lit(f'the file has no column for {f.spec.name} ({f.spec.label_zh})')}}}"))
            continue
        raw, typed = f"__r{i}", q(f.out)
        inner.append(f"{raw_sql(f.headers, profile.values.get(f.spec.name))} AS {raw}")
        inner.append(f"{typed_sql(raw_sql(f.headers, profile.values.get(f.spec.name)), f.spec)} AS {typed}")
        outer.append(typed)
        checks.extend(error_sql(f, raw, typed))
        record.append(f"{q(f.headers[0])} := {raw}")
    for kind, hs in id_headers.items():
        inner.append(f"{raw_sql(tuple(hs), None) if hs else 'CAST(NULL AS VARCHAR)'} AS __id_{kind}")
    # Clear identifiers stay in the inner query: only their keyed hashes come out.
    outer.extend(f"{expr} AS {q(col)}" for col, expr in (derived or {}).items())
    for kind, header in profile.lists.items():
        real = next((h for h in headers if normalise_header(h) == header), None)
        inner.append(f"{raw_sql((real,), None) if real else 'CAST(NULL AS VARCHAR)'} AS __list_{kind}")
        outer.append(f"__list_{kind}")
    if check_encoding and headers:
        joined = " || ".join(f"coalesce({q(h)}, '')" for h in headers)
        inner.append(f"strpos({joined}, '\ufffd') > 0 AS __enc")
        checks.append(("__enc", "{'field': '*', 'reason': 'encoding', "
                                "'message': 'the row has bytes that are not valid in the file''s encoding'}"))
    if checks:
        bad = " OR ".join(f"({c})" for c, _ in checks)
        items = ", ".join(f"CASE WHEN {c} THEN {e} END" for c, e in checks)
        outer.append(f"CASE WHEN {bad} THEN list_filter([{items}], x -> x IS NOT NULL) END AS __errors")
        outer.append(f"CASE WHEN {bad} THEN to_json(struct_pack({', '.join(record)})) END AS __record"
                     if record else "CAST(NULL AS VARCHAR) AS __record")
    else:
        outer.append("CAST(NULL AS STRUCT(field VARCHAR, reason VARCHAR, message VARCHAR)[]) AS __errors")
        outer.append("CAST(NULL AS VARCHAR) AS __record")
    query = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})"
    if not numbered:
        query = f"SELECT row_number() OVER () AS __k, * FROM ({query})"
    return f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {out_table} AS {query}"
