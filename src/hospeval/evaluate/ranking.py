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

import ibis
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
    v = wh.table("indicator_values")
    if period is None:
        years = v.filter((v.indicator_id == indicator_id) & (v.level == level) & (v.period.length() == 4))
        period = wh.to_arrow(years.aggregate(period=years.period.max()))["period"][0].as_py()
    df = wh.to_arrow(v.filter((v.indicator_set == indicator_set.id) & (v.indicator_id == indicator_id)
                              & (v.level == level) & (v.period == period) & v.value.notnull())
                     .select("unit_id", "hospital_id", "period", "numerator", "denominator", "value")).to_pandas()
    ascending = indicator.direction == "lower"
    df = df.sort_values(["value", "unit_id"], ascending=[ascending, True]).reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    return df


def score_ranking(wh: Warehouse, set_id: str, method: str = "national", period: str | None = None) -> pd.DataFrame:
    """Hospitals ordered by composite score (best first) from ``evaluation_scores``, with peer rank and grade."""
    s = wh.table(SCORES_TABLE)
    if period is None:
        of_set = s.filter(s.indicator_set == set_id)
        period = wh.to_arrow(of_set.aggregate(period=of_set.period.max()))["period"][0].as_py()
    s = s.filter((s.indicator_set == set_id) & (s.method == method) & (s.period == period))
    return wh.to_arrow(s.select("hospital_id", "peer_group", "score", "rank", "percentile", "grade", "score_change")
                       .order_by([ibis.desc("score"), "hospital_id"])).to_pandas()
