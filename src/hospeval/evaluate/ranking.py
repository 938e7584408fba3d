"""Read-side helpers: rankings of hospitals by score or by one indicator, as plain tables.

Made for checks such as "the hospital generated as less efficient has the highest cost efficiency index"
or "the hospital with planted low-risk deaths ranks last on low-risk mortality".

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> with Warehouse(":memory:") as wh:
...     wh.ensure_schema()
...     indicator_ranking(wh, "drg_cmi").empty
True
"""

from __future__ import annotations

import pandas as pd

from hospeval.evaluate.engine import SCORES_TABLE
from hospeval.evaluate.explain import find_indicator
from hospeval.warehouse import Warehouse


def indicator_ranking(wh: Warehouse, indicator_id: str, period: str | None = None,
                      set_id: str | None = None, level: str = "hospital") -> pd.DataFrame:
    """Units ordered best first on one indicator (direction-aware; monitor indicators by value, descending).

    Columns: unit_id, hospital_id, period, numerator, denominator, value, rank (1 = best).
    """
    indicator_set, indicator = find_indicator(indicator_id, set_id)
    if not wh.has_table("indicator_values"):
        return pd.DataFrame(columns=["unit_id", "hospital_id", "period", "numerator", "denominator", "value", "rank"])
    if period is None:
        period = wh.con.execute("SELECT max(period) FROM indicator_values WHERE indicator_id = ? AND level = ? "
                                "AND length(period) = 4", [indicator_id, level]).fetchone()[0]
    df = wh.con.execute("SELECT unit_id, hospital_id, period, numerator, denominator, value FROM indicator_values "
                        "WHERE indicator_set = ? AND indicator_id = ? AND level = ? AND period = ? "
                        "AND value IS NOT NULL", [indicator_set.id, indicator_id, level, period]).df()
    ascending = indicator.direction == "lower"
    df = df.sort_values(["value", "unit_id"], ascending=[ascending, True]).reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    return df


def score_ranking(wh: Warehouse, set_id: str, method: str = "national", period: str | None = None) -> pd.DataFrame:
    """Hospitals ordered by composite score (best first) from ``evaluation_scores``, with peer rank and grade."""
    wh.require(SCORES_TABLE)
    if period is None:
        period = wh.con.execute(f"SELECT max(period) FROM {SCORES_TABLE} WHERE indicator_set = ?",
                                [set_id]).fetchone()[0]
    return wh.con.execute(f"SELECT hospital_id, peer_group, score, rank, percentile, grade, score_change "
                          f"FROM {SCORES_TABLE} WHERE indicator_set = ? AND method = ? AND period = ? "
                          "ORDER BY score DESC, hospital_id", [set_id, method, period]).df()
