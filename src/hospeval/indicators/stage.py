"""Pipeline stage ``indicators``: evaluate every indicator set and write ``indicator_values``."""

from __future__ import annotations

from hospeval.indicators.compile import Scope
from hospeval.indicators.engine import VALUES_TABLE, evaluate_indicators
from hospeval.pipeline import RunContext, StageSummary

LEVELS = ("hospital", "dept", "doctor", "consortium", "district")
GRAINS = ("year", "month")


def run(ctx: RunContext) -> StageSummary:
    """Evaluate all sets by hospital, department, doctor, consortium and district, per year and month."""
    result = evaluate_indicators(ctx.warehouse, None, levels=LEVELS, grains=GRAINS, scope=Scope(scheme=ctx.scheme))
    summary = StageSummary(stage="indicators", timings=result.cpu)
    summary.lines.append(f"{result.rows:,} indicator values from {len(result.sets)} sets "
                         f"({', '.join(result.sets)}) in {result.seconds:.1f} s")
    summary.lines.extend(f"  {level}: {n:,}" for level, n in sorted(result.rows_by_level.items()))
    out = ctx.output / "indicators"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "indicator_values_hospital_year.csv"
    values = ctx.warehouse.table(VALUES_TABLE)
    hospital_years = values.filter((values.level == "hospital") & (values.period.length() == 4))
    ctx.warehouse.write_csv(hospital_years.order_by(["indicator_set", "indicator_id", "hospital_id", "period"]),
                            path)
    summary.files.append(path)
    return summary
