"""``hospeval group``: DRG grouping of a record file or of the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hospeval.errors import HospevalError
from hospeval.group.codes import POLICIES
from hospeval.group.records import group_file
from hospeval.group.warehouse_run import group_warehouse
from hospeval.warehouse import open_warehouse

console = Console()


class UsageError(HospevalError):
    """A command-line option combination that cannot work."""

    reason = "usage"


SchemeOpt = Annotated[str, typer.Option("--scheme", help="Scheme folder under schemes/, e.g. chs-drg-1.1.")]
InputOpt = Annotated[Path | None, typer.Option(
    "--input", help="Record file (record_id,sex,age_years,age_days,birth_weight_g,dept_code,los_days,"
    "discharge_status,diagnoses,procedures); without it the warehouse is grouped.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="Result CSV for --input.")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Add reason and explanation columns to --output.")]
CodesOpt = Annotated[str, typer.Option("--codes", help=f"Code policy: {' / '.join(POLICIES)} (docs/grouping.md).")]


def group(scheme: SchemeOpt = "chs-drg-1.1", input_file: InputOpt = None, output: OutputOpt = None,
          codes: CodesOpt = "exact", explain: ExplainOpt = False) -> None:
    """Group stays into DRGs (DRG分组).

    Examples:
      hospeval group --scheme chs-drg-1.1 --input records.csv --output groups.csv [--explain]

      hospeval group --scheme chs-drg-1.1          # warehouse stays -> stay_groups
    """
    if codes not in POLICIES:
        raise UsageError(f"--codes must be one of {', '.join(POLICIES)}", field="--codes")
    if input_file is not None:
        if output is None:
            raise UsageError("--input needs --output", field="--output")
        counts = group_file(input_file, output, scheme, code_policy=codes, explain=explain)
        for status, n in sorted(counts.items()):
            console.print(f"{status}: {n}")
        console.print(f"wrote {output}")
        return
    if output is not None:
        raise UsageError("--output is only for --input; warehouse results go to table stay_groups",
                         field="--output")
    with open_warehouse() as wh:
        summary = group_warehouse(wh, scheme, code_policy=codes)
    for line in summary.lines():
        console.print(line)


def register(app: typer.Typer) -> None:
    """Add the ``group`` command to the main CLI."""
    app.command("group")(group)
