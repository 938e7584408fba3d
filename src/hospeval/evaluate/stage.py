"""Pipeline stage ``evaluate``: score, grade and rank hospitals on every set; select pilots."""

from __future__ import annotations

from hospeval.evaluate.engine import SCORES_TABLE, evaluate_hospitals, write_indicator_scores
from hospeval.evaluate.pilots import select_pilots
from hospeval.pipeline import RunContext, StageSummary

PILOT_COUNTS = {"high_level": 10, "regional": 10, "community": 20}


def run(ctx: RunContext) -> StageSummary:
    """Evaluate the latest year of every set with hospital values, then select the Shanghai-style pilots."""
    wh = ctx.warehouse
    summary = StageSummary(stage="evaluate")
    wh.require("indicator_values", "hospitals")
    v = wh.table("indicator_values")
    v = v.filter((v.level == "hospital") & (v.period.length() == 4))
    latest = [(r["indicator_set"], r["period"]) for r in wh.to_arrow(
        v.group_by("indicator_set").aggregate(period=v.period.max()).order_by("indicator_set")).to_pylist()]
    for set_id, period in latest:
        run_ = evaluate_hospitals(wh, set_id, period, indicator_scores=False)
        summary.lines.append(f"{set_id} {period}: {run_.hospitals} hospitals scored ({', '.join(run_.methods)})")
    if latest:
        write_indicator_scores(wh)  # once for all sets (each is a rewrite of the whole table)
        period = max(p for _, p in latest)
        pilots = select_pilots(wh, PILOT_COUNTS, period)
        summary.lines.append(f"pilots {period}: " + ", ".join(
            f"{c} {n}" for c, n in pilots.groupby("category").size().items()))
        out = ctx.output / "evaluate"
        out.mkdir(parents=True, exist_ok=True)
        scores_path, pilots_path = out / "evaluation_scores.csv", out / "pilots.csv"
        scores = wh.table(SCORES_TABLE)
        wh.write_csv(scores.order_by(["indicator_set", "method", "peer_group", "rank", "hospital_id"]), scores_path)
        pilots.to_csv(pilots_path, index=False)
        summary.files.extend([scores_path, pilots_path])
    return summary
