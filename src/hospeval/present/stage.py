"""End-to-end step of the present stage: materialise the dashboard summaries and write the reports.

``present_stay_summary`` (stays by hospital, department, doctor, month and DRG) and
``present_referral_flows`` make every dashboard page a small aggregate instead of a scan of all stays.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from hospeval.pipeline import RunContext, StageSummary
from hospeval.present import queries, reports
from hospeval.present.auth import Principal
from hospeval.present.db import Reader
from hospeval.present.scope import Scope

REPORTED_HOSPITALS = 5


def build_summaries(reader: Reader, scheme: str) -> dict[str, int]:
    """Materialise the dashboard summaries; return their row counts (empty when there are no stays)."""
    if not reader.has("stays"):
        return {}
    warehouse = reader.warehouse
    # Dropped first so that the live expressions read the source tables, not an older summary.
    for name in (queries.SUMMARY, *queries.ROLLUPS, queries.FLOWS, queries.PAYMENTS, queries.SOURCES):
        warehouse.con.execute(f'DROP TABLE IF EXISTS "{name}"')
    reader.invalidate()
    # Sorted by hospital so that a one-hospital page reads only that hospital's row groups.
    summary = queries.stay_summary_expr(reader, scheme).mutate(scheme=ibis.literal(scheme))
    counts = {queries.SUMMARY: warehouse.replace(queries.SUMMARY, summary.order_by(["hospital_id", "period"]))}
    stored = reader.table(queries.SUMMARY)
    for name, dims in queries.ROLLUPS.items():
        rollup = stored.group_by(["scheme", *dims]).aggregate(
            stays=stored.stays.sum(), deaths=stored.deaths.sum(), cost_sum=stored.cost_sum.sum(),
            los_sum=stored.los_sum.sum())
        counts[name] = warehouse.replace(name, rollup.order_by(list(dims)))
    flows = queries.referral_flows_expr(reader).order_by(["hospital_id", "period"])
    counts[queries.FLOWS] = warehouse.replace(queries.FLOWS, flows)
    if reader.has("payment_settlements"):
        payments = queries.payment_summary_expr(reader).order_by("hospital_id")
        counts[queries.PAYMENTS] = warehouse.replace(queries.PAYMENTS, payments)
    # Row counts of the sources: a summary whose sources have changed since is not used.
    warehouse.replace(queries.SOURCES, pa.table({"source": list(queries.SOURCE_TABLES),
                                                  "rows": [queries.source_rows(reader, t)
                                                           for t in queries.SOURCE_TABLES]}))
    reader.invalidate()
    return counts


def run(ctx: RunContext) -> StageSummary:
    """Build the summaries, then write the jurisdiction report and the reports of the top hospitals."""
    reader = Reader(ctx.warehouse)
    summary = StageSummary("present")
    counts = build_summaries(reader, ctx.scheme)
    summary.lines += [f"{name}: {n:,} rows" for name, n in counts.items()] or ["no stays: summaries skipped"]
    scope = Scope(Principal("hospeval-cli", "admin"), None)
    folder = ctx.output / "reports"
    summary.files += reports.write_jurisdiction_reports(reader, scope, folder, scheme=ctx.scheme)
    for hospital_id in top_hospitals(reader, scope):
        summary.files += reports.write_hospital_reports(reader, scope, hospital_id, folder, scheme=ctx.scheme)
    summary.lines.append(f"reports: {len(summary.files)} files in {folder}")
    return summary


def top_hospitals(reader: Reader, scope: Scope, n: int = REPORTED_HOSPITALS) -> list[str]:
    """Return the first ``n`` hospitals by evaluation rank (or by id before ``hospeval evaluate``)."""
    try:
        rows = queries.latest_scores(reader, scope)
        ids = [r["hospital_id"] for r in sorted(rows, key=lambda r: (r.get("rank") or 0, r["hospital_id"]))]
    except reports.NotComputed:
        ids = [r["hospital_id"] for r in queries.hospitals(reader, scope)] if reader.has("hospitals") else []
    return list(dict.fromkeys(ids))[:n]
