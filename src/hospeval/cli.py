"""The ``hospeval`` command line: a thin layer that parses, calls one library function per command
and turns :class:`~hospeval.errors.HospevalError` into a clear message (exit code 2), never a traceback.

Each stage adds its commands in ``hospeval/<stage>/cli.py`` through a ``register(app)`` function;
this module only discovers them, so a stage is added without editing a shared file.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from hospeval.config import ENGINES
from hospeval.errors import HospevalError

STAGES = ("ingest", "quality", "group", "reference", "indicators", "evaluate", "payment", "present")

app = typer.Typer(
    name="hospeval",
    help=(
        "hospeval: evaluate public hospitals and steer their operations (公立医院高质量发展评价).\n\n"
        "Front-page data in; quality control, DRG/DIP grouping, indicators, scores, grades, rankings,\n"
        "payment simulation and reports out. The warehouse is HOSPEVAL_WAREHOUSE "
        "(default warehouse/hospeval.duckdb).\n\n"
        "Example: hospeval demo --stays 20000"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


@app.callback()
def _root(
    engine: str = typer.Option(None, "--engine", help="Compute engine: duckdb (default) or spark. "
                                                      "Same as HOSPEVAL_ENGINE."),
    spark_master: str = typer.Option(None, "--spark-master", help="Spark master URL (local[*], spark://host:7077, "
                                                                  "yarn ...). Same as HOSPEVAL_SPARK_MASTER."),
    spark_warehouse: str = typer.Option(None, "--spark-warehouse", help="Folder or URI of the Spark warehouse's "
                                                                        "Parquet tables. Same as "
                                                                        "HOSPEVAL_SPARK_WAREHOUSE."),
) -> None:
    """Global options: which engine runs the stages (the settings read them from the environment)."""
    if engine is not None:
        if engine.lower() not in ENGINES:
            raise typer.BadParameter(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}",
                                     param_hint="--engine")
        os.environ["HOSPEVAL_ENGINE"] = engine.lower()
    if spark_master is not None:
        os.environ["HOSPEVAL_SPARK_MASTER"] = spark_master
    if spark_warehouse is not None:
        os.environ["HOSPEVAL_SPARK_WAREHOUSE"] = spark_warehouse


@app.command("run")
def run_pipeline(
    stages: str = typer.Option("quality,group,reference,indicators,evaluate,payment",
                               help="Comma-separated stages, run in pipeline order."),
    scheme: str = typer.Option("chs-drg-1.1", help="DRG scheme to group with."),
    output: Path = typer.Option(None, help="Folder for the stages' files (default HOSPEVAL_OUTPUT)."),
) -> None:
    """Run pipeline stages on the configured warehouse and engine (after ``hospeval ingest``).

    Example: hospeval --engine spark --spark-master local[4] --spark-warehouse /data/hospeval run
    """
    from hospeval.config import settings
    from hospeval.pipeline import ORDER, RunContext, run_stage
    from hospeval.warehouse import open_warehouse

    wanted = [s.strip() for s in stages.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ORDER or s == "ingest"]
    if unknown:
        raise typer.BadParameter(f"unknown stage(s) {', '.join(unknown)}; choose from "
                                 f"{', '.join(s for s in ORDER if s != 'ingest')}", param_hint="--stages")
    console = Console()
    cfg = settings()
    with open_warehouse(cfg) as wh:
        ctx = RunContext(warehouse=wh, output=output or cfg.output, scheme=scheme, console=console)
        for stage in (s for s in ORDER if s in wanted):
            with console.status(f"{stage} on {wh.engine}..."):
                summary = run_stage(stage, ctx)
            console.print(f"[green]{stage}[/] ({wh.engine})")
            for line in summary.lines:
                console.print(f"  {escape(line)}")


@app.command("pull")
def pull(
    source: Path = typer.Argument(..., help="The Spark warehouse folder (HOSPEVAL_SPARK_WAREHOUSE)."),
    tables: str = typer.Option("", help="Comma-separated tables (default: every table in the folder)."),
) -> None:
    """Copy a Spark warehouse's Parquet tables into the DuckDB warehouse the dashboard serves.

    Each table replaces the DuckDB table of the same name in one transaction. The folder must be readable
    here (a local or mounted path; for HDFS / S3 copy it down first, see docs/spark.md).

    Example: HOSPEVAL_WAREHOUSE=warehouse/hospeval.duckdb hospeval pull /data/hospeval-spark
    """
    from hospeval.config import settings
    from hospeval.warehouse import Warehouse, pull_parquet_tables

    with Warehouse(settings().warehouse) as wh:
        counts = pull_parquet_tables(wh, source, [t for t in tables.split(",") if t] or None)
    for name, n in counts.items():
        Console().print(f"{name:<32} {n:>12,} rows")


def _register_stages() -> None:
    # The demo orchestrates every stage, so it registers last.
    for stage in (*STAGES, "demo"):
        module_name = f"hospeval.{stage}.cli"
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).register(app)


_register_stages()


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except HospevalError as exc:
        err_console.print(f"[bold red]error[/] ({exc.reason}): {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
