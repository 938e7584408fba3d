"""``hospeval evaluate ...`` and ``hospeval explain``: scores, grades, ranks, pilots, explanations."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hospeval.errors import WarehouseError
from hospeval.evaluate.engine import SCORES_TABLE, evaluate_hospitals
from hospeval.evaluate.explain import explain
from hospeval.evaluate.pilots import select_pilots
from hospeval.evaluate.spec import METHODS
from hospeval.warehouse import Warehouse, open_warehouse

console = Console()
PeriodOption = Annotated[str | None, typer.Option(help="Year (YYYY); latest when omitted.")]
evaluate_app = typer.Typer(help="Score, grade and rank hospitals in peer groups; select pilots.\n\n"
                                "Example: hospeval evaluate run --set tertiary --period 2024",
                           no_args_is_help=True)


def latest_year(wh: Warehouse, set_id: str | None = None) -> str:
    """Latest year with hospital-level indicator values."""
    v = wh.table("indicator_values")
    v = v.filter((v.level == "hospital") & (v.period.length() == 4))
    if set_id:
        v = v.filter(v.indicator_set == set_id)
    latest = wh.to_arrow(v.aggregate(period=v.period.max()))["period"][0].as_py()
    if latest is None:
        raise WarehouseError("no yearly indicator values; run `hospeval indicators run` first")
    return latest


def _fmt(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.4g}" if isinstance(v, float) else str(v)


def _print_frame(title: str, df, limit: int = 20) -> None:
    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col))
    for row in df.head(limit).itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    console.print(table)


@evaluate_app.command("run")
def run_command(
    set_id: Annotated[str, typer.Option("--set", help="Indicator set to score.")] = "tertiary",
    period: PeriodOption = None,
    method: Annotated[list[str] | None, typer.Option("--method", help=f"Methods (default all): {', '.join(METHODS)}.")] = None,
) -> None:
    """Score, rank and grade every hospital in its peer group; write ``evaluation_scores``.

    Example: hospeval evaluate run --set drg --period 2024 --method national --method topsis
    """
    with open_warehouse() as wh:
        period = period or latest_year(wh, set_id)
        run = evaluate_hospitals(wh, set_id, period, method or list(METHODS))
        s = wh.table(SCORES_TABLE)
        df = wh.to_arrow(s.filter(s.run_id == run.run_id)
                         .select("hospital_id", "peer_group", "method", "score", "rank", "grade", "score_change")
                         .order_by(["method", "peer_group", "rank", "hospital_id"])).to_pandas()
    _print_frame(f"{set_id} {period}: {run.hospitals} hospitals", df, limit=40)


@evaluate_app.command("pilots")
def pilots_command(
    high_level: Annotated[int, typer.Option(help="Number of high-level hospitals (高水平医院).")] = 10,
    regional: Annotated[int, typer.Option(help="Number of regional medical centres (区域医疗中心).")] = 10,
    community: Annotated[int, typer.Option(help="Number of community health centres (社区卫生服务中心).")] = 20,
    period: PeriodOption = None,
    method: Annotated[str, typer.Option(help=f"Method whose score ranks: {', '.join(METHODS)}.")] = "national",
) -> None:
    """Select pilot units by score within each category, with reasons (Shanghai scheme).

    Example: hospeval evaluate pilots --high-level 10 --regional 10 --community 20
    """
    with open_warehouse() as wh:
        period = period or latest_year(wh)
        df = select_pilots(wh, {"high_level": high_level, "regional": regional, "community": community},
                           period, method)
    _print_frame(f"pilots {period} ({method})", df[["category_label", "category_rank", "hospital_id", "name",
                                                    "score", "grade", "reason"]], limit=100)


def explain_command(
    hospital: Annotated[str, typer.Option(help="Hospital id.")],
    indicator: Annotated[str, typer.Option(help="Indicator id, e.g. drg_cmi.")],
    set_id: Annotated[str | None, typer.Option("--set", help="Indicator set (found from the id when omitted).")] = None,
    period: PeriodOption = None,
    method: Annotated[str, typer.Option(help="Method whose points are shown.")] = "national",
) -> None:
    """Explain a hospital's value and points on one indicator, with drill-down to depts, doctors and DRGs.

    Example: hospeval explain --hospital H001 --indicator drg_cost_efficiency_index
    """
    with open_warehouse() as wh:
        ex = explain(wh, hospital, indicator, set_id=set_id, period=period, method=method)
    table = Table(title=f"{hospital} · {ex.indicator.name_zh} · {ex.period}", show_header=False)
    for k, v in ex.summary.items():
        table.add_row(k, _fmt(v))
    console.print(table)
    _print_frame("peers (同组医院)", ex.peers, limit=10)
    for level, df in ex.drill.items():
        _print_frame(f"by {level}", df, limit=15)


def register(app: typer.Typer) -> None:
    """Add ``hospeval evaluate`` and ``hospeval explain`` to the main CLI."""
    app.add_typer(evaluate_app, name="evaluate")
    app.command("explain")(explain_command)
