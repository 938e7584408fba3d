"""``hospeval indicators ...``: list, check and evaluate the declarative indicator sets."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hospeval.indicators.compile import Scope
from hospeval.indicators.engine import evaluate_indicators
from hospeval.indicators.spec import load_fields, load_sets
from hospeval.indicators.stage import GRAINS, LEVELS
from hospeval.warehouse import open_warehouse

console = Console()
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Indicator set(s); all when omitted.")]
indicators_app = typer.Typer(help="Indicator sets (指标体系): list, check, evaluate.\n\n"
                                  "Example: hospeval indicators run --set drg --level hospital --grain year",
                             no_args_is_help=True)


@indicators_app.command("list")
def list_command(set_id: SetOption = None) -> None:
    """List the indicators of the sets.

    Example: hospeval indicators list --set tertiary
    """
    for s in load_sets(set_id or None):
        table = Table(title=f"{s.id} v{s.version} {s.name_zh} ({len(s.indicators)})")
        for col in ("id", "name", "dimension", "direction", "▲", "source", "unit"):
            table.add_column(col)
        for i in s.indicators:
            table.add_row(i.id, i.name_zh, i.dimension, i.direction, "▲" if i.national_monitor else "",
                          i.data_source, i.unit)
        console.print(table)


@indicators_app.command("check")
def check_command() -> None:
    """Validate every indicator file and the shared field vocabulary.

    Example: hospeval indicators check
    """
    load_fields()
    sets = load_sets()
    console.print(f"[green]ok[/] {len(sets)} sets, {sum(len(s.indicators) for s in sets)} indicators")


@indicators_app.command("run")
def run_command(
    set_id: SetOption = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="hospital, dept, doctor, consortium, district (default: all).")] = None,
    grain: Annotated[list[str] | None, typer.Option("--grain", help="year, quarter, month (default: year, month).")] = None,
    scheme: Annotated[str, typer.Option(help="DRG scheme of stay_groups / drg_reference.")] = "chs-drg-1.1",
) -> None:
    """Evaluate indicator sets and write ``indicator_values``.

    Example: hospeval indicators run --set drg --set tertiary --level hospital --level dept --grain year
    """
    with open_warehouse() as wh:
        run = evaluate_indicators(wh, set_id or None, levels=level or list(LEVELS), grains=grain or list(GRAINS),
                                  scope=Scope(scheme=scheme))
    console.print(f"run {run.run_id}: {run.rows} values ({run.rows_by_level}) in {run.seconds:.1f} s")


def register(app: typer.Typer) -> None:
    """Add ``hospeval indicators`` to the main CLI."""
    app.add_typer(indicators_app, name="indicators")
