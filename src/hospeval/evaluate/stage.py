"""Pipeline stage ``evaluate``: score, grade and rank hospitals on every set; select pilots."""

from __future__ import annotations

from hospeval.evaluate.engine import SCORES_TABLE, evaluate_hospitals
from hospeval.evaluate.pilots import select_pilots
from hospeval.pipeline import RunContext, StageSummary

PILOT_COUNTS = {"high_level": 10, "regional": 10, "community": 20}


def run(ctx: RunContext) -> StageSummary:
    """Evaluate the latest year of every set with hospital values, then select the Shanghai-style pilots."""
    wh = ctx.warehouse
    summary = StageSummary(stage="evaluate")
    wh.require("indicator_values", "hospitals")
    latest = wh.con.execute("SELECT indicator_set, max(period) FROM indicator_values WHERE level = 'hospital' "
                            "AND length(period) = 4 GROUP BY indicator_set ORDER BY 1").fetchall()
    for set_id, period in latest:
        run_ = evaluate_hospitals(wh, set_id, period)
        summary.lines.append(f"{set_id} {period}: {run_.hospitals} hospitals scored ({', '.join(run_.methods)})")
    if latest:
        period = max(p for _, p in latest)
        pilots = select_pilots(wh, PILOT_COUNTS, period)
        summary.lines.append(f"pilots {period}: " + ", ".join(
            f"{c} {n}" for c, n in pilots.groupby("category").size().items()))
        out = ctx.output / "evaluate"
        out.mkdir(parents=True, exist_ok=True)
        scores_path, pilots_path = out / "evaluation_scores.csv", out / "pilots.csv"
        wh.con.execute(f"COPY (SELECT * FROM {SCORES_TABLE} ORDER BY indicator_set, method, peer_group, rank) "
                       f"TO '{scores_path}' (HEADER, DELIMITER ',')")
        pilots.to_csv(pilots_path, index=False)
        summary.files.extend([scores_path, pilots_path])
    return summary
