"""``hospeval group``: DRG grouping of a record file or of the warehouse."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from hospeval.config import settings
from hospeval.errors import HospevalError
from hospeval.group.codes import POLICIES
from hospeval.group.records import group_file
from hospeval.group.warehouse_run import group_warehouse
from hospeval.warehouse import Warehouse

console = Console()


class UsageError(HospevalError):
    """A command-line option combination that cannot work."""

    reason = "usage"


def group(
    scheme: str = typer.Option("chs-drg-1.1", "--scheme", help="Scheme folder under schemes/, e.g. chs-drg-1.1."),
    input_file: Path | None = typer.Option(
        None, "--input", help="Record file (record_id,sex,age_years,age_days,birth_weight_g,dept_code,"
        "los_days,discharge_status,diagnoses,procedures); without it the warehouse is grouped."),
    output: Path | None = typer.Option(None, "--output", help="Result CSV for --input."),
    codes: str = typer.Option("exact", "--codes", help=f"Code policy: {' / '.join(POLICIES)} (see docs/grouping.md)."),
) -> None:
    """Group stays into DRGs (DRG分组).

    Examples:
      hospeval group --scheme chs-drg-1.1 --input records.csv --output groups.csv

      hospeval group --scheme chs-drg-1.1          # warehouse stays -> stay_groups
    """
    if codes not in POLICIES:
        raise UsageError(f"--codes must be one of {', '.join(POLICIES)}", field="--codes")
    if input_file is not None:
        if output is None:
            raise UsageError("--input needs --output", field="--output")
        counts = group_file(input_file, output, scheme, code_policy=codes)
        for status, n in sorted(counts.items()):
            console.print(f"{status}: {n}")
        console.print(f"wrote {output}")
        return
    if output is not None:
        raise UsageError("--output is only for --input; warehouse results go to table stay_groups",
                         field="--output")
    with Warehouse(settings().warehouse) as wh:
        summary = group_warehouse(wh, scheme, code_policy=codes)
    for line in summary.lines():
        console.print(line)


def register(app: typer.Typer) -> None:
    """Add the ``group`` command to the main CLI."""
    app.command("group")(group)
