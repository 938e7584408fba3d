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
import pyarrow as pa

from hospeval.indicators.codelists import codelist
from hospeval.indicators.expr import compile_expr, names, parse
from hospeval.indicators.spec import Fields, Indicator, IndicatorSet, Measure
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
                 "numerator", "denominator", "value")

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


def enriched_stays(wh: Warehouse, fields: Fields, scope: Scope = Scope()) -> ir.Table:
    """One row per stay with every column indicators may use (see ``indicators/_fields.yaml``)."""
    stays = wh.table("stays")
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
    diagnoses = _with_fields(wh.table("stay_diagnoses"), fields.diagnosis_fields)
    d_agg = diagnoses.group_by(d_stay=diagnoses.stay_id).aggregate(
        principal_diagnosis=diagnoses.code.max(where=diagnoses.seq == 0), **_flag_aggregate(diagnoses, diag_flags))
    t = t.left_join(d_agg, t.stay_id == d_agg.d_stay).drop("d_stay")
    procedures = _with_fields(wh.table("stay_procedures"), fields.procedure_fields)
    if proc_flags:
        p_agg = procedures.group_by(p_stay=procedures.stay_id).aggregate(**_flag_aggregate(procedures, proc_flags))
        t = t.left_join(p_agg, t.stay_id == p_agg.p_stay).drop("p_stay")
    t = t.mutate(**{n: t[n].fill_null(False) for n in fields.stay_flags})

    groups = _drg_columns(wh, scope)
    if groups is None:
        t = t.mutate(**{c: ibis.null(ty) for c, ty in _GROUP_COLUMNS.items()})
    else:
        groups = groups.rename(g_stay="stay_id")
        t = t.left_join(groups, t.stay_id == groups.g_stay).drop("g_stay")
    t = t.mutate(grouped=t.grouped.fill_null(False))
    return _with_fields(t, fields.stay_fields)


def child_base(wh: Warehouse, fields: Fields, stays: ir.Table, base: str) -> ir.Table:
    """Procedures or diagnoses with their derived fields, joined to the columns of their stay."""
    if base == "procedures":
        child = _with_fields(wh.table("stay_procedures"), fields.procedure_fields)
    else:
        child = _with_fields(wh.table("stay_diagnoses"), fields.diagnosis_fields)
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


def _reduction(m: Measure, t: ir.Table) -> ir.Value:
    cond = _expr(m.where, t).fill_null(False) if m.where else None
    if m.agg == "count":
        return t.count(where=cond).cast("float64")
    value = _expr(m.of, t)
    if value.type().is_boolean():
        value = value.cast("int64")
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


def _base_aggregate(table: ir.Table, measures: dict[str, Measure], level: str, grain: str) -> ir.Table:
    table = table.filter(table[LEVEL_KEYS[level]].notnull())
    return table.group_by(**_keys(table, level, grain)).aggregate(
        **{name: _reduction(m, table) for name, m in measures.items()})


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


def wide_measures(wh: Warehouse, stays: ir.Table, fields: Fields, indicators: Sequence[Indicator],
                  level: str, grain: str, scope: Scope = Scope()) -> tuple[ir.Table, dict[str, Measure]]:
    """Every measure of ``indicators`` per (unit, period) at one level and grain, as one wide table."""
    measures = measure_names(indicators)
    keys = ["unit_id", "period"] + (["hospital_id"] if level in HOSPITAL_SCOPED else [])
    parts: list[ir.Table] = []
    for base in ("stays", "procedures", "diagnoses"):
        subset = {n: m for n, m in measures.items() if not m.is_fact and m.base == base}
        if subset:
            table = stays if base == "stays" else child_base(wh, fields, stays, base)
            parts.append(_base_aggregate(table, subset, level, grain))
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
    return (wide.mutate(**missing) if missing else wide), measures


# -- indicator values ----------------------------------------------------------------------------------
def _ratio(num: ir.FloatingValue, den: ir.FloatingValue | None, scale: float) -> ir.FloatingValue:
    if den is None:
        return num * scale
    return ibis.ifelse(den.isnull() | (den == 0), ibis.null("float64"), num / den * scale)


