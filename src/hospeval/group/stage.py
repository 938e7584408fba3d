"""The grouping stage of the pipeline: group the warehouse's stays with ``ctx.scheme`` into ``stay_groups``."""

from __future__ import annotations

from hospeval.group.warehouse_run import group_warehouse
from hospeval.pipeline import RunContext, StageSummary


def run(ctx: RunContext) -> StageSummary:
    """Group every stay of the warehouse and report grouped share, ungroupable and error counts."""
    summary = group_warehouse(ctx.warehouse, ctx.scheme)
    return StageSummary(stage="group", lines=summary.lines())
