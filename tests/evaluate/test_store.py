"""evaluation_indicator_scores is a table rebuilt by every run, also in warehouses that had the old view."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))
from indicator_province import build_warehouse  # noqa: E402

from hospeval.evaluate.engine import INDICATOR_SCORES_TABLE, evaluate_hospitals  # noqa: E402
from hospeval.indicators.engine import evaluate_indicators  # noqa: E402
from hospeval.warehouse import Warehouse  # noqa: E402


def _kind(wh: Warehouse) -> str:
    return wh.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                          [INDICATOR_SCORES_TABLE]).fetchone()[0]


def test_old_view_is_replaced_by_a_table_of_the_national_points():
    with Warehouse(":memory:") as wh:
        build_warehouse(wh)
        evaluate_indicators(wh, ["drg"], levels=["hospital"], grains=["year"])
        evaluate_hospitals(wh, "drg", "2024", ["national", "weighted"])
        assert _kind(wh) == "BASE TABLE"
        wh.con.execute(f"DROP TABLE {INDICATOR_SCORES_TABLE}")  # as an older version left it: a view
        wh.con.execute(f"CREATE VIEW {INDICATOR_SCORES_TABLE} AS SELECT 1 AS stale")
        evaluate_hospitals(wh, "drg", "2024", ["national", "weighted"])
        assert _kind(wh) == "BASE TABLE"
        national = wh.con.execute("SELECT count(*), sum(max_points - points) FROM evaluation_points "
                                  "WHERE method = 'national'").fetchone()
        table = wh.con.execute(f"SELECT count(*), sum(points_lost) FROM {INDICATOR_SCORES_TABLE}").fetchone()
        assert national[0] > 0 and table == national  # weighted rows are not in it
