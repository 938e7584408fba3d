"""Per-capita budget of a close medical consortium: "surplus retained, reasonable overspend shared".

Budget = enrolled population x per-capita amount. The population is listed per consortium; otherwise,
with ``admission_rate``, estimated as the consortium's distinct inpatients / admission rate (住院率);
otherwise ``default_population``. Actual = the consortium members' inpatient cost (or the
payments of a settlement run). A surplus is kept by the consortium (``surplus_retained`` share); an overspend
is shared progressively by bands of the overspend ratio, the fund paying ``fund_share`` of each band.

Examples
--------
Budget 1,000,000, actual 1,080,000, bands 0-5 % fund 70 %, 5-10 % fund 50 %: the fund adds
0.05 x 1e6 x 0.7 + 0.03 x 1e6 x 0.5 = 50,000; the consortium bears the other 30,000.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hospeval.payment.rounding import round_to
from hospeval.payment.spec import CapitationRules


def fund_share_of_overspend(over_ratio: ir.FloatingValue, rules: CapitationRules) -> ir.FloatingValue:
    """Share of the budget the fund adds for an overspend ratio, summed over the progressive bands."""
    total: ir.FloatingValue = ibis.literal(0.0)
    lower = 0.0
    for band in rules.bands:
        upper = over_ratio if band.upto is None else ibis.least(over_ratio, band.upto)
        total = total + ibis.greatest(upper - lower, 0.0) * band.fund_share
        lower = band.upto if band.upto is not None else lower
    return total


def settle_capitation(spend: ir.Table, rules: CapitationRules, run_id: str) -> ir.Table:
    """Per consortium settlement from ``spend`` (consortium_id, actual, patients).

    Returns run_id, consortium_id, population, per_capita, budget, actual, balance, overspend_ratio,
    fund_extra, retained, fund_payment, consortium_result (fund payment - actual).
    """
    fallback = ibis.literal(float(rules.default_population))
    if rules.admission_rate and "patients" in spend.columns:
        fallback = round_to(spend.patients.cast("float64") / rules.admission_rate, 0)
    listed = [(k, ibis.literal(float(v))) for k, v in rules.population.items()]
    population = spend.consortium_id.cases(*listed, else_=fallback) if listed else fallback
    budget = population * rules.per_capita
    balance = budget - spend.actual
    over_ratio = ibis.greatest(spend.actual - budget, 0.0) / budget.nullif(0.0)
    fund_extra = round_to(fund_share_of_overspend(over_ratio.fill_null(0.0), rules) * budget, 2)
    retained = round_to(ibis.greatest(balance, 0.0) * rules.surplus_retained, 2)
    fund_payment = round_to(ibis.ifelse(balance >= 0, spend.actual + retained, budget + fund_extra), 2)
    return spend.select(
        run_id=ibis.literal(run_id), consortium_id=spend.consortium_id,
        population=population.cast("int64"), per_capita=ibis.literal(rules.per_capita),
        budget=round_to(budget, 2), actual=round_to(spend.actual, 2), balance=round_to(balance, 2),
        overspend_ratio=over_ratio, fund_extra=fund_extra, retained=retained,
        fund_payment=fund_payment, consortium_result=round_to(fund_payment - spend.actual, 2),
    ).order_by("consortium_id")
