"""CLI of the payment stage: ``hospeval pay ...``, ``hospeval standards ...``, ``hospeval ops ...``.

Thin commands: parse, call one library function, print with rich.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hospeval.payment import budget as budget_mod
from hospeval.payment import operations, performance, standards
from hospeval.payment.scenario import Scenario, ScenarioError
from hospeval.payment.settle import SettlementRun, compare, rollup, simulate, whatif
from hospeval.payment.spec import available_rules, load_rules
from hospeval.warehouse import Warehouse, open_warehouse

console = Console()
pay_app = typer.Typer(help="Insurance payment simulation (医保支付模拟): DRG, DIP, bed-day, capitation.\n\n"
                      "Example: hospeval pay simulate --rules demo/2024 --method drg", no_args_is_help=True)
std_app = typer.Typer(help="Disease-group standards (病种标准).\n\nExample: hospeval standards build --percentile 0.75",
                      no_args_is_help=True)
ops_app = typer.Typer(help="Operations decision support (运营管理): efficiency, budget execution, performance.\n\n"
                      "Example: hospeval ops report", no_args_is_help=True)

RULES_HELP = "Rules: region/year under payment_rules/ (e.g. demo/2024, harbin/2024) or a YAML path."


def _wh() -> Warehouse:
    return open_warehouse()


def _print_run(run: SettlementRun) -> None:
    t = Table(title=f"{run.run_id}  ({run.scenario})")
    for col in ("case type", "cases", "payment"):
        t.add_column(col, justify="right" if col != "case type" else "left")
    for case_type, (n, paid) in sorted(run.by_case_type.items()):
        t.add_row(case_type, f"{n:,}", f"{paid:,.2f}")
    t.add_row("[bold]total", f"[bold]{run.cases:,}", f"[bold]{run.payment:,.2f}")
    console.print(t)
    console.print(f"cost {run.cost:,.2f}  payment {run.payment:,.2f}  surplus {run.surplus:,.2f}")
    if run.point_value is not None:
        console.print(f"DIP budget {run.budget:,.2f}  points {run.total_points:,.2f}  point value {run.point_value:.4f}")


@pay_app.command("simulate")
def simulate_cmd(
    rules: str = typer.Option("demo/2024", help=RULES_HELP),
    method: str = typer.Option(None, help="drg or dip (default: the first the rules define)"),
    period: str = typer.Option(None, help="YYYY or YYYY-MM of discharge (default: every stay)"),
    out: Annotated[Path | None, typer.Option(help="Also write the per-hospital rollup to this CSV")] = None,
) -> None:
    """Settle every insured stay under a region's rules and store the run.

    Example: hospeval pay simulate --rules harbin/2024 --period 2024 --out by_hospital.csv
    """
    with _wh() as wh:
        run = simulate(wh, load_rules(rules), method=method, period=period)
        _print_run(run)
        if out:
            from hospeval.payment.export import write_csv

            write_csv(wh.to_arrow(rollup(wh, run.run_id, "hospital")), out)
            console.print(f"wrote {out}")


@pay_app.command("whatif")
def whatif_cmd(
    rules: str = typer.Option("demo/2024", help=RULES_HELP),
    method: str = typer.Option(None, help="drg or dip"),
    base_rate: float = typer.Option(1.0, help="Factor on the base rate, e.g. 1.05"),
    weights: float = typer.Option(1.0, help="Factor on every relative weight"),
    weight: Annotated[list[str] | None, typer.Option(help="Set one DRG's weight: DRG=WEIGHT (repeatable)")] = None,
    budget: float = typer.Option(1.0, help="Factor on the DIP budget"),
    budget_amount: float = typer.Option(None, help="DIP budget in yuan (replaces the rules' budget)"),
    period: str = typer.Option(None, help="YYYY or YYYY-MM of discharge"),
    level: str = typer.Option("hospital", help="Compare per hospital, dept, doctor, group or case_type"),
    keep_cases: bool = typer.Option(False, help="Store the scenario's per-case rows in payment_settlements"),
) -> None:
    """Rerun the settlement with changed rules on the same grouped cases and compare with the baseline.

    Example: hospeval pay whatif --rules demo/2024 --base-rate 1.05 --weight FR21=1.2
    """
    overrides = []
    for item in weight or []:
        drg, _, value = item.partition("=")
        try:
            overrides.append((drg.strip(), float(value)))
        except ValueError as exc:
            raise ScenarioError(f"--weight expects DRG=WEIGHT, got {item!r}") from exc
    scenario = Scenario(base_rate_factor=base_rate, weight_factor=weights, weight_overrides=tuple(overrides),
                        budget_factor=budget, budget_amount=budget_amount)
    with _wh() as wh:
        res = whatif(wh, load_rules(rules), scenario, method=method, period=period, keep_cases=keep_cases)
        _print_run(res.scenario)
        cmp = wh.to_arrow(compare(wh, res.baseline.run_id, res.scenario.run_id, level)).to_pylist()
        t = Table(title=f"baseline {res.baseline.payment:,.2f} -> scenario {res.scenario.payment:,.2f}")
        for col in ("unit", "cases", "baseline", "scenario", "delta", "delta %"):
            t.add_column(col)
        for r in cmp[:40]:
            unit = " / ".join(str(v) for k, v in r.items() if k not in
                              ("cases", "cost", "base_payment", "scenario_payment", "delta", "delta_ratio"))
            ratio = "" if r["delta_ratio"] is None else f"{r['delta_ratio']:.2%}"
            t.add_row(unit, f"{r['cases']:,}", f"{r['base_payment']:,.2f}", f"{r['scenario_payment'] or 0:,.2f}",
                      f"{r['delta']:,.2f}", ratio)
        console.print(t)


@pay_app.command("rules")
def rules_cmd() -> None:
    """List the shipped payment rules.

    Example: hospeval pay rules
    """
    for name in available_rules():
        r = load_rules(name)
        methods = ", ".join(m for m in ("drg", "dip") if getattr(r, m))
        console.print(f"{name:<16} {r.id:<14} {r.label_zh}  ({methods})", markup=False)


@std_app.command("build")
def standards_build(
    kind: str = typer.Option("drg", help="drg or dip"),
    scheme: str = typer.Option("chs-drg-1.1", help="Grouping scheme of stay_groups / stay_dip_groups"),
    percentile: float = typer.Option(None, help="Override the standard's percentile, e.g. 0.8"),
    policy: str = typer.Option(None, help="exact or approximate percentiles"),
) -> None:
    """Build per-group LOS and cost standards and the cases above them.

    Example: hospeval standards build --kind dip --scheme dip-demo --percentile 0.8
    """
    import dataclasses

    spec = standards.load_standards_spec()
    if percentile is not None:
        spec = dataclasses.replace(spec, percentile=percentile)
    if policy is not None:
        if policy not in standards.POLICIES:
            raise standards.SchemaError(f"--policy must be one of {standards.POLICIES}")
        spec = dataclasses.replace(spec, policy=policy)
    with _wh() as wh:
        n_std, n_exc = standards.run_standards(wh, spec, ((kind, scheme),))
    console.print(f"{standards.STANDARDS}: {n_std:,} rows (P{spec.percentile * 100:g}, {spec.policy}); "
                  f"{standards.EXCESS}: {n_exc:,} rows")


@ops_app.command("report")
def ops_report(scheme: str = typer.Option("chs-drg-1.1", help="DRG scheme for cost per weight")) -> None:
    """Revenue structure, cost per case and per weight, bed use, energy per 10,000 yuan.

    Example: hospeval ops report --scheme chs-drg-1.1
    """
    with _wh() as wh:
        operations.run_operations(wh, scheme)
        rows = wh.to_arrow(operations.EFFICIENCY).to_pylist()
    t = Table(title="运营效率 operations efficiency")
    cols = ("hospital_id", "period", "discharges", "cost_per_case", "cost_per_weight", "avg_los", "occupancy",
            "turnover", "energy_per_10k_income")
    for c in cols:
        t.add_column(c)
    for r in rows[:60]:
        t.add_row(*("" if r[c] is None else str(r[c]) for c in cols))
    console.print(t)


@ops_app.command("budget")
def ops_budget(
    file: Annotated[Path, typer.Argument(help="Budget CSV: hospital_id,period(YYYY-MM),line,amount")],
    threshold: float = typer.Option(None, help="Flag |actual/budget - 1| above this (default operations.yaml)"),
) -> None:
    """Load a budget file and compare it with the actuals month by month.

    Example: hospeval ops budget budget-2024.csv --threshold 0.1
    """
    with _wh() as wh:
        n, flagged = budget_mod.run_budget(wh, file, threshold=threshold)
    console.print(f"{budget_mod.EXECUTION}: {n:,} lines, {flagged:,} flagged")


@ops_app.command("performance")
def ops_performance(
    spec: Annotated[Path | None, typer.Option(help="Performance YAML (default payment_rules/performance.yaml)")] = None,
) -> None:
    """Per department and doctor: DRG workload, CMI, cost and time indexes, quality penalty, score.

    Example: hospeval ops performance
    """
    with _wh() as wh:
        n = performance.run_performance(wh, performance.load_performance_spec(spec))
    console.print(f"{performance.SCORES}: {n:,} rows")


def register(app: typer.Typer) -> None:
    """Add the payment, standards and ops command groups to the main CLI."""
    app.add_typer(pay_app, name="pay")
    app.add_typer(std_app, name="standards")
    app.add_typer(ops_app, name="ops")
