"""DRG settlement compiled to Ibis: standard = base rate (by fund) x level coefficient x relative weight.

Case types, first match wins: ``bed_day`` (long stays of bed-day departments), ``ungroupable`` (no group,
group without weight), ``death``, ``transfer``, ``high_outlier`` (cost > multiple x reference),
``low_outlier`` (cost < multiple x reference), ``normal``. The reference is the DRG mean cost or the standard
(``outlier_reference``). Each type is paid by the :class:`~hospeval.payment.spec.Method` of the rules.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.payment.cases import bed_day, mapped, pay
from hospeval.payment.rounding import round_to
from hospeval.payment.scenario import Scenario
from hospeval.payment.spec import DispositionRule, DrgRules, Method, PaymentRules
from hospeval.payment.store import write_scratch
from hospeval.warehouse import Warehouse

WEIGHTS_TABLE = "payment_drg_weights"
NORMAL = Method(method="standard", ratio=1.0)


def _reference(wh: Warehouse, scheme: str) -> ir.Table | None:
    """Latest version of ``drg_reference`` for ``scheme`` (drg, relative_weight, mean_cost, mean_los)."""
    if not wh.has_table("drg_reference"):
        return None
    r = wh.table("drg_reference")
    r = r.filter(r.scheme == scheme)
    latest = r.version.max().as_scalar()
    return r.filter(r.version == latest).select(
        "drg", relative_weight=r.relative_weight.cast("float64"), mean_cost=r.mean_cost.cast("float64"),
        mean_los=r.mean_los.cast("float64"))


def build_weights(wh: Warehouse, drg: DrgRules, scenario: Scenario) -> ir.Table:
    """Materialise the weights of a run (file or ``drg_reference``, what-if changes applied)."""
    ref = _reference(wh, drg.scheme)
    if drg.weights == "drg_reference":
        if ref is None:
            wh.require("drg_reference")
        base = ref
    else:
        file = pa.table({"drg": [d for d, _ in drg.weight_table],
                         "relative_weight": [w for _, w in drg.weight_table]})
        write_scratch(wh, WEIGHTS_TABLE, file)
        base = wh.table(WEIGHTS_TABLE)
        if ref is not None:  # group means for outliers and per-diem shares, when the reference stage ran
            base = base.left_join(ref.select("drg", "mean_cost", "mean_los"), "drg").select(
                base.drg, base.relative_weight, ref.mean_cost, ref.mean_los)
        else:
            base = base.mutate(mean_cost=ibis.null("float64"), mean_los=ibis.null("float64"))
    weight = base.relative_weight * scenario.weight_factor
    if scenario.weight_overrides:
        weight = base.drg.cases(*((d, ibis.literal(w, "float64")) for d, w in scenario.weight_overrides),
                                else_=weight)
    write_scratch(wh, WEIGHTS_TABLE, base.mutate(relative_weight=weight))
    return wh.table(WEIGHTS_TABLE)


def _disposition_hit(t: ir.Table, rule: DispositionRule) -> ir.BooleanValue:
    hit = t.discharge_disposition.isin(list(rule.dispositions)).fill_null(False)
    if rule.max_los_ratio is not None:
        short = t.los_days.cast("float64") < t.mean_los * rule.max_los_ratio
        hit = hit & short.fill_null(True)
    return hit


def settle_drg(cases: ir.Table, weights: ir.Table, rules: PaymentRules, run_id: str) -> ir.Table:
    """Per-case DRG settlement rows (``payment_settlements`` columns) for ``cases``."""
    drg = rules.drg
    assert drg is not None
    w = weights
    t = cases.left_join(w, cases.drg == w.drg).select(*cases.columns, w.relative_weight, w.mean_cost,
                                                       w.mean_los)
    fund = t.payer.substitute({k: v for k, v in drg.fund_of_payer.items() if k != "default"},
                              else_=drg.fund_of_payer.get("default", "default"))
    rate = mapped(fund, drg.base_rate) * mapped(t.level, drg.level_coefficient, 1.0)
    standard = rate * t.relative_weight
    reference = t.mean_cost.fill_null(standard) if drg.outlier_reference == "mean_cost" else standard
    cat, bed_pay = bed_day(t, rules.bed_day)
    # Stage 1: standard, thresholds, bed-day amount (each computed once).
    t = t.mutate(standard=standard, high_thr=reference * drg.high_outlier.multiple,
                 low_thr=reference * drg.low_outlier.multiple, bed_category=cat, bed_pay=bed_pay,
                 grouped=(t.drg_status == "grouped").fill_null(False) & t.relative_weight.notnull())
    # Stage 2: the case type.
    t = t.mutate(case_type=ibis.cases(
        (t.bed_category.notnull(), "bed_day"),
        (~t.grouped, "ungroupable"),
        (_disposition_hit(t, drg.death), "death"),
        (_disposition_hit(t, drg.transfer), "transfer"),
        (t.cost > t.high_thr, "high_outlier"),
        (t.cost < t.low_thr, "low_outlier"),
        else_="normal",
    ))
    # Stage 3: the payment of the case type's method.
    common = {"standard": t.standard, "cost": t.cost, "los": t.los_days, "mean_los": t.mean_los}
    t = t.mutate(payment=round_to(t.case_type.cases(
        ("bed_day", t.bed_pay),
        ("ungroupable", pay(drg.ungroupable, **common)),
        ("death", pay(drg.death.pay, **common)),
        ("transfer", pay(drg.transfer.pay, **common)),
        ("high_outlier", pay(drg.high_outlier.pay, threshold=t.high_thr, **common)),
        ("low_outlier", pay(drg.low_outlier.pay, threshold=t.low_thr, **common)),
        else_=pay(NORMAL, **common),
    ), 2))
    return t.select(
        run_id=ibis.literal(run_id),
        method=ibis.ifelse(t.case_type == "bed_day", "bed_day", "drg"),
        scheme=ibis.literal(drg.scheme),
        stay_id=t.stay_id, hospital_id=t.hospital_id,
        drg=t.drg, dip_group=ibis.null("string"),
        case_type=t.case_type,
        units=ibis.ifelse(t.grouped, t.relative_weight, ibis.null("float64")),
        cost=t.cost, payment=t.payment, surplus=round_to(t.payment - t.cost, 2),
        review=ibis.literal(False),
    )
