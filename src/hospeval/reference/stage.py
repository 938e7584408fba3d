"""End-to-end step of the reference stage (``hospeval demo``).

1. When ``stay_groups`` holds grouped stays of ``ctx.scheme``: build ``drg_reference`` from every stay of
   the warehouse, version = the discharge years covered (``2024`` or ``2023-2024``), and write it as CSV.
2. Derive the DIP catalogue ``dip-demo`` from the same stays (default policy), write its scheme folder
   under ``<output>/schemes/dip-demo``, store ``dip_catalogue`` / ``dip_reference`` and group every stay
   into ``stay_dip_groups``.
"""

from __future__ import annotations

import pyarrow.csv as pacsv

from hospeval.group.dip import build_dip, group_dip
from hospeval.pipeline import RunContext, StageSummary
from hospeval.reference.drg_reference import RISK_GRADES, build_drg_reference, reference_rows
from hospeval.reference.spec import Population
from hospeval.warehouse import Warehouse

DIP_SCHEME_NAME = "demo"


def reference_version(wh: Warehouse) -> str:
    """Version label from the discharge years of ``stays``: ``YYYY`` or ``YYYY-YYYY``."""
    stays = wh.table("stays")
    years = wh.to_arrow(stays.aggregate(low=stays.discharge_time.year().min(),
                                        high=stays.discharge_time.year().max())).to_pylist()[0]
    if years["low"] is None:
        return "all"
    return str(years["low"]) if years["low"] == years["high"] else f"{years['low']}-{years['high']}"


def _has_grouped(wh: Warehouse, scheme: str) -> bool:
    if not wh.has_table("stay_groups"):
        return False
    groups = wh.table("stay_groups")
    chosen = groups.filter((groups.scheme == scheme) & (groups.status == "grouped"))
    return wh.to_arrow(chosen.aggregate(n=chosen.count()))["n"][0].as_py() > 0


def run(ctx: RunContext) -> StageSummary:
    """Build the DRG reference table (when grouped stays exist) and a DIP catalogue; group DIP."""
    summary = StageSummary(stage="reference")
    wh = ctx.warehouse
    wh.require("stays", "stay_diagnoses", "stay_procedures")
    version = reference_version(wh)
    ctx.output.mkdir(parents=True, exist_ok=True)
    if _has_grouped(wh, ctx.scheme):
        built = build_drg_reference(wh, Population(scheme=ctx.scheme), version)
        path = ctx.output / f"drg_reference-{ctx.scheme}-{version}.csv"
        pacsv.write_csv(reference_rows(wh, ctx.scheme, version), path)
        summary.files.append(path)
        grades = ", ".join(f"{RISK_GRADES[g]} {n}" for g, n in sorted(built.grade_counts.items()))
        summary.lines += [
            f"drg_reference {ctx.scheme} {version}: {built.n_drgs} DRGs from {built.n_stays} stays, "
            f"{built.n_trimmed} left out of cost means",
            f"DRG risk grades: {grades}",
        ]
    else:
        summary.lines.append(f"drg_reference skipped: no grouped stays of {ctx.scheme} in stay_groups")
    if wh.count("stays") == 0:
        summary.lines.append("DIP skipped: no stays")
        return summary
    catalogue, paths = build_dip(wh, DIP_SCHEME_NAME, version,
                                 folder=ctx.output / "schemes" / f"dip-{DIP_SCHEME_NAME}")
    summary.files += paths
    result = group_dip(wh, catalogue)
    f = catalogue.figures
    summary.lines += [
        f"DIP {catalogue.scheme} {version}: {f['n_core_groups']} core + {f['n_comprehensive_groups']} "
        f"comprehensive groups, core share {f['core_share']:.1%}",
        "stay_dip_groups: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items())),
    ]
    return summary
