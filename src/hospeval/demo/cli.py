"""``hospeval demo``: one command from nothing to every output, on a generated province."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from hospeval.config import settings

console = Console()


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command."""

    @app.command("demo")
    def demo(
        stays: int = typer.Option(20_000, help="Number of stays to generate."),
        seed: int = typer.Option(42, help="Random seed; the same seed gives the same province."),
        year: int = typer.Option(2024, help="Year of the generated discharges."),
        output: Path = typer.Option(Path("out/demo"), help="Folder for the warehouse, input files and reports "
                                                           "(recreated)."),
        scheme: str = typer.Option("chs-drg-1.1", help="DRG scheme to group with."),
    ) -> None:
        """Generate a demo province and run every stage end to end on it.

        Writes the province's input files, loads them through ingest (pseudonymising identifiers), then runs
        quality control, grouping, reference weights, indicators, evaluation, payment and reports as far as
        they are installed, and prints where the results are.

        Example: hospeval demo --stays 50000 --output out/demo
        """
        from hospeval.demo.run import run_demo

        result = run_demo(output, stays=stays, seed=seed, year=year, scheme=scheme, console=console,
                          secret=settings().secret)
        console.rule("results")
        console.print(f"warehouse (DuckDB): [bold]{result.warehouse}[/]")
        console.print(f"input files:        {result.output / 'input'}")
        for summary in result.summaries:
            for f in summary.files:
                console.print(f"{summary.stage + ':':<20}{f}")
        console.print(f"explore: HOSPEVAL_WAREHOUSE={result.warehouse} hospeval --help")
        if result.failures:
            console.print(f"[red]stages that failed: {', '.join(result.failures)}")
            raise typer.Exit(1)