def indicator_map(measures: dict[str, Measure], chosen: Sequence[tuple[IndicatorSet, Sequence[Indicator]]],
                  level: str) -> pa.Table:
    """Which measure columns make each indicator's numerator and denominator, with its scale and transform."""
    by_key = {m.key: name for name, m in measures.items()}
    rows: dict[str, list] = {k: [] for k in ("indicator_set", "indicator_id", "num_measure", "den_measure",
                                             "base_scale", "growth_scale")}
    for indicator_set, indicators in chosen:
        for ind in indicators:
            if not ind.computable or (level in FACTLESS_LEVELS and any(m.is_fact for m in ind.measures())):
                continue
            growth = ind.transform == "growth"
            rows["indicator_set"].append(indicator_set.id)
            rows["indicator_id"].append(ind.id)
            rows["num_measure"].append(by_key[ind.numerator.key])
            rows["den_measure"].append(by_key[ind.denominator.key] if ind.denominator else None)
            rows["base_scale"].append(1.0 if growth else ind.scale)
            rows["growth_scale"].append(ind.scale if growth else None)
    return pa.table(rows, schema=pa.schema([("indicator_set", pa.string()), ("indicator_id", pa.string()),
                                            ("num_measure", pa.string()), ("den_measure", pa.string()),
                                            ("base_scale", pa.float64()), ("growth_scale", pa.float64())]))


def indicator_rows(wide: ir.Table, measures: dict[str, Measure], imap: ir.Table, level: str) -> ir.Table:
    """Long rows (``VALUE_COLUMNS``) of every mapped indicator from a wide measure table.

    The wide table is unpivoted once to (unit, period, measure, v); the numerator and denominator are two
    joins with the indicator map (:func:`indicator_map`), so the SQL stays small however many indicators.
    """
    keys = ["unit_id", "hospital_id", "period"]
    long = wide.mutate(hospital_id=wide.hospital_id.cast("string").fill_null("")).pivot_longer(
        list(measures), names_to="measure", values_to="v")
    num = long.join(imap, long.measure == imap.num_measure)
    den = long.rename(**{f"d_{k}": k for k in keys}, d_measure="measure", d_v="v")
    j = num.left_join(den, [num[k] == den[f"d_{k}"] for k in keys] + [num.den_measure == den.d_measure])
    denominator = ibis.ifelse(j.den_measure.isnull(), ibis.null("float64"), j.d_v).cast("float64")
    numerator = j.v.cast("float64")
    value = ibis.ifelse(j.den_measure.isnull(), numerator * j.base_scale,
                        ibis.ifelse(denominator.isnull() | (denominator == 0), ibis.null("float64"),
                                    numerator / denominator * j.base_scale))
    rows = j.select("indicator_set", "indicator_id", "growth_scale", level=ibis.literal(level), unit_id=j.unit_id,
                    hospital_id=j.hospital_id, period=j.period, numerator=numerator, denominator=denominator,
                    value=value.cast("float64"))
    rows = rows.filter(rows.numerator.notnull() | rows.denominator.notnull())
    plain = rows.filter(rows.growth_scale.isnull()).drop("growth_scale")
    grown = _growth(rows.filter(rows.growth_scale.notnull()))
    out = plain.union(grown)
    return out.mutate(hospital_id=ibis.ifelse(out.hospital_id == "", ibis.null("string"), out.hospital_id))


def previous_year(period: ir.StringValue) -> ir.StringValue:
    """Same period one year earlier: '2024' -> '2023', '2024-03' -> '2023-03', '2024-Q1' -> '2023-Q1'."""
    return (period.substr(0, 4).cast("int64") - 1).cast("string") + period.substr(4)


def _growth(rows: ir.Table) -> ir.Table:
    """Per-period values -> growth on the previous year: numerator = v_t - v_(t-1), denominator = v_(t-1)."""
    prev = rows.select(p_ind=rows.indicator_id, p_unit=rows.unit_id, p_hosp=rows.hospital_id, p_period=rows.period,
                       p_value=rows.value)
    cur = rows.mutate(prev_period=previous_year(rows.period))
    j = cur.join(prev, [cur.indicator_id == prev.p_ind, cur.unit_id == prev.p_unit, cur.hospital_id == prev.p_hosp,
                        cur.prev_period == prev.p_period])
    num = j.value - j.p_value
    return j.select("indicator_set", "indicator_id", "level", "unit_id", "hospital_id", "period",
                    numerator=num, denominator=j.p_value, value=_ratio(num, j.p_value, 1.0) * j.growth_scale)
