"""Compile indicator declarations to Ibis expressions over the warehouse.

The plan, for every (level, period grain):

1. ``enriched_stays``: one row per stay with periods, hospital attributes, principal diagnosis, DRG and
   reference columns, the stay flags and derived fields of ``indicators/_fields.yaml`` (built once per run).
2. One aggregate per base table (stays, procedures, diagnoses) computing every distinct measure of every
   indicator at once (conditional aggregates), and one pivot of ``hospital_facts`` for fact measures.
3. A wide table of measures per (unit, period), then one ``SELECT`` per indicator giving numerator,
   denominator and value in the long ``indicator_values`` shape; growth indicators join the previous year.

Examples
--------
>>> LEVEL_KEYS["dept"]
'discharge_dept'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from hospeval.batches import Range, within
from hospeval.indicators.codelists import codelist
from hospeval.indicators.expr import compile_expr, names, parse
from hospeval.indicators.spec import BASES, Fields, Indicator, IndicatorSet, Measure
from hospeval.warehouse import Warehouse

# Level -> column of the enriched stay that identifies the unit.
LEVEL_KEYS = {"hospital": "hospital_id", "dept": "discharge_dept", "doctor": "attending_doctor",
              "consortium": "consortium_id", "district": "district", "drg": "drg"}
# Levels below the hospital keep the hospital as parent; levels above it have none.
HOSPITAL_SCOPED = ("hospital", "dept", "doctor", "drg")
GRAINS = ("year", "quarter", "month")
# Levels without hospital_facts: indicators using a fact are not evaluated there.
FACTLESS_LEVELS = ("dept", "doctor", "drg")
# Facts are matched on the exact period string: 'YYYY' rows for years, 'YYYY-MM' rows for months.
_FACT_PERIOD_LENGTH = {"year": 4, "month": 7}
VALUE_COLUMNS = ("indicator_set", "indicator_id", "level", "unit_id", "hospital_id", "period",
                 "numerator", "denominator", "value", "expected")

_GROUP_COLUMNS = {"drg": "string", "mdc": "string", "grouped": "boolean", "relative_weight": "float64",
                  "drg_mean_cost": "float64", "drg_mean_los": "float64", "drg_mortality": "float64",
                  "risk_grade": "int64"}
_HOSPITAL_COLUMNS = {"hospital_level": "level", "hospital_category": "category", "district": "district",
                     "consortium_id": "consortium_id", "consortium_role": "consortium_role"}


@dataclass(frozen=True)
class Scope:
    """What to evaluate: grouping scheme, reference version and optional filters on the stays."""

    scheme: str = "chs-drg-1.1"
    reference_version: str | None = None
    hospital_id: str | None = None
    periods: tuple[str, ...] | None = None  # limit to these years ('YYYY')


def _expr(text: str, table: ir.Table) -> ir.Value:
    return compile_expr(text, table, codelist)


def _with_fields(table: ir.Table, fields: dict[str, str]) -> ir.Table:
    """Add derived fields in order; fields that do not use each other are added in one projection."""
    layer: dict[str, str] = {}
    for name, text in fields.items():
        if names(parse(text)) & set(layer):
            table = table.mutate(**{n: _expr(t, table) for n, t in layer.items()})
            layer = {}
        layer[name] = text
    return table.mutate(**{n: _expr(t, table) for n, t in layer.items()}) if layer else table


def _drg_columns(wh: Warehouse, scope: Scope) -> ir.Table | None:
    if not wh.has_table("stay_groups"):
        return None
    groups = wh.table("stay_groups")
    groups = groups.filter(groups.scheme == scope.scheme).select(
        "stay_id", "drg", "mdc", grouped=groups.status == "grouped")
    if wh.has_table("drg_reference"):
        ref = wh.table("drg_reference")
        ref = ref.filter(ref.scheme == scope.scheme)
        version = scope.reference_version or ref.version.max()
        ref = ref.filter(ref.version == version).select(
            ref_drg=ref.drg, relative_weight=ref.relative_weight.cast("float64"),
            drg_mean_cost=ref.mean_cost.cast("float64"), drg_mean_los=ref.mean_los.cast("float64"),
            drg_mortality=ref.mortality.cast("float64"), risk_grade=ref.risk_grade.cast("int64"))
        groups = groups.left_join(ref, groups.drg == ref.ref_drg).drop("ref_drg")
    else:
        groups = groups.mutate(**{c: ibis.null(t) for c, t in _GROUP_COLUMNS.items() if c not in groups.columns})
    return groups


def _flag_aggregate(child: ir.Table, flags: dict[str, str]) -> dict[str, ir.Value]:
    return {name: _expr(where, child).fill_null(False).any() for name, where in flags.items()}


def enriched_stays(wh: Warehouse, fields: Fields, scope: Scope = Scope(), rows: Range = (None, None)) -> ir.Table:
    """One row per stay with every column indicators may use (see ``indicators/_fields.yaml``).

    ``rows`` limits it to a batch: the stays whose id is in that range (:mod:`hospeval.batches`).
    """
    stays = within(wh.table("stays"), *rows)
    if scope.hospital_id:
        stays = stays.filter(stays.hospital_id == scope.hospital_id)
    t = stays.mutate(year=stays.discharge_time.strftime("%Y"), month=stays.discharge_time.strftime("%Y-%m"))
    t = t.mutate(quarter=t.year + "-Q" + t.discharge_time.quarter().cast("string"))
    if scope.periods:
        t = t.filter(t.year.isin(list(scope.periods)))
    if wh.has_table("hospitals"):
        h = wh.table("hospitals")
        h = h.select(h_id=h.hospital_id, **{new: h[old] for new, old in _HOSPITAL_COLUMNS.items()})
        t = t.left_join(h, t.hospital_id == h.h_id).drop("h_id")
    else:
        t = t.mutate(**{new: ibis.null("string") for new in _HOSPITAL_COLUMNS})

    diag_flags = {n: w for n, (src, w) in fields.stay_flags.items() if src == "diagnoses"}
    proc_flags = {n: w for n, (src, w) in fields.stay_flags.items() if src == "procedures"}
    diagnoses = _with_fields(within(wh.table("stay_diagnoses"), *rows), fields.diagnosis_fields)
    d_agg = diagnoses.group_by(d_stay=diagnoses.stay_id).aggregate(
        principal_diagnosis=diagnoses.code.max(where=diagnoses.seq == 0), **_flag_aggregate(diagnoses, diag_flags))
    t = t.left_join(d_agg, t.stay_id == d_agg.d_stay).drop("d_stay")
    procedures = _with_fields(within(wh.table("stay_procedures"), *rows), fields.procedure_fields)
    if proc_flags:
        p_agg = procedures.group_by(p_stay=procedures.stay_id).aggregate(**_flag_aggregate(procedures, proc_flags))
        t = t.left_join(p_agg, t.stay_id == p_agg.p_stay).drop("p_stay")
    t = t.mutate(**{n: t[n].fill_null(False) for n in fields.stay_flags})

    groups = _drg_columns(wh, scope)
    if groups is None:
        t = t.mutate(**{c: ibis.null(ty) for c, ty in _GROUP_COLUMNS.items()})
    else:
        groups = within(groups, *rows).rename(g_stay="stay_id")
        t = t.left_join(groups, t.stay_id == groups.g_stay).drop("g_stay")
    t = t.mutate(grouped=t.grouped.fill_null(False))
    return _with_fields(t, fields.stay_fields)


def child_base(wh: Warehouse, fields: Fields, stays: ir.Table, base: str, rows: Range = (None, None)) -> ir.Table:
    """Procedures or diagnoses with their derived fields, joined to the columns of their stay."""
    if base == "procedures":
        child = _with_fields(within(wh.table("stay_procedures"), *rows), fields.procedure_fields)
    else:
        child = _with_fields(within(wh.table("stay_diagnoses"), *rows), fields.diagnosis_fields)
    parent = stays.rename(s_stay="stay_id")
    return child.join(parent, child.stay_id == parent.s_stay).drop("s_stay")


# -- measures ------------------------------------------------------------------------------------------
def measure_names(indicators: Sequence[Indicator]) -> dict[str, Measure]:
    """Distinct measures of the indicators, by generated column name (``m0``, ``m1`` ...)."""
    seen: dict[str, Measure] = {}
    for ind in indicators:
        for m in ind.measures():
            seen.setdefault(m.key, m)
    return {f"m{i}": m for i, m in enumerate(seen.values())}


@dataclass(frozen=True)
class Prepared:
    """Narrow per-base tables: the unit keys plus one column per distinct filter / field of the measures.

    Filters and fields are evaluated once per stay (or procedure / diagnosis), not once per level and grain.
    """

    tables: dict[str, ir.Table]
    columns: dict[str, tuple[str | None, str | None]]  # measure name -> (filter column, field column)


KEY_COLUMNS = ("hospital_id", "discharge_dept", "attending_doctor", "consortium_id", "district", "drg",
               "year", "quarter", "month")


def stay_columns(stays: ir.Table, measures: dict[str, Measure]) -> ir.Table:
    """The enriched stays with only the columns ``measures`` read, the unit keys and the stay id.

    The run stores the enriched stays once as a work table; narrow, it takes about a third of the memory
    of every column, so a province's year of stays stays in memory instead of spilling to disk.
    """
    used = {"stay_id", *KEY_COLUMNS}
    for m in measures.values():
        if not m.is_fact:
            used.update(*(names(parse(text)) for text in (m.where, m.of) if text))
    return stays.select(*[c for c in stays.columns if c in used])


def prepare_bases(wh: Warehouse, stays: ir.Table, fields: Fields, measures: dict[str, Measure],
                  rows: Range = (None, None)) -> Prepared:
    """Build (unmaterialised) narrow tables for every base used by ``measures`` (of the stays in ``rows``)."""
    tables, columns = {}, {}
    for base in BASES:
        subset = {n: m for n, m in measures.items() if not m.is_fact and m.base == base}
        if not subset:
            continue
        table = stays if base == "stays" else child_base(wh, fields, stays, base, rows)
        derived: dict[tuple[str, str], str] = {}
        for name, m in subset.items():
            w = derived.setdefault(("w", m.where), f"_w{len(derived)}") if m.where else None
            o = derived.setdefault(("o", m.of), f"_o{len(derived)}") if m.of else None
            columns[name] = (w, o)
        values = {}
        for (kind, text), col in derived.items():
            e = _expr(text, table)
            if kind == "w":
                values[col] = e.fill_null(False)
            else:
                values[col] = e.cast("int64") if e.type().is_boolean() else e
        tables[base] = table.select(*KEY_COLUMNS, **values)
    return Prepared(tables=tables, columns=columns)


def _reduction(m: Measure, t: ir.Table, cols: tuple[str | None, str | None]) -> ir.Value:
    w, o = cols
    cond = t[w] if w else None
    if m.agg == "count":
        return t.count(where=cond).cast("float64")
    value = t[o]
    if m.agg == "sum":
        return value.sum(where=cond).cast("float64").fill_null(0.0)
    if m.agg == "count_distinct":
        return value.nunique(where=cond).cast("float64")
    reducer = {"mean": value.mean, "min": value.min, "max": value.max}[m.agg]
    return reducer(where=cond).cast("float64")


def _keys(table: ir.Table, level: str, grain: str) -> dict[str, ir.Value]:
    keys = {"unit_id": table[LEVEL_KEYS[level]].cast("string"), "period": table[grain]}
    if level in HOSPITAL_SCOPED:
        keys["hospital_id"] = table.hospital_id
    return keys


def _base_aggregate(table: ir.Table, measures: dict[str, Measure], prepared: Prepared, level: str,
                    grain: str) -> ir.Table:
    table = table.filter(table[LEVEL_KEYS[level]].notnull())
    return table.group_by(**_keys(table, level, grain)).aggregate(
        **{name: _reduction(m, table, prepared.columns[name]) for name, m in measures.items()})


def _fact_aggregate(wh: Warehouse, measures: dict[str, Measure], level: str, grain: str,
                    scope: Scope) -> ir.Table | None:
    if not measures or grain not in _FACT_PERIOD_LENGTH or level in FACTLESS_LEVELS:
        return None
    if not wh.has_table("hospital_facts"):
        return None
    facts = wh.table("hospital_facts")
    facts = facts.filter(facts.period.length() == _FACT_PERIOD_LENGTH[grain])
    if scope.hospital_id:
        facts = facts.filter(facts.hospital_id == scope.hospital_id)
    if scope.periods:
        facts = facts.filter(facts.period.substr(0, 4).isin(list(scope.periods)))
    metric_names = sorted({n for m in measures.values() for n in _fact_names(m)})
    wide = facts.group_by("hospital_id", "period").aggregate(
        **{n: facts.value.sum(where=facts.metric == n).cast("float64") for n in metric_names})
    if level == "hospital":
        wide = wide.mutate(unit_id=wide.hospital_id)
        return wide.select("unit_id", "hospital_id", "period",
                           **{name: _expr(m.of, wide) for name, m in measures.items()})
    h = wh.table("hospitals")
    h = h.select(h_id=h.hospital_id, unit_id=h[LEVEL_KEYS[level]])
    joined = wide.join(h, wide.hospital_id == h.h_id).filter(lambda t: t.unit_id.notnull())
    out = None
    for rollup in sorted({m.rollup for m in measures.values()}):
        subset = {name: m for name, m in measures.items() if m.rollup == rollup}
        rolled = joined.group_by("unit_id", "period").aggregate(
            **{n: getattr(joined[n], rollup)() for n in metric_names})
        part = rolled.select("unit_id", "period", **{name: _expr(m.of, rolled) for name, m in subset.items()})
        out = part if out is None else out.join(part, ["unit_id", "period"])
    return out


def _fact_names(m: Measure) -> set[str]:
    return names(parse(m.of))


ADDITIVE = ("count", "sum")
# Units of these levels are unions of (hospital, dept, doctor) cells, so additive measures roll up.
ROLLUP_LEVELS = ("hospital", "dept", "doctor", "consortium", "district")
_CELL_KEYS = ("hospital_id", "discharge_dept", "attending_doctor", "consortium_id", "district")


def fine_aggregate(prepared: Prepared, measures: dict[str, Measure], base: str, grain: str) -> ir.Table | None:
    """Additive measures of one base per (hospital, dept, doctor) cell and period: rolled up to every level."""
    subset = {n: m for n, m in measures.items() if not m.is_fact and m.base == base and m.agg in ADDITIVE}
    if not subset or base not in prepared.tables:
        return None
    t = prepared.tables[base]
    return t.group_by(*_CELL_KEYS, grain).aggregate(
        **{name: _reduction(m, t, prepared.columns[name]) for name, m in subset.items()})


# Reductions whose value for a unit is the same over the distinct (unit keys, filter, field) rows
DISTINCT_SAFE = ("count_distinct", "min", "max")


def batchable(measures: dict[str, Measure], levels: Sequence[str]) -> bool:
    """True when the measures can be computed from per-batch pieces (:func:`distinct_rows`, fine cells).

    Additive measures sum their cells across batches; the others must give the same value on distinct rows,
    and every level must be a roll-up of cells.
    """
    return all(level in ROLLUP_LEVELS for level in levels) and all(
        m.is_fact or m.agg in ADDITIVE or m.agg in DISTINCT_SAFE for m in measures.values())


def distinct_rows(prepared: Prepared, measures: dict[str, Measure], base: str) -> ir.Table | None:
    """The distinct rows of the unit keys and the columns the base's non-additive measures read.

    Counts of distinct values, minima and maxima per unit are the same on these rows as on every row, and
    rows from different batches need no merging (duplicates change none of them).
    """
    subset = [n for n, m in measures.items() if not m.is_fact and m.base == base and m.agg not in ADDITIVE]
    if not subset or base not in prepared.tables:
        return None
    columns = sorted({c for n in subset for c in prepared.columns[n] if c})
    return prepared.tables[base].select(*KEY_COLUMNS, *columns).distinct()


def _rollup_aggregate(fine: ir.Table, names_: list[str], level: str, grain: str) -> ir.Table:
    fine = fine.filter(fine[LEVEL_KEYS[level]].notnull())
    return fine.group_by(**_keys(fine, level, grain)).aggregate(**{n: fine[n].sum() for n in names_})


def wide_measures(wh: Warehouse, prepared: Prepared, measures: dict[str, Measure], level: str, grain: str,
                  scope: Scope = Scope(), fine: dict[str, ir.Table] | None = None) -> ir.Table:
    """Every measure per (unit, period) at one level and grain, as one wide table.

    With ``fine`` (base -> :func:`fine_aggregate` of this grain), additive measures are summed from the
    cells instead of re-reading every row; the others (distinct counts, means) read the prepared rows.
    """
    keys = ["unit_id", "period"] + (["hospital_id"] if level in HOSPITAL_SCOPED else [])
    parts: list[ir.Table] = []
    for base in dict.fromkeys([*prepared.tables, *(fine or {})]):
        table = prepared.tables.get(base)  # batched runs keep only the rows non-additive measures read
        subset = {n: m for n, m in measures.items() if not m.is_fact and m.base == base}
        cells = (fine or {}).get(base)
        if cells is not None and level in ROLLUP_LEVELS:
            additive = [n for n, m in subset.items() if m.agg in ADDITIVE]
            parts.append(_rollup_aggregate(cells, additive, level, grain))
            subset = {n: m for n, m in subset.items() if m.agg not in ADDITIVE}
        if subset:
            parts.append(_base_aggregate(table, subset, prepared, level, grain))
    facts = _fact_aggregate(wh, {n: m for n, m in measures.items() if m.is_fact}, level, grain, scope)
    if facts is not None:
        parts.append(facts)
    if not parts:
        raise ValueError("no measures to compute")
    units = ibis.union(*[p.select(*keys) for p in parts], distinct=True)
    wide = units
    for i, part in enumerate(parts):
        part = part.rename(**{f"k{i}_{k}": k for k in keys})
        wide = wide.left_join(part, [wide[k] == part[f"k{i}_{k}"] for k in keys]).drop(
            *[f"k{i}_{k}" for k in keys])
    if level not in HOSPITAL_SCOPED:
        wide = wide.mutate(hospital_id=ibis.null("string"))
    missing = {name: ibis.null("float64") for name in measures if name not in wide.columns}
    return wide.mutate(**missing) if missing else wide


# -- indicator values ----------------------------------------------------------------------------------
def _with_previous_year(wide: ir.Table, columns: set[str]) -> ir.Table:
    """Add ``p_<column>``: the same unit's value of each column one year earlier (NULL when absent)."""
    prev = wide.select(p_unit=wide.unit_id, p_hosp=wide.hospital_id, p_period=wide.period,
                       **{f"p_{c}": wide[c] for c in sorted(columns)})
    cur = wide.mutate(_prev_period=previous_year(wide.period))
    j = cur.left_join(prev, [cur.unit_id == prev.p_unit, cur.hospital_id == prev.p_hosp,
                             cur._prev_period == prev.p_period])
    return j.drop("p_unit", "p_hosp", "p_period", "_prev_period")


