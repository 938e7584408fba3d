"""End-to-end payment stage for ``hospeval demo``.

Default settlement, a what-if, standards, operations, budget execution and performance inputs, written to
the warehouse and to ``<output>/payment/``.

Each part runs when the tables it needs exist and otherwise reports why it was skipped.
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import ibis
import pyarrow as pa

from hospeval.payment import budget, operations, performance, standards
from hospeval.payment.export import write_csv, write_workbook
from hospeval.payment.scenario import Scenario
from hospeval.payment.settle import CAPITATION, RUNS, compare, rollup, settlements, simulate, whatif
from hospeval.payment.spec import PaymentRules, load_rules
from hospeval.pipeline import RunContext, StageSummary, cpu_timer
from hospeval.warehouse import Warehouse

DEMO_RULES = "demo/2024"
FALLBACK_DRG_RULES = "harbin/2024"  # published weights, when the reference stage has not run


SCHEME_TABLES = ("stay_groups", "stay_dip_groups", "drg_reference", "dip_reference")


def _schemes(wh: Warehouse) -> dict[str, set[str]]:
    """Schemes with rows in each group / reference table, in one query for the whole stage."""
    found: dict[str, set[str]] = {table: set() for table in SCHEME_TABLES}
    parts = [wh.table(t).select(scheme=ibis._.scheme.cast("string"), source=ibis.literal(t)).distinct()
             for t in SCHEME_TABLES if wh.has_table(t)]
    if parts:
        for row in wh.to_arrow(ibis.union(*parts, distinct=False)).to_pylist():
            found[row["source"]].add(row["scheme"])
    return found


def _has_rows(schemes: dict[str, set[str]], table: str, scheme: str) -> bool:
    return scheme in schemes[table]


def _demo_rules(wh: Warehouse) -> PaymentRules:
    """Load the demo rules; every stay counts as insured when no stay carries an insured payer code."""
    rules = load_rules(DEMO_RULES)
    s = wh.table("stays")
    if rules.payers and not s.filter(s.payer.isin(list(rules.payers))).count().execute():
        rules = rules.replace(payers=())
    return rules


def _drg_rules(schemes: dict[str, set[str]], scheme: str, demo: PaymentRules) -> PaymentRules | None:
    if not _has_rows(schemes, "stay_groups", scheme):
        return None
    rules = demo
    if not _has_rows(schemes, "drg_reference", scheme):
        rules = rules.replace(drg=load_rules(FALLBACK_DRG_RULES).drg)
    return rules.replace(drg=dataclasses.replace(rules.drg, scheme=scheme))


def _settle(ctx: RunContext, summary: StageSummary, sheets: dict[str, pa.Table],
            schemes: dict[str, set[str]]) -> None:
    wh = ctx.warehouse
    demo = _demo_rules(wh)
    rules = _drg_rules(schemes, ctx.scheme, demo)
    runs = []
    if rules is None:
        summary.lines.append(f"DRG settlement skipped: no stay_groups for {ctx.scheme}")
    else:
        run = simulate(wh, rules, method="drg")
        runs.append(run)
        res = whatif(wh, rules, Scenario(base_rate_factor=1.05), method="drg")
        delta = res.scenario.payment - res.baseline.payment
        summary.lines.append(f"what-if base rate x1.05: DRG payment {delta:+,.0f} yuan "
                             f"({delta / res.baseline.payment:+.2%})" if res.baseline.payment else "what-if: no payment")
        sheets["whatif_base_rate_1.05"] = wh.to_arrow(compare(wh, res.baseline.run_id, res.scenario.run_id))
    if demo.dip and _has_rows(schemes, "stay_dip_groups", demo.dip.scheme) and _has_rows(schemes, "dip_reference", demo.dip.scheme):
        runs.append(simulate(wh, demo.replace(capitation=None), method="dip"))
    elif demo.dip:
        summary.lines.append(f"DIP settlement skipped: no stay_dip_groups / dip_reference for {demo.dip.scheme}")
    for run in runs:
        summary.lines.append(
            f"{run.method.upper()} ({run.rules_id}): {run.cases:,} cases, cost {run.cost:,.0f}, payment "
            f"{run.payment:,.0f}, surplus {run.surplus:+,.0f}"
            + (f"; point value {run.point_value:.2f}" if run.point_value is not None else ""))
        for level in ("hospital", "dept", "group", "case_type"):
            sheets[f"{run.method}_by_{level}"] = wh.to_arrow(rollup(wh, run.run_id, level))
        summary.files.append(write_csv(wh.to_arrow(settlements(wh, run.run_id)),
                                       _out(ctx) / f"settlements_{run.method}.csv"))
    if runs:
        sheets["runs"] = wh.to_arrow(RUNS)
    if runs and wh.has_table(CAPITATION):
        cap = wh.table(CAPITATION)
        cap = cap.filter(cap.run_id == runs[0].run_id)
        row = cap.aggregate(n=cap.count(), over=(cap.balance < 0).cast("int64").sum(),
                            extra=cap.fund_extra.sum()).to_pyarrow().to_pylist()[0]
        summary.lines.append(f"capitation: {row['n']} consortia, {int(row['over'] or 0)} over budget, "
                             f"fund shares {row['extra'] or 0:,.0f} yuan of their overspend")
        sheets["capitation"] = wh.to_arrow(CAPITATION)


def _standards(ctx: RunContext, summary: StageSummary, sheets: dict[str, pa.Table],
               schemes: dict[str, set[str]]) -> None:
    wh = ctx.warehouse
    demo = load_rules(DEMO_RULES)
    groupings = []
    if _has_rows(schemes, "stay_groups", ctx.scheme):
        groupings.append(("drg", ctx.scheme))
    if demo.dip and _has_rows(schemes, "stay_dip_groups", demo.dip.scheme):
        groupings.append(("dip", demo.dip.scheme))
    if not groupings:
        summary.lines.append("standards skipped: no grouped stays")
        return
    spec = standards.load_standards_spec()
    n_std, _ = standards.run_standards(wh, spec, tuple(groupings))
    ex = wh.table(standards.EXCESS)
    above = ex.filter((ex.level == "hospital") & (ex.measure == "cost_total")).aggregate(
        n=ex.cases_above.sum(), amount=ex.amount_above.sum()).to_pyarrow().to_pylist()[0]
    summary.lines.append(f"standards (P{spec.percentile * 100:g}, {spec.policy}): {n_std:,} group x measure rows; "
                         f"{int(above['n'] or 0):,} stays above the cost standard by "
                         f"{above['amount'] or 0:,.0f} yuan")
    sheets["standards"] = wh.to_arrow(standards.STANDARDS)
    sheets["above_standard"] = wh.to_arrow(ex.filter(ex.level != "doctor"))


def demo_budget(wh: Warehouse, path: Path) -> Path:
    """Write a demo budget file: each hospital-month's inpatient cost and discharges x a fixed 0.85-1.15."""
    a = budget.actuals(wh, budget.load_operations_spec())
    a = a.filter(a.line.isin(["inpatient_cost_total", "inpatient_discharges", "inpatient_drugs"])).order_by(
        ["hospital_id", "period", "line"])
    rows = a.to_pyarrow().to_pylist()
    amounts = [round(r["actual"] * (0.85 + (zlib.crc32(f"{r['hospital_id']}{r['period']}{r['line']}".encode())
                                              % 3001) / 10000), 2) for r in rows]
    table = pa.table({"hospital_id": [r["hospital_id"] for r in rows], "period": [r["period"] for r in rows],
                      "line": [r["line"] for r in rows], "amount": amounts})
    path.parent.mkdir(parents=True, exist_ok=True)
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


