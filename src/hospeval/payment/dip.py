"""DIP (按病种分值付费) settlement compiled to Ibis, budget-neutral.

Case points (病例分值) by the ratio r = cost / group average cost (``dip_reference.mean_cost``):

- ``low_outlier``  r <= low_max_ratio: cost-based points r x group points;
- ``high_outlier`` high_min_ratio <= r <= extreme_min_ratio: ((r - high_min) x factor + 1) x group points;
- ``extreme_outlier`` r > extreme_min_ratio: flagged for review (特病单议), points by the ``extreme`` band;
- ``ungroupable``: cost / (yuan per point of the reference) x ungroupable_ratio;
- ``normal``: the group points.

Points are multiplied by the hospital coefficient (by hospital id, else by level). The point value is
budget / total points, and payments are apportioned in whole cents by largest remainder, so the DIP cases
are paid the budget exactly. Bed-day cases are paid per day outside the budget.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from hospeval.payment.cases import bed_day, mapped
from hospeval.payment.rounding import round_half_up, round_to
from hospeval.payment.spec import DipBand, DipRules, PaymentRules
from hospeval.payment.store import scalars, write_scratch
from hospeval.warehouse import Warehouse

POINTS_TABLE = "payment_dip_points"


@dataclass(frozen=True)
class DipPointValue:
    """The year's budget, total points and point value (点值) of one DIP run."""

    budget: float
    total_points: float
    point_value: float
    dip_cost: float


def _reference(wh: Warehouse, scheme: str) -> ir.Table:
    wh.require("dip_reference")
    r = wh.table("dip_reference")
    r = r.filter(r.scheme == scheme)
    latest = r.version.max().as_scalar()
    return r.filter(r.version == latest).select(
        "dip_group", n_ref=r.n_stays.cast("float64"), mean_cost=r.mean_cost.cast("float64"),
        group_points=r.points.cast("float64"))


def yuan_per_point(ref: ir.Table) -> float:
    """Yuan per point implied by the reference population (for cost-based points of ungroupable cases)."""
    row = scalars(ref.aggregate(c=(ref.mean_cost * ref.n_ref).sum(), p=(ref.group_points * ref.n_ref).sum()))
    cost, points = row.get("c") or 0.0, row.get("p") or 0.0
    return cost / points if points else 0.0


def _band_points(band: DipBand, ratio: ir.FloatingValue, group: ir.FloatingValue,
                 high_formula: ir.FloatingValue) -> ir.FloatingValue:
    base = {"group": group, "cost_based": ratio * group, "high_formula": high_formula}[band.points]
    return base * band.ratio


def case_points(cases: ir.Table, ref: ir.Table, rules: PaymentRules, per_point: float) -> ir.Table:
    """Per-case DIP points (before the point value) with the case type and the bed-day payment."""
    dip = rules.dip
    assert dip is not None
    t = cases.left_join(ref, cases.dip_group == ref.dip_group).select(
        *cases.columns, ref.mean_cost, ref.group_points)
    grouped = ((t.dip_status == "grouped").fill_null(False) & t.group_points.notnull()
               & (t.mean_cost > 0).fill_null(False))
    ratio = t.cost / t.mean_cost.nullif(0.0)
    high = ((ratio - dip.high_min_ratio) * dip.high_extra_factor + 1.0) * t.group_points
    cat, bed_pay = bed_day(t, rules.bed_day)
    case_type = ibis.cases(
        (cat.notnull(), "bed_day"),
        (~grouped, "ungroupable"),
        (ratio <= dip.low_max_ratio, "low_outlier"),
        (ratio > dip.extreme_min_ratio, "extreme_outlier"),
        (ratio >= dip.high_min_ratio, "high_outlier"),
        else_="normal",
    )
    ungroupable = (t.cost / per_point * dip.ungroupable_ratio) if per_point else ibis.literal(0.0)
    raw = case_type.cases(
        ("bed_day", 0.0),
        ("ungroupable", ungroupable),
        ("low_outlier", ratio * t.group_points),
        ("extreme_outlier", _band_points(dip.extreme, ratio, t.group_points, high)),
        ("high_outlier", high),
        else_=t.group_points,
    )
    coef = _coefficient(t, dip)
    return t.select(
        "stay_id", "hospital_id", "dip_group", "cost",
        case_type=case_type,
        points=ibis.greatest(raw.fill_null(0.0), 0.0) * coef,
        bed_pay=bed_pay.fill_null(0.0),
        review=(case_type == "extreme_outlier") & ibis.literal(dip.extreme.review),
    )