def _ratio_or_value(num: ir.FloatingValue, den: ir.FloatingValue | None) -> ir.FloatingValue:
    return num if den is None else ibis.ifelse(den.isnull() | (den == 0), ibis.null("float64"), num / den)


def indicator_rows(wide: ir.Table, measures: dict[str, Measure],
                   chosen: Sequence[tuple[IndicatorSet, Sequence[Indicator]]], level: str) -> ir.Table | None:
    """Long rows (``VALUE_COLUMNS``) of the indicators from a wide measure table, in one pass.

    Each indicator becomes a struct column (set and indicator id, numerator, denominator, scale); one unpivot
    turns the wide table into rows. Growth indicators read the previous year's measures from a self-join of
    the (small) wide table: numerator = v_t - v_(t-1), denominator = v_(t-1). Below the hospital (dept,
    doctor, DRG), units without any case for an indicator (numerator and denominator both 0 or NULL) are
    left out.
    """
    by_key = {m.key: name for name, m in measures.items()}
    wide = wide.mutate(hospital_id=wide.hospital_id.cast("string").fill_null(""))
    selected = [(s, i) for s, inds in chosen for i in inds
                if i.computable and (i.levels is None or level in i.levels)
                and not (level in FACTLESS_LEVELS and any(m.is_fact for m in i.measures()))]
    if not selected:
        return None
    growth_cols = {by_key[m.key] for _, i in selected if i.transform == "growth"
                   for m in (i.numerator, i.denominator) if m is not None}
    if growth_cols:
        wide = _with_previous_year(wide, growth_cols)
    structs = {}
    for indicator_set, ind in selected:
        num = wide[by_key[ind.numerator.key]].cast("float64")
        den = wide[by_key[ind.denominator.key]].cast("float64") if ind.denominator else None
        if ind.transform == "growth":
            p_num = wide[f"p_{by_key[ind.numerator.key]}"].cast("float64")
            p_den = wide[f"p_{by_key[ind.denominator.key]}"].cast("float64") if ind.denominator else None
            current, previous = _ratio_or_value(num, den), _ratio_or_value(p_num, p_den)
            num, den = current - previous, previous
        expected = wide[by_key[ind.expected.key]].cast("float64") if ind.expected else ibis.null("float64")
        # The ids travel in the struct rather than in the column name: parsing them back would need a
        # separator, and Spark's split() takes a regular expression.
        structs[f"i{len(structs)}"] = ibis.struct({
            "set": ibis.literal(indicator_set.id), "id": ibis.literal(ind.id), "n": num, "d": den if den is not None else ibis.null("float64"), "e": expected,
            "hd": ibis.literal(den is not None), "s": ibis.literal(ind.scale, "float64")})
    w = wide.select("unit_id", "period", "hospital_id", **structs)
    long = w.pivot_longer(list(structs), names_to="key", values_to="x")
    numerator, denominator = long.x["n"], long.x["d"]
    value = ibis.ifelse(~long.x["hd"], numerator * long.x["s"],
                        ibis.ifelse(denominator.isnull() | (denominator == 0), ibis.null("float64"),
                                    numerator / denominator * long.x["s"]))
    rows = long.select(indicator_set=long.x["set"], indicator_id=long.x["id"], level=ibis.literal(level),
                       unit_id=long.unit_id,
                       hospital_id=ibis.ifelse(long.hospital_id == "", ibis.null("string"), long.hospital_id),
                       period=long.period, numerator=numerator, denominator=denominator, value=value.cast("float64"),
                       expected=long.x["e"])
    if level in FACTLESS_LEVELS:
        return rows.filter((rows.numerator.fill_null(0) != 0) | (rows.denominator.fill_null(0) != 0))
    return rows.filter(rows.numerator.notnull() | rows.denominator.notnull())


def previous_year(period: ir.StringValue) -> ir.StringValue:
    """Return the same period one year earlier: '2024' -> '2023', '2024-03' -> '2023-03', '2024-Q1' -> '2023-Q1'."""
    return (period.substr(0, 4).cast("int64") - 1).cast("string") + period.substr(4)
