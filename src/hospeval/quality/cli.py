"""``hospeval check``: front-page quality control with a summary table and per-hospital workbooks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hospeval.config import settings
from hospeval.quality.api import CheckReport, check
from hospeval.quality.excel import DEFAULT_MAX_FINDINGS
from hospeval.warehouse import open_warehouse

console = Console()


def print_report(report: CheckReport) -> None:
    """Print the per-hospital summary and the rule statuses."""
    run = report.run
    table = Table(title=f"病案首页质控 front-page quality check · run {run.run_id}")
    for col, justify in (("医院 hospital", "left"), ("名称 name", "left"), ("病案 stays", "right"),
                         ("错误 errors", "right"), ("警告 warnings", "right"), ("得分 score", "right"),
                         ("工作簿 workbook", "left")):
        table.add_column(col, justify=justify)
    for h in report.hospitals:
        score = "-" if h.score is None else f"{h.score:.1f}"
        style = "red" if h.score is not None and h.score < 90 else None
        table.add_row(h.hospital_id or "(missing)", h.name or "", f"{h.stays:,}", f"{h.errors:,}",
                      f"{h.warnings:,}", score, str(h.workbook) if h.workbook else "", style=style)
    console.print(table)
    console.print(f"rules: passed {run.count('passed')}, failed {run.count('failed')}, "
                  f"error {run.count('error')}, not applicable {run.count('not_applicable')}; "
                  f"{run.findings:,} findings in table quality_findings.")
    for rule_id, reason in sorted(report.errors.items()):
        console.print(f"[red]rule {rule_id} could not run: {reason}")
    for reason in report.not_applicable_reasons:
        console.print(f"[yellow]not applicable: {reason}")


def register(app: typer.Typer) -> None:
    """Add the ``check`` command."""

    @app.command("check")
    def check_command(
        output: Path = typer.Option(None, "--output", "-o",  # noqa: B008
                                    help="Folder for the workbooks (default <HOSPEVAL_OUTPUT>/quality)."),
        scheme: str = typer.Option("chs-drg-1.1", help="Grouping scheme whose code dictionaries to check against."),
        hospital: list[str] = typer.Option(None, "--hospital", "-h",  # noqa: B008
                                           help="Write workbooks only for these hospital ids (repeatable)."),
        max_findings: int = typer.Option(DEFAULT_MAX_FINDINGS, help="Cap of finding rows per workbook."),
        workbooks: bool = typer.Option(True, help="Write the per-hospital Excel workbooks."),
    ) -> None:
        """Check the front pages (病案首页质控) against the rule catalogue and score every hospital.

        Writes tables quality_findings, quality_rule_results and quality_scores, and one Excel workbook per
        hospital (findings with what to do, indicators, rule results).

        Example: hospeval check --output out/quality --hospital H001
        """
        s = settings()
        with open_warehouse(s) as wh, console.status("checking front pages..."):
            report = check(wh, output=output or s.output / "quality", scheme=scheme,
                           hospitals=hospital or None, max_findings=max_findings, workbooks=workbooks)
        print_report(report)
