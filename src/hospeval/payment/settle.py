"""Settlement runs: per-case settlement, run headers, rollups and what-if comparisons.

Result tables (one stage writes them): ``payment_settlements`` (per case, see docs/contracts.md),
``payment_runs`` (one row per run: rules, scenario, totals, DIP point value) and ``payment_capitation``
(per consortium). Runs have deterministic ids, so re-running replaces a run's rows.

Examples
--------
>>> from hospeval.payment.settle import simulate       # doctest: +SKIP
>>> run = simulate(wh, load_rules("demo/2024"), method="drg")
>>> run.payment
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.errors import HospevalError
from hospeval.payment.capitation import settle_capitation
from hospeval.payment.cases import cases_match, cases_table, prepare_cases
from hospeval.payment.dip import settle_dip
from hospeval.payment.drg import build_weights, settle_drg
from hospeval.payment.rounding import round_to
from hospeval.payment.scenario import Scenario, run_id
from hospeval.payment.spec import PaymentRules
from hospeval.payment.store import replace_run, replace_run_arrow
from hospeval.warehouse import Warehouse

SETTLEMENTS = "payment_settlements"
RUNS = "payment_runs"
CAPITATION = "payment_capitation"
WHATIF_CASES = "payment_whatif_cases"  # session work table (wh.scratch): per-case rows of what-if runs
LEVELS = {
    "hospital": ("hospital_id",),
    "dept": ("hospital_id", "discharge_dept"),
    "doctor": ("hospital_id", "discharge_dept", "attending_doctor"),
    "group": ("method", "scheme", "drg", "dip_group"),
    "case_type": ("method", "case_type"),
}


class PaymentError(HospevalError):
    """A settlement that cannot run (rules lack the method asked for, no cases...)."""

    reason = "payment"


@dataclass(frozen=True)
class SettlementRun:
    """Header of one settlement run (a row of ``payment_runs``)."""

    run_id: str
    rules_id: str
    method: str
    scheme: str
    scenario: str
    period: str
    cases: int
    cost: float
    payment: float
    budget: float | None = None
    point_value: float | None = None
    total_points: float | None = None
    by_case_type: dict[str, tuple[int, float]] = field(default_factory=dict, compare=False)
    case_table: str = SETTLEMENTS

    @property
    def surplus(self) -> float:
        """Payment minus cost over all cases (positive: hospitals gain)."""
        return self.payment - self.cost


def methods_of(rules: PaymentRules) -> list[str]:
    """Settlement methods the rules define, in order (``drg``, ``dip``)."""
    return [m for m in ("drg", "dip") if getattr(rules, m) is not None]


def simulate(wh: Warehouse, rules: PaymentRules, *, method: str | None = None,
             scenario: Scenario | None = None, period: str | None = None, reuse_cases: bool = False,
             capitation: bool = True, keep_cases: bool = True) -> SettlementRun:
    """Settle every case of ``rules`` (one method) and store the run.

    Parameters
    ----------
    wh : Warehouse
        Warehouse with stays, hospitals, the group tables and the reference tables.
    rules : PaymentRules
        The region's rules.
    method : str, optional
        ``drg`` or ``dip``; default the first the rules define.
    scenario : Scenario, optional
        What-if changes; the grouping is reused, never recomputed.
    period : str, optional
        ``YYYY`` or ``YYYY-MM`` prefix of the discharge date; default every stay.
    reuse_cases : bool
        Reuse the prepared ``payment_cases`` when they match (what-if reruns).
    capitation : bool
        Also settle the consortia when the rules have a capitation section.
    keep_cases : bool
        Store the per-case rows in ``payment_settlements``; otherwise in a session work table (what-if
        runs: the run header, rollups and comparisons work the same within the session).
    """
    scenario = scenario or Scenario()
    available = methods_of(rules)
    method = method or available[0]
    if method not in available:
        raise PaymentError(f"rules {rules.id} define no {method} section (have: {', '.join(available)})",
                           file=rules.path)
    applied = scenario.apply(rules)
    rid = run_id(rules, method, scenario, period)
    reused = reuse_cases and cases_match(wh, applied, method, period)
    cases = wh.table(cases_table(method)) if reused else prepare_cases(wh, applied, method, period)
    point = None
    if method == "drg":
        rows = settle_drg(cases, build_weights(wh, applied.drg, scenario), applied, rid)
        scheme = applied.drg.scheme
    else:
        rows, point = settle_dip(wh, cases, applied, rid, reuse_points=reused)
        scheme = applied.dip.scheme
    table = SETTLEMENTS if keep_cases else WHATIF_CASES
    replace_run(wh, table, rid, rows, temp=not keep_cases)
    run = _header(wh, rid, rules, method, scheme, scenario, period, point, table)
    replace_run_arrow(wh, RUNS, rid, _run_row(run))
    if capitation and applied.capitation is not None:
        spend = _spend(wh, rid, applied, cases)
        replace_run(wh, CAPITATION, rid, settle_capitation(spend, applied.capitation, rid))
    return run


def _header(wh: Warehouse, rid: str, rules: PaymentRules, method: str, scheme: str, scenario: Scenario,
            period: str | None, point, table: str) -> SettlementRun:
    s = wh.table(table)
    s = s.filter(s.run_id == rid)
    by_type = s.group_by("case_type").aggregate(
        n=s.count(), cost=s.cost.sum(), paid=s.payment.sum()).to_pyarrow().to_pylist()
    return SettlementRun(
        run_id=rid, rules_id=rules.id, method=method, scheme=scheme, scenario=scenario.name,
        period=period or "", cases=sum(int(r["n"]) for r in by_type),
        cost=sum(float(r["cost"] or 0.0) for r in by_type),
        payment=sum(float(r["paid"] or 0.0) for r in by_type),
        budget=point.budget if point else None, point_value=point.point_value if point else None,
        total_points=point.total_points if point else None,
        by_case_type={r["case_type"]: (int(r["n"]), float(r["paid"] or 0.0)) for r in by_type},
        case_table=table,
    )


def _run_row(run: SettlementRun) -> pa.Table:
    return pa.table({
        "run_id": [run.run_id], "rules_id": [run.rules_id], "method": [run.method], "scheme": [run.scheme],
        "scenario": [run.scenario], "period": [run.period], "cases": [run.cases], "cost": [run.cost],
        "payment": [run.payment], "surplus": [run.surplus],
        "budget": pa.array([run.budget], pa.float64()), "point_value": pa.array([run.point_value], pa.float64()),
        "total_points": pa.array([run.total_points], pa.float64()),
        "created_at": [dt.datetime.now(dt.UTC).replace(tzinfo=None)], "status": ["done"],
        "case_table": [run.case_table],
    })


def _spend(wh: Warehouse, rid: str, rules: PaymentRules, cases: ir.Table) -> ir.Table:
    """Per consortium: actual spend (cost of the cases, or the run's payments) and distinct inpatients."""
    c = cases.filter(cases.consortium_id.notnull())
    if rules.capitation.actual == "payment":
        s = settlements(wh, rid).select("stay_id", "payment")
        c = c.join(s, "stay_id")
        value = c.payment
    else:
        value = c.cost
    return c.group_by("consortium_id").aggregate(actual=value.sum(), patients=c.patient_id.nunique())


def settlements(wh: Warehouse, rid: str) -> ir.Table:
    """Settlement rows of one run (kept in ``payment_settlements``, or session-only for a what-if)."""
    table = SETTLEMENTS
    if wh.has_table(RUNS):
        r = wh.table(RUNS)
        found = r.filter(r.run_id == rid).case_table.to_pyarrow().to_pylist()
        table = found[0] if found else SETTLEMENTS
    if not wh.has_table(table):
        raise PaymentError(f"the case rows of run {rid} were kept for its session only; rerun the what-if "
                           "(or use --keep-cases)")
    s = wh.table(table)
    return s.filter(s.run_id == rid)


def rollup(wh: Warehouse, rid: str, level: str = "hospital") -> ir.Table:
    """Cases, cost, payment, surplus and outlier counts of a run per hospital / dept / doctor / group."""
    if level not in LEVELS:
        raise PaymentError(f"unknown rollup level {level!r} (use {', '.join(LEVELS)})")
    s = settlements(wh, rid)
    if level in ("dept", "doctor"):
        c = wh.table("stays").select("stay_id", "discharge_dept", "attending_doctor")
        s = s.left_join(c, "stay_id").select(*s.columns, c.discharge_dept, c.attending_doctor)
    keys = LEVELS[level]
    out = s.group_by(list(keys)).aggregate(
        cases=s.count(),
        units=s.units.sum(),
        cost=round_to(s.cost.sum(), 2),
        payment=round_to(s.payment.sum(), 2),
        surplus=round_to(s.surplus.sum(), 2),
        high_outliers=(s.case_type.isin(["high_outlier", "extreme_outlier"])).cast("int64").sum(),
        low_outliers=(s.case_type == "low_outlier").cast("int64").sum(),
        loss_cases=(s.surplus < 0).cast("int64").sum(),
    )
    return out.mutate(payment_to_cost=round_to(out.payment / out.cost.nullif(0.0), 4)).order_by(list(keys))


def compare(wh: Warehouse, base_id: str, scenario_id: str, level: str = "hospital") -> ir.Table:
    """Baseline vs scenario payment per ``level`` unit: payment of each, difference and relative change."""
    keys = list(LEVELS[level])
    b = rollup(wh, base_id, level).select(*keys, cases="cases", cost="cost", base_payment="payment")
    s = rollup(wh, scenario_id, level).select(*keys, scenario_payment="payment")
    j = b.left_join(s, keys).select(*[b[k] for k in keys], b.cases, b.cost, b.base_payment, s.scenario_payment)
    delta = round_to(j.scenario_payment.fill_null(0.0) - j.base_payment, 2)
    return j.mutate(delta=delta, delta_ratio=round_to(delta / j.base_payment.nullif(0.0), 4)).order_by(keys)


@dataclass(frozen=True)
class WhatIf:
    """A baseline and a scenario run of the same rules and cases."""

    baseline: SettlementRun
    scenario: SettlementRun


def whatif(wh: Warehouse, rules: PaymentRules, scenario: Scenario, *, method: str | None = None,
           period: str | None = None, keep_cases: bool = False) -> WhatIf:
    """Run (or reuse) the baseline and the scenario on the same prepared cases; no regrouping.

    The scenario's per-case rows stay in a session work table unless ``keep_cases``; its run header,
    consortium settlement and every rollup / comparison are stored or computed as for the baseline.
    """
    method = method or methods_of(rules)[0]
    base_id = run_id(rules, method, Scenario(), period)
    base = _stored(wh, base_id) if cases_match(wh, rules, method, period) else None
    if base is None:
        base = simulate(wh, rules, method=method, period=period, reuse_cases=True)
    scen = simulate(wh, rules, method=method, scenario=scenario, period=period, reuse_cases=True,
                    keep_cases=keep_cases)
    return WhatIf(baseline=base, scenario=scen)


def _stored(wh: Warehouse, rid: str) -> SettlementRun | None:
    if not (wh.has_table(RUNS) and wh.has_table(SETTLEMENTS)):
        return None
    r = wh.table(RUNS)
    rows = r.filter(r.run_id == rid).to_pyarrow().to_pylist()
    if not rows:
        return None
    row = rows[0]
    return SettlementRun(
        run_id=rid, rules_id=row["rules_id"], method=row["method"], scheme=row["scheme"],
        scenario=row["scenario"], period=row["period"], cases=row["cases"], cost=row["cost"],
        payment=row["payment"], budget=row["budget"], point_value=row["point_value"],
        total_points=row["total_points"], case_table=row.get("case_table") or SETTLEMENTS,
    )


def run_ids(wh: Warehouse) -> list[str]:
    """Ids of the stored runs, newest first."""
    if not wh.has_table(RUNS):
        return []
    r = wh.table(RUNS)
    return r.order_by(ibis.desc(r.created_at)).run_id.to_pyarrow().to_pylist()