def _operations(ctx: RunContext, summary: StageSummary, sheets: dict[str, pa.Table]) -> None:
    wh = ctx.warehouse
    operations.run_operations(wh, ctx.scheme)
    eff = wh.table(operations.EFFICIENCY)
    agg = eff.aggregate(h=eff.hospital_id.nunique(), cpc=eff.cost_per_case.mean(), occ=eff.occupancy.mean())
    row = agg.to_pyarrow().to_pylist()[0]
    summary.lines.append(f"operations: {row['h']} hospitals, mean cost per case {row['cpc'] or 0:,.0f}, "
                         f"mean occupancy {row['occ'] or 0:.1%}")
    sheets["ops_efficiency"] = wh.to_arrow(operations.EFFICIENCY)
    sheets["ops_revenue"] = wh.to_arrow(operations.REVENUE)
    path = demo_budget(wh, _out(ctx) / "demo_budget.csv")
    n, flagged = budget.run_budget(wh, path)
    summary.files.append(path)
    summary.lines.append(f"budget execution (demo budget): {n:,} lines, {flagged:,} flagged beyond "
                         f"{budget.load_operations_spec().variance_threshold:.0%}")
    sheets["budget_execution"] = wh.to_arrow(budget.EXECUTION)


def _performance(ctx: RunContext, summary: StageSummary, sheets: dict[str, pa.Table],
                 schemes: dict[str, set[str]]) -> None:
    wh = ctx.warehouse
    if not _has_rows(schemes, "stay_groups", ctx.scheme):
        summary.lines.append("performance skipped: no grouped stays")
        return
    spec = dataclasses.replace(performance.load_performance_spec(), scheme=ctx.scheme)
    n = performance.run_performance(wh, spec)
    t = wh.table(performance.SCORES)
    top = t.filter(t.level == "dept").order_by(ibis.desc(t.score)).limit(1).to_pyarrow().to_pylist()
    best = f"; top dept {top[0]['hospital_id']}/{top[0]['unit_id']} score {top[0]['score']}" if top else ""
    summary.lines.append(f"performance inputs: {n:,} dept / doctor rows{best}")
    sheets["performance"] = wh.to_arrow(performance.SCORES)


def _out(ctx: RunContext) -> Path:
    return Path(ctx.output) / "payment"


def run(ctx: RunContext) -> StageSummary:
    """Run settlement, standards, operations and performance for the demo; write CSV / XLSX outputs."""
    summary = StageSummary(stage="payment")
    wh = ctx.warehouse
    wh.require("stays", "hospitals")
    sheets: dict[str, pa.Table] = {}
    schemes = _schemes(wh)  # the group and reference tables do not change during the stage
    timed = summary.timings  # CPU seconds per part, so a benchmark can tell which part grows
    with cpu_timer(timed, "settlement"):
        _settle(ctx, summary, sheets, schemes)
    with cpu_timer(timed, "standards"):
        _standards(ctx, summary, sheets, schemes)
    with cpu_timer(timed, "operations"):
        _operations(ctx, summary, sheets)
    with cpu_timer(timed, "performance"):
        _performance(ctx, summary, sheets, schemes)
    with cpu_timer(timed, "files"):
        for name in ("ops_efficiency", "drg_by_hospital", "dip_by_hospital", "performance"):
            if name in sheets:
                summary.files.append(write_csv(sheets[name], _out(ctx) / f"{name}.csv"))
        summary.files.append(write_workbook(sheets, _out(ctx) / "payment_summary.xlsx"))
    return summary
