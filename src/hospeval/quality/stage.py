"""Quality stage of ``hospeval demo``: rules, scores and per-hospital workbooks under ``<output>/quality``."""

from __future__ import annotations

from hospeval.pipeline import RunContext, StageSummary
from hospeval.quality.api import check


def run(ctx: RunContext) -> StageSummary:
    """Run front-page quality control and return the summary lines."""
    report = check(ctx.warehouse, output=ctx.output / "quality", scheme=ctx.scheme)
    run_ = report.run
    lines = [
        f"run {run_.run_id}: {run_.findings} findings; rules passed {run_.count('passed')}, "
        f"failed {run_.count('failed')}, error {run_.count('error')}, not applicable {run_.count('not_applicable')}",
    ]
    for h in report.hospitals:
        score = "-" if h.score is None else f"{h.score:.1f}"
        lines.append(f"{h.hospital_id}: {h.stays} stays, {h.errors} errors, {h.warnings} warnings, score {score}")
    lines.extend(f"not applicable: {reason}" for reason in report.not_applicable_reasons)
    return StageSummary(stage="quality", lines=lines, files=list(report.files), timings=report.timings)
