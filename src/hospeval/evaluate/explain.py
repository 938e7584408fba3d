"""Explain one hospital's result on one indicator: where the value comes from and where points are lost.

:func:`explain` returns an :class:`Explanation`: a summary (value, numerator, denominator, peer median and
percentile, points earned and lost) and drill-down tables by department, attending doctor and DRG,
recomputed from the same indicator declaration for that hospital only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from hospeval.errors import WarehouseError
from hospeval.evaluate.engine import POINTS_TABLE, peer_group_expr
from hospeval.evaluate.spec import load_config
from hospeval.indicators.compile import FACTLESS_LEVELS, Scope
from hospeval.indicators.engine import compute_values
from hospeval.indicators.spec import Indicator, IndicatorSet, load_sets
from hospeval.warehouse import Warehouse

DRILL_LEVELS = ("dept", "doctor", "drg")


@dataclass
class Explanation:
    """Summary figures and drill-down tables of one hospital x indicator x year."""

    hospital_id: str
    indicator_set: str
    indicator: Indicator
    period: str
    summary: dict[str, Any]
    peers: pd.DataFrame
    drill: dict[str, pd.DataFrame] = field(default_factory=dict)


def find_indicator(indicator_id: str, set_id: str | None = None) -> tuple[IndicatorSet, Indicator]:
    """Return the set and declaration of an indicator id (searching every set when ``set_id`` is None)."""
    for s in load_sets([set_id] if set_id else None):
        for ind in s.indicators:
            if ind.id == indicator_id:
                return s, ind
    raise WarehouseError(f"no indicator {indicator_id!r}" + (f" in set {set_id!r}" if set_id else ""))


def _peer_values(wh: Warehouse, set_id: str, indicator_id: str, hospital_id: str, period: str | None
                 ) -> tuple[pd.DataFrame, str]:
    wh.require("indicator_values", "hospitals")
    v = wh.table("indicator_values")
    v = v.filter((v.indicator_set == set_id) & (v.indicator_id == indicator_id) & (v.level == "hospital"))
    if period is None:
        own = v.filter((v.hospital_id == hospital_id) & (v.period.length() == 4))
        period = wh.to_arrow(own.aggregate(period=own.period.max()))["period"][0].as_py()
        if period is None:
            raise WarehouseError(f"no value of {indicator_id} for hospital {hospital_id}; run the indicators first")
    h = wh.table("hospitals")
    h = h.select(h_id=h.hospital_id, name=h.name, peer_group=peer_group_expr(h, load_config().peer_group))
    group = wh.to_arrow(h.filter(h.h_id == hospital_id).select("peer_group"))["peer_group"].to_pylist()
    if not group:
        raise WarehouseError(f"no value of {indicator_id} for hospital {hospital_id} in {period}")
    v = v.filter(v.period == period)
    j = v.join(h.filter(h.peer_group == group[0]), v.hospital_id == h.h_id)
    df = wh.to_arrow(j.select("hospital_id", "name", "peer_group", "numerator", "denominator", "value")
                     .order_by([ibis.desc("value"), "hospital_id"])).to_pandas()
    if hospital_id not in set(df.hospital_id):
        raise WarehouseError(f"no value of {indicator_id} for hospital {hospital_id} in {period}")
    return df, period


def _percentile(values: pd.Series, value: float, direction: str) -> float | None:
    """Share of peers (in %) this value is at least as good as; None when undefined."""
    v = values.dropna()
    if value is None or pd.isna(value) or v.empty:
        return None
    if direction == "lower":
        better_or_equal = (v >= value).sum()
    elif direction == "monitor":
        med = v.median()
        better_or_equal = ((v - med).abs() >= abs(value - med)).sum()
    else:
        better_or_equal = (v <= value).sum()
    return 100.0 * better_or_equal / len(v)


def _points(wh: Warehouse, set_id: str, indicator_id: str, hospital_id: str, period: str, method: str
            ) -> tuple[float | None, float | None]:
    if not wh.has_table(POINTS_TABLE):
        return None, None
    p = wh.table(POINTS_TABLE)
    rows = wh.to_arrow(p.filter((p.indicator_set == set_id) & (p.indicator_id == indicator_id)
                                & (p.hospital_id == hospital_id) & (p.period == period) & (p.method == method))
                       .select("points", "max_points").limit(1)).to_pylist()
    return (rows[0]["points"], rows[0]["max_points"]) if rows else (None, None)


def drill_down(wh: Warehouse, indicator_set: IndicatorSet, indicator: Indicator, hospital_id: str,
               period: str, levels: tuple[str, ...] = DRILL_LEVELS) -> dict[str, pd.DataFrame]:
    """Compute the indicator by department, attending doctor and DRG within one hospital and year."""
    if any(m.is_fact for m in indicator.measures()):
        return {}  # hospital-level facts cannot be split
    scope = Scope(hospital_id=hospital_id, periods=(period[:4], str(int(period[:4]) - 1)))
    levels = tuple(lv for lv in levels if lv in FACTLESS_LEVELS)
    exprs = compute_values(wh, [indicator_set], levels, ["year"], scope, indicator_ids=[indicator.id])
    out = {}
    for e in exprs:
        df = wh.ibis().to_pyarrow(e).to_pandas()
        df = df[df.period == period]
        for level, part in df.groupby("level"):
            out[level] = (part[["unit_id", "numerator", "denominator", "value"]]
                          .sort_values(["denominator", "unit_id"], ascending=[False, True]).reset_index(drop=True))
    return out


def explain(wh: Warehouse, hospital_id: str, indicator_id: str, *, set_id: str | None = None,
            period: str | None = None, method: str = "national", drill: bool = True) -> Explanation:
    """Explain one hospital's value and points on one indicator (see module doc)."""
    indicator_set, indicator = find_indicator(indicator_id, set_id)
    peers, period = _peer_values(wh, indicator_set.id, indicator_id, hospital_id, period)
    own = peers[peers.hospital_id == hospital_id].iloc[0]
    points, max_points = _points(wh, indicator_set.id, indicator_id, hospital_id, period, method)
    summary = {
        "indicator": f"{indicator.id} {indicator.name_zh} ({indicator.name_en})",
        "period": period, "unit": indicator.unit, "direction": indicator.direction,
        "value": own.value, "numerator": own.numerator, "denominator": own.denominator,
        "peer_group": own.peer_group, "peers": len(peers), "peer_median": peers.value.median(),
        "peer_percentile": _percentile(peers.value, own.value, indicator.direction),
        "target": (f"{indicator.target.op} {indicator.target.value}" if indicator.target else None),
        "method": method, "points": points, "max_points": max_points,
        "points_lost": (max_points - points) if points is not None and max_points is not None else None,
    }
    drills = drill_down(wh, indicator_set, indicator, hospital_id, period) if drill else {}
    return Explanation(hospital_id=hospital_id, indicator_set=indicator_set.id, indicator=indicator,
                       period=period, summary=summary, peers=peers.reset_index(drop=True), drill=drills)
