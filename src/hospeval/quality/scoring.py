"""Front-page quality indicators and the 100-point score, per hospital and per discharge department.

Reads ``quality_findings`` (and ``stay_groups`` when the grouper ran), writes ``quality_scores`` with one
row per (hospital, department or NULL for the whole hospital, indicator): value, score (0-100), numerator
and denominator. Definitions live in ``rules/scoring.yaml``; see :class:`~hospeval.quality.spec.ScoringSpec`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.quality.spec import Catalogue, IndicatorSpec, RuleSelector, ScoringSpec
from hospeval.warehouse import Warehouse

MISSING_DEPT = "(未填写 missing)"
SCORES_SCHEMA = pa.schema([("hospital_id", pa.string()), ("dept", pa.string()), ("indicator", pa.string()),
                           ("value", pa.float64()), ("score", pa.float64()), ("numerator", pa.float64()),
                           ("denominator", pa.int64())])


def _selector(f: ir.Table, sel: RuleSelector) -> ir.BooleanValue:
    cond = f.rule_id.notnull()
    if sel.ids:
        cond = cond & f.rule_id.isin(list(sel.ids))
    if sel.categories:
        cond = cond & f.category.isin(list(sel.categories))
    if sel.severities:
        cond = cond & f.severity.isin(list(sel.severities))
    if sel.field_prefix:
        cond = cond & f.field.startswith(sel.field_prefix)
    return cond


def _matches(f: ir.Table, ind: IndicatorSpec) -> ir.BooleanValue:
    parts = [_selector(f, s) for s in ind.rules] or [ibis.literal(False)]
    out = parts[0]
    for part in parts[1:]:
        out = out | part
    return out


def stay_scores(wh: Warehouse, catalogue: Catalogue, scoring: ScoringSpec, scheme: str,
                indicators: list[IndicatorSpec]) -> ir.Table:
    """One row per stay: hospital, department, population flags, indicator flags and the 100-point score."""
    f = wh.table("quality_findings")
    stays = wh.table("stays")
    clean = [i for i in indicators if i.kind == "clean_share"]
    flags = f.group_by("stay_id").aggregate(
        _n=f.count(), **{f"bad_{i.id}": _matches(f, i).any() for i in clean}).rename(_fs="stay_id")
    points = ibis.memtable(pa.table({"rule_id": [r.id for r in catalogue.rules],
                                     "points": [scoring.deduction(r) for r in catalogue.rules]}))
    distinct = f.select("stay_id", "rule_id").distinct()
    ded = distinct.inner_join(points, "rule_id").group_by("stay_id").aggregate(
        deduction=ibis._.points.sum()).rename(_ds="stay_id")
    procs = wh.table("stay_procedures").select(_ps=ibis._.stay_id).distinct().mutate(has_procedure=True)
    base = stays.select("stay_id", "hospital_id",
                        dept=stays.discharge_dept.fill_null(MISSING_DEPT))
    base = base.left_join(flags, base.stay_id == flags._fs)
    base = base.left_join(ded, base.stay_id == ded._ds)
    base = base.left_join(procs, base.stay_id == procs._ps)
    cols = {"stay_id": base.stay_id, "hospital_id": base.hospital_id, "dept": base.dept,
            "has_procedure": base.has_procedure.fill_null(False), "all_stays": base.stay_id.isnull() | True,
            "stay_score": ibis.greatest(scoring.floor, scoring.start - base.deduction.fill_null(0))}
    cols.update({f"bad_{i.id}": base[f"bad_{i.id}"].fill_null(False) for i in clean})
    out = base.select(**cols)
    if any(i.kind == "grouped_share" for i in indicators):
        g = wh.table("stay_groups").filter(ibis._.scheme == scheme)
        grouped = g.group_by("stay_id").aggregate(grouped=(g.status == "grouped").any()).rename(_gs="stay_id")
        out = out.left_join(grouped, out.stay_id == grouped._gs)
        out = out.select(*[c for c in out.columns if c not in ("_gs", "grouped")],
                         grouped=out.grouped.fill_null(False))
    return out


def _metrics(t: ir.Table, indicators: list[IndicatorSpec]) -> dict[str, ir.Value]:
    m: dict[str, ir.Value] = {"_stays": t.count()}
    for ind in indicators:
        pop = t.has_procedure if ind.population == "stays_with_procedures" else t.all_stays
        if ind.kind == "clean_share":
            num = (pop & ~t[f"bad_{ind.id}"]).cast("int64").sum()
        elif ind.kind == "grouped_share":
            num = (pop & t.grouped).cast("int64").sum()
        elif ind.kind == "score_mean":
            num = ibis.ifelse(pop, t.stay_score, 0).sum()
        else:
            num = (pop & (t.stay_score >= (ind.threshold or 90))).cast("int64").sum()
        m[f"n_{ind.id}"] = num.cast("float64")
        m[f"d_{ind.id}"] = pop.cast("int64").sum()
    return m


def compute_scores(wh: Warehouse, catalogue: Catalogue, scoring: ScoringSpec, *, scheme: str) -> pa.Table:
    """Compute ``quality_scores`` (not written; see :func:`write_scores`)."""
    indicators = [i for i in scoring.indicators
                  if i.kind != "grouped_share" or wh.has_table("stay_groups")]
    per_stay = stay_scores(wh, catalogue, scoring, scheme, indicators)
    metrics = _metrics(per_stay, indicators)
    # One query per department; every metric is a count or a sum, so the hospital rows (dept NULL) are
    # the sums of their departments' rows (in a fixed order, so both engines add them up alike).
    by_dept = sorted(wh.to_arrow(per_stay.group_by(["hospital_id", "dept"]).aggregate(**metrics)).to_pylist(),
                     key=lambda r: (r["hospital_id"] is None, r["hospital_id"] or "", r["dept"] or ""))
    by_hospital: dict[str | None, dict] = {}
    for agg in by_dept:
        total = by_hospital.setdefault(agg["hospital_id"], {"hospital_id": agg["hospital_id"], "dept": None})
        for key, value in agg.items():
            if key not in ("hospital_id", "dept"):
                total[key] = (total.get(key) or 0) + (value or 0)
    both = [*by_hospital.values(), *by_dept]
    rows = []
    for agg in both:
        for ind in indicators:
            num, den = agg[f"n_{ind.id}"], agg[f"d_{ind.id}"]
            value = num / den if den else None
            score = None if value is None else (value if ind.kind == "score_mean" else 100 * value)
            rows.append({"hospital_id": agg["hospital_id"], "dept": agg["dept"], "indicator": ind.id,
                         "value": value, "score": score, "numerator": num, "denominator": den})
    rows.sort(key=lambda r: (r["hospital_id"] or "", r["dept"] is not None, r["dept"] or "", r["indicator"]))
    return pa.Table.from_pylist(rows, schema=SCORES_SCHEMA)


def write_scores(wh: Warehouse, catalogue: Catalogue, scoring: ScoringSpec, *, scheme: str) -> int:
    """Compute and write ``quality_scores``; return its row count."""
    return wh.replace("quality_scores", compute_scores(wh, catalogue, scoring, scheme=scheme))