def _coefficient(t: ir.Table, dip: DipRules) -> ir.FloatingValue:
    by_level = mapped(t.level, dip.level_coefficient, 1.0)
    if not dip.hospital_coefficient:
        return by_level
    return t.hospital_id.cases(*((h, ibis.literal(c, "float64")) for h, c in dip.hospital_coefficient.items()),
                               else_=by_level)


def points_key(rules: PaymentRules) -> str:
    """Return the key of what case points depend on: DIP rules but the budget, bed-day rules, payers."""
    dip = dataclasses.replace(rules.dip, budget_amount=None, budget_share_of_cost=None)
    return hashlib.sha1(repr((dip, rules.bed_day, rules.payers)).encode()).hexdigest()[:16]


def _points(wh: Warehouse, cases: ir.Table, rules: PaymentRules, reuse: bool) -> ir.Table:
    """Case points, reused from the session when only the budget changed (budget what-ifs)."""
    key = points_key(rules)
    if reuse and wh.has_table(POINTS_TABLE):
        t = wh.table(POINTS_TABLE)
        if t.select("points_key").limit(1).to_pyarrow().column(0).to_pylist() == [key]:
            return t
    ref = _reference(wh, rules.dip.scheme)
    pts = case_points(cases, ref, rules, yuan_per_point(ref))
    write_scratch(wh, POINTS_TABLE, pts.mutate(points_key=ibis.literal(key)))
    return wh.table(POINTS_TABLE)


def settle_dip(wh: Warehouse, cases: ir.Table, rules: PaymentRules, run_id: str,
               reuse_points: bool = False) -> tuple[ir.Table, DipPointValue]:
    """Per-case DIP settlement rows and the run's point value; the DIP cases add up to the budget.

    ``reuse_points``: the cases are the session's prepared ones, so points computed for the same rules
    (budget aside) can be reused.
    """
    dip = rules.dip
    assert dip is not None
    p = _points(wh, cases, rules, reuse_points)
    in_budget = p.case_type != "bed_day"
    tot = scalars(p.aggregate(points=in_budget.ifelse(p.points, 0.0).sum(),
                              cost=in_budget.ifelse(p.cost, 0.0).sum()))
    total_points, dip_cost = float(tot.get("points") or 0.0), float(tot.get("cost") or 0.0)
    budget = dip.budget_amount if dip.budget_amount is not None else dip_cost * (dip.budget_share_of_cost or 0.0)
    budget = round_half_up(budget, 2)  # as round_to would in the engine
    pv = budget / total_points if total_points else 0.0
    rows = _apportion(p, pv, round(budget * 100) if total_points else 0)
    in_budget = rows.case_type != "bed_day"
    payment = in_budget.ifelse(rows.cents.cast("float64") / 100.0, round_to(rows.bed_pay, 2))
    out = rows.select(
        run_id=ibis.literal(run_id),
        method=ibis.ifelse(in_budget, "dip", "bed_day"),
        scheme=ibis.literal(dip.scheme),
        stay_id=rows.stay_id, hospital_id=rows.hospital_id,
        drg=ibis.null("string"), dip_group=rows.dip_group,
        case_type=rows.case_type, units=rows.points, cost=rows.cost,
        payment=payment, surplus=round_to(payment - rows.cost, 2), review=rows.review,
    )
    return out, DipPointValue(budget=budget, total_points=total_points, point_value=pv, dip_cost=dip_cost)


def _apportion(p: ir.Table, pv: float, budget_cents: int) -> ir.Table:
    """Whole cents per case adding up to the budget exactly (largest remainder).

    Each case gets round(points x value) cents; the difference to the budget (a few cents) is given to
    (or taken from) the cases with the largest (smallest) rounding residue, ties by stay_id. Only those
    few cases are sorted (top-N), not the whole table.
    """
    in_budget = p.case_type != "bed_day"
    exact = ibis.ifelse(in_budget, p.points * (pv * 100.0), 0.0)
    t = p.mutate(rounded=exact.round().cast("int64"), resid=exact - exact.round())
    diff = budget_cents - int(scalars(t.aggregate(s=t.rounded.sum())).get("s") or 0)
    if diff == 0:
        return t.mutate(cents=t.rounded)
    eligible = t.filter(t.case_type != "bed_day")
    order = [ibis.desc(eligible.resid) if diff > 0 else eligible.resid, eligible.stay_id]
    adjust = eligible.order_by(order).limit(abs(diff)).select("stay_id", adj=ibis.literal(1 if diff > 0 else -1))
    j = t.left_join(adjust, "stay_id")
    return j.select(*[j[c] for c in t.columns], cents=j.rounded + j.adj.fill_null(0))
