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
