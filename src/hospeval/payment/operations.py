"""Operations decision support (运营管理): revenue structure, cost per case and per weight, bed use, energy.

Energy is per 10,000 yuan of income.

Finance lines come from ``hospital_facts`` (metrics of schema/metrics.yaml); a year's value is the annual
row when there is one, else the sum of its monthly rows (the mean for stocks such as open beds).
Front-page figures come from ``stays``. Budget execution lives in :mod:`hospeval.payment.budget`.

Result tables: ``ops_revenue_structure`` (hospital_id, period, source, line, amount, total, share) and
``ops_efficiency`` (hospital_id, period, discharges, cost, cost_per_case, total_weight, cost_per_weight,
avg_los, beds, bed_days_open, bed_days_occupied, occupancy, turnover, energy_per_10k_income).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hospeval.model import table_spec
from hospeval.payment.rounding import round_to
from hospeval.payment.store import write_scratch, write_table
from hospeval.warehouse import Warehouse

REVENUE = "ops_revenue_structure"
EFFICIENCY = "ops_efficiency"
STOCK_METRICS = ("beds_open", "staff_health_technicians", "staff_doctors", "staff_nurses")
FINANCE_LINES = ("revenue_medical_service", "revenue_drugs", "revenue_consumables", "revenue_exam_lab")
YEAR_METRICS = ("revenue_total", "revenue_medical", *FINANCE_LINES, "expense_energy", "beds_open",
                "bed_days_open", "bed_days_occupied")


def facts_by_year(wh: Warehouse, metrics: tuple[str, ...] = YEAR_METRICS) -> ir.Table:
    """hospital_id, period (YYYY), metric, value: annual rows, else monthly rows summed (stocks averaged)."""
    f = wh.table("hospital_facts")
    f = f.filter(f.metric.isin(list(metrics)))
    annual = f.filter(f.period.length() == 4).select("hospital_id", "period", "metric", "value")
    m = f.filter(f.period.length() == 7)
    monthly = m.group_by(["hospital_id", m.period.substr(0, 4).name("period"), "metric"]).aggregate(
        total=m.value.sum(), avg=m.value.mean(),
    )
    monthly = monthly.select("hospital_id", "period", "metric",
                             value=ibis.ifelse(monthly.metric.isin(list(STOCK_METRICS)), monthly.avg, monthly.total))
    only_monthly = monthly.anti_join(annual, ["hospital_id", "period", "metric"])
    return annual.union(only_monthly)


def _wide(facts: ir.Table, metrics: tuple[str, ...]) -> ir.Table:
    return facts.group_by(["hospital_id", "period"]).aggregate(
        **{m: facts.value.max(where=facts.metric == m) for m in metrics})


def stay_costs(wh: Warehouse) -> ir.Table:
    """Stays with period (YYYY), LOS and one column per cost group of schema/stays.yaml."""
    s = wh.table("stays")
    groups: dict[str, list[str]] = {}
    for c in table_spec("stays").columns:
        if c.cost_group:
            groups.setdefault(c.cost_group, []).append(c.name)
    cols = {f"cost_{g}": sum((s[c].cast("float64").fill_null(0.0) for c in names), ibis.literal(0.0))
            for g, names in groups.items()}
    return s.select("stay_id", "hospital_id", "discharge_dept", "attending_doctor", "los_days",
                    period=s.discharge_time.year().cast("string"),
                    month=s.discharge_time.strftime("%Y-%m"),
                    cost=s.cost_total.cast("float64"), **cols)


def revenue_structure(wh: Warehouse) -> ir.Table:
    """Shares of service, drugs, consumables, exam and lab: from the finance report and from the front page."""
    parts = []
    # the two aggregates are work tables read by each line's rows (Spark would otherwise aggregate per line)
    wide = write_scratch(wh, "ops_revenue_finance", _wide(facts_by_year(wh), ("revenue_medical", *FINANCE_LINES)))
    for line in FINANCE_LINES:
        parts.append(wide.select(
            "hospital_id", "period", source=ibis.literal("finance"), line=ibis.literal(line),
            amount=wide[line], total=wide.revenue_medical,
        ))
    s = stay_costs(wh)
    groups = [c for c in s.columns if c.startswith("cost_")]
    a = write_scratch(wh, "ops_revenue_front_page", s.group_by(["hospital_id", "period"]).aggregate(
        total=s.cost.sum(), **{g: s[g].sum() for g in groups}))
    for g in groups:
        parts.append(a.select("hospital_id", "period", source=ibis.literal("front_page"),
                              line=ibis.literal(f"inpatient_{g.removeprefix('cost_')}"),
                              amount=a[g], total=a.total))
    u = ibis.union(*parts)
    u = u.filter(u.amount.notnull())
    return u.mutate(amount=round_to(u.amount, 2), total=round_to(u.total, 2),
                    share=round_to(u.amount / u.total.nullif(0.0), 4)).order_by(["hospital_id", "period", "source", "line"])


def _weights(wh: Warehouse, scheme: str) -> ir.Table | None:
    if not (wh.has_table("drg_reference") and wh.has_table("stay_groups")):
        return None
    r = wh.table("drg_reference")
    r = r.filter(r.scheme == scheme)
    r = r.filter(r.version == r.version.max().as_scalar())
    g = wh.table("stay_groups")
    g = g.filter((g.scheme == scheme) & (g.status == "grouped"))
    return g.join(r, g.drg == r.drg).select(g.stay_id, weight=r.relative_weight.cast("float64"))


def efficiency(wh: Warehouse, scheme: str = "chs-drg-1.1") -> ir.Table:
    """Per hospital and year: cost per case and per weight, average LOS, bed use and energy intensity."""
    s = stay_costs(wh)
    w = _weights(wh, scheme)
    if w is not None:
        s = s.left_join(w, "stay_id").select(*s.columns, w.weight)
    else:
        s = s.mutate(weight=ibis.null("float64"))
    a = s.group_by(["hospital_id", "period"]).aggregate(
        discharges=s.count(), cost=s.cost.sum(), los_total=s.los_days.sum().cast("float64"),
        total_weight=s.weight.sum())
    f = _wide(facts_by_year(wh), ("revenue_total", "expense_energy", "beds_open", "bed_days_open",
                                  "bed_days_occupied"))
    h = wh.table("hospitals").select("hospital_id", hospital_beds=wh.table("hospitals").beds.cast("float64"))
    j = a.left_join(f, ["hospital_id", "period"]).select(*a.columns, *[f[c] for c in f.columns
                                                                       if c not in ("hospital_id", "period")])
    j = j.left_join(h, "hospital_id").select(*j.columns, h.hospital_beds)
    beds = j.beds_open.fill_null(j.hospital_beds)
    days_in_year = ibis.ifelse(j.period.cast("int32") % 4 == 0, 366.0, 365.0)
    open_days = j.bed_days_open.fill_null(beds * days_in_year)
    occupied = j.bed_days_occupied.fill_null(j.los_total)
    return j.select(
        "hospital_id", "period", "discharges", cost=round_to(j.cost, 2),
        cost_per_case=round_to(j.cost / j.discharges.nullif(0), 2),
        total_weight=round_to(j.total_weight, 4),
        cost_per_weight=round_to(j.cost / j.total_weight.nullif(0.0), 2),
        avg_los=round_to(j.los_total / j.discharges.nullif(0), 2),
        beds=beds, bed_days_open=open_days, bed_days_occupied=occupied,
        occupancy=round_to(occupied / open_days.nullif(0.0), 4),
        turnover=round_to(j.discharges / beds.nullif(0.0), 2),
        energy_per_10k_income=round_to(j.expense_energy / (j.revenue_total / 10000.0).nullif(0.0), 2),
    ).order_by(["hospital_id", "period"])


def run_operations(wh: Warehouse, scheme: str = "chs-drg-1.1") -> tuple[int, int]:
    """Store ``ops_revenue_structure`` and ``ops_efficiency``; return their row counts."""
    wh.require("stays", "hospitals")
    wh.ensure_schema()  # an empty hospital_facts when none was loaded: finance lines are then NULL
    return write_table(wh, REVENUE, revenue_structure(wh)), write_table(wh, EFFICIENCY, efficiency(wh, scheme))
