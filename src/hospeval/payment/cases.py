"""Settlement cases: stays joined once with their hospital, DRG group and DIP group (no regrouping).

:func:`prepare_cases` materialises ``payment_cases_<method>`` so that a baseline and any number of what-if runs read
the same grouped cases; the helpers here are the Ibis pieces the DRG and DIP compilers share
(code-to-value maps, bed-day classification, payment methods).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from hospeval.payment.spec import BedDayCategory, Method, PaymentRules
from hospeval.payment.store import write_scratch
from hospeval.warehouse import Warehouse

CASES_TABLE = "payment_cases"  # + "_drg" / "_dip"


def cases_table(method: str) -> str:
    """Name of the prepared-cases work table of a method."""
    return f"{CASES_TABLE}_{method}"
CASE_COLUMNS = ("stay_id", "hospital_id", "patient_id", "level", "consortium_id", "discharge_dept", "attending_doctor",
                "payer", "los_days", "discharge_disposition", "cost", "period",
                "drg_status", "drg", "dip_status", "dip_group", "selection")


def selection_key(rules: PaymentRules, method: str, period: str | None) -> str:
    """Return the key a prepared case table was selected by: method, scheme, payers and period."""
    scheme = getattr(rules, method).scheme
    return f"{method}={scheme};payers={','.join(rules.payers)};period={period or ''}"


def _groups(wh: Warehouse, table: str, scheme: str | None, code: str) -> ir.Table | None:
    if scheme is None or not wh.has_table(table):
        return None
    t = wh.table(table)
    return t.filter(t.scheme == scheme).select("stay_id", status=t.status.cast("string"),
                                               **{code: t[code].cast("string")})


def build_cases(wh: Warehouse, rules: PaymentRules, method: str, period: str | None = None) -> ir.Table:
    """Ibis expression of the settlement cases of ``rules`` (insured stays of the period).

    Only the group table of ``method`` is joined (``stay_groups`` for DRG, ``stay_dip_groups`` for DIP).
    """
    wh.require("stays", "hospitals")
    s = wh.table("stays")
    if rules.payers:
        s = s.filter(s.payer.isin(list(rules.payers)))
    s = s.mutate(period=s.discharge_time.year().cast("string"))
    if period:
        s = s.filter(s.discharge_time.strftime("%Y-%m").startswith(period))
    h = wh.table("hospitals").select("hospital_id", "level", "consortium_id")
    t = s.left_join(h, "hospital_id").select(
        s.stay_id, s.hospital_id, s.patient_id, h.level, h.consortium_id, s.discharge_dept, s.attending_doctor, s.payer,
        s.los_days, s.discharge_disposition, cost=s.cost_total.cast("float64"), period=s.period,
    )
    drg_scheme = rules.drg.scheme if rules.drg and method == "drg" else None
    dip_scheme = rules.dip.scheme if rules.dip and method == "dip" else None
    g = _groups(wh, "stay_groups", drg_scheme, "drg")
    if g is not None:
        t = t.left_join(g, "stay_id").select(*t.columns, drg_status=g.status, drg=g.drg)
    else:
        t = t.mutate(drg_status=ibis.null("string"), drg=ibis.null("string"))
    d = _groups(wh, "stay_dip_groups", dip_scheme, "dip_group")
    if d is not None:
        t = t.left_join(d, "stay_id").select(*t.columns, dip_status=d.status, dip_group=d.dip_group)
    else:
        t = t.mutate(dip_status=ibis.null("string"), dip_group=ibis.null("string"))
    return t.mutate(selection=ibis.literal(selection_key(rules, method, period))).select(*CASE_COLUMNS)


def prepare_cases(wh: Warehouse, rules: PaymentRules, method: str, period: str | None = None) -> ir.Table:
    """Materialise ``payment_cases`` for ``rules`` and return it (what-if runs reuse it).

    A session work table (``wh.scratch``): what-if runs of the same session reuse it; a new session
    prepares it again from the stored groups (a join, never a regrouping).
    """
    write_scratch(wh, cases_table(method), build_cases(wh, rules, method, period))
    return wh.table(cases_table(method))


def cases_match(wh: Warehouse, rules: PaymentRules, method: str, period: str | None = None) -> bool:
    """Tell whether the method's prepared cases exist for the same scheme, payers and period."""
    if not wh.has_table(cases_table(method)):
        return False
    t = wh.table(cases_table(method))
    got = t.select("selection").limit(1).to_pyarrow().column(0).to_pylist()
    return got == [selection_key(rules, method, period)]


# -- shared expressions -------------------------------------------------------------------------------


def mapped(col: ir.Column, mapping: Mapping[str, float], default: float | None = None) -> ir.FloatingValue:
    """Value of ``mapping`` for each code in ``col`` (``default`` key, then ``default`` argument)."""
    fallback = mapping.get("default", default)
    specific = {k: v for k, v in mapping.items() if k != "default"}
    base = ibis.literal(fallback, "float64") if fallback is not None else ibis.null("float64")
    if not specific:
        return base
    return col.cases(*((k, ibis.literal(v, "float64")) for k, v in specific.items()), else_=base)


def dept_matches(dept: ir.StringColumn, prefixes: tuple[str, ...]) -> ir.BooleanValue:
    """Flag stays whose department code starts with any of ``prefixes``."""
    cond = ibis.literal(False)
    for p in prefixes:
        cond = cond | dept.startswith(p)
    return cond.fill_null(False)


def bed_day(t: ir.Table, categories: tuple[BedDayCategory, ...]) -> tuple[ir.StringValue, ir.FloatingValue]:
    """(category, payment) of bed-day cases; NULL category for other stays. First matching category wins."""
    name: ir.StringValue = ibis.null("string")
    pay: ir.FloatingValue = ibis.null("float64")
    for cat in reversed(categories):
        hit = dept_matches(t.discharge_dept, cat.departments) & (t.los_days >= cat.min_los)
        days = t.los_days.cast("float64")
        if cat.max_days is not None:
            days = ibis.least(days, ibis.literal(float(cat.max_days)))
        amount = mapped(t.level, cat.daily_rate) * days
        name = ibis.ifelse(hit, ibis.literal(cat.name), name)
        pay = ibis.ifelse(hit, amount, pay)
    return name, pay


def pay(method: Method, *, standard: ir.FloatingValue, cost: ir.FloatingValue, los: ir.NumericValue,
        mean_los: ir.FloatingValue, threshold: ir.FloatingValue | None = None) -> ir.FloatingValue:
    """Payment of a case under ``method`` (see :class:`~hospeval.payment.spec.Method`); never negative."""
    ratio = ibis.literal(method.ratio, "float64")
    if method.method == "standard":
        amount = standard * ratio
    elif method.method == "cost":
        amount = cost * ratio
        if method.cap_multiple is not None:
            cap = standard * ibis.literal(method.cap_multiple, "float64")
            amount = ibis.ifelse(cap.isnull(), amount, ibis.least(amount, cap))
    elif method.method == "per_diem":
        share = ibis.least(ibis.literal(1.0), ratio * los.cast("float64") / mean_los.nullif(0.0))
        amount = standard * share.fill_null(1.0)
    elif method.method == "excess":
        over = ibis.greatest(cost - threshold, ibis.literal(0.0)) if threshold is not None else 0.0
        amount = standard + over * ratio
    else:  # fixed
        amount = ibis.literal(method.amount, "float64")
    return ibis.greatest(amount.fill_null(0.0), ibis.literal(0.0))
