"""Pilot selection after the Shanghai scheme, with the reasons shown.

N high-level hospitals + N regional medical centres + N community health centres, chosen by composite score
within their category.

Categories (filter on ``hospitals`` and the indicator set that ranks them) are data:
``pilot_categories`` in ``indicators/_evaluation.yaml``. Writes ``evaluation_pilots``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from hospeval.errors import HospevalError
from hospeval.evaluate.engine import POINTS_TABLE, SCORES_TABLE, evaluate_hospitals
from hospeval.evaluate.methods import SCORE_DIGITS
from hospeval.evaluate.spec import EvaluationConfig, load_config
from hospeval.indicators.codelists import codelist
from hospeval.indicators.expr import compile_expr
from hospeval.indicators.spec import load_set
from hospeval.warehouse import Warehouse

PILOTS_TABLE = "evaluation_pilots"
PILOT_COLUMNS = ["period", "category", "category_label", "category_rank", "hospital_id", "name", "peer_group",
                 "score", "grade", "peer_rank", "reason"]
PILOT_SCHEMA = pa.schema([(c, pa.int64() if c in ("category_rank", "peer_rank") else
                           pa.float64() if c == "score" else pa.string()) for c in PILOT_COLUMNS])


# Scores and points are read into pandas: they are results-sized (hospitals x indicators), not stay-sized.
def _scores(wh: Warehouse, set_id: str, period: str, method: str) -> pd.DataFrame:
    where = {"indicator_set": set_id, "period": period, "method": method}
    if not (wh.has_table(SCORES_TABLE) and wh.count(SCORES_TABLE, where)):
        evaluate_hospitals(wh, set_id, period)
    s = wh.table(SCORES_TABLE)
    return wh.to_arrow(s.filter((s.indicator_set == set_id) & (s.period == period) & (s.method == method))
                       ).to_pandas()


def _reasons(wh: Warehouse, set_id: str, period: str, method: str, hospital_ids: list[str]) -> dict[str, str]:
    """Strongest and weakest indicators of each hospital (share of the indicator's points earned)."""
    if not hospital_ids:
        return {}
    p = wh.table(POINTS_TABLE)
    pts = wh.to_arrow(p.filter((p.indicator_set == set_id) & (p.period == period) & (p.method == method)
                               & p.hospital_id.isin(hospital_ids) & p.raw_value.notnull())
                      .select("hospital_id", "indicator_id", "normalised")).to_pandas()
    names = {i.id: i.name_zh for i in load_set(set_id).indicators}
    out = {}
    for hid, grp in pts.groupby("hospital_id"):
        grp = grp.sort_values(["normalised", "indicator_id"], ascending=[False, True])
        best = "、".join(names.get(i, i) for i in grp.indicator_id.head(2))
        worst = names.get(grp.indicator_id.iloc[-1], grp.indicator_id.iloc[-1])
        out[hid] = f"优势: {best}; 短板: {worst}"
    return out


def select_pilots(wh: Warehouse, counts: Mapping[str, int], period: str, method: str = "national",
                  config: EvaluationConfig | None = None) -> pd.DataFrame:
    """Choose the top ``counts[category]`` hospitals of each pilot category by score.

    Parameters
    ----------
    wh
        The warehouse (``hospitals``, ``indicator_values``; scores are computed when missing).
    counts
        Category id -> number to select, e.g. ``{"high_level": 10, "regional": 10, "community": 20}``.
    period
        Evaluation year ('YYYY').
    method
        Scoring method whose score ranks the hospitals.
    config
        Evaluation settings (``indicators/_evaluation.yaml`` when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per selected hospital (``PILOT_COLUMNS``), also written to ``evaluation_pilots``.
    """
    config = config or load_config()
    wh.require("hospitals")
    frames = []
    for cat_id, n in counts.items():
        if n <= 0:
            continue
        cat = config.pilot_category(cat_id)
        h = wh.table("hospitals")
        eligible = wh.to_arrow(h.filter(compile_expr(cat.where, h, codelist).fill_null(False))
                               .select("hospital_id", "name")).to_pandas()
        try:
            scores = _scores(wh, cat.indicator_set, period, method)
        except HospevalError:
            continue  # no indicator values for this category's set: nobody to select
        ranked = scores.merge(eligible, on="hospital_id")
        ranked = (ranked.assign(_key=ranked.score.round(SCORE_DIGITS))  # equal scores tie on every engine
                  .sort_values(["_key", "hospital_id"], ascending=[False, True]).head(n))
        reasons = _reasons(wh, cat.indicator_set, period, method, ranked.hospital_id.tolist())
        peers = scores.groupby("peer_group").hospital_id.count()
        frames.append(pd.DataFrame({
            "period": period, "category": cat.id, "category_label": cat.label_zh,
            "category_rank": range(1, len(ranked) + 1), "hospital_id": ranked.hospital_id.values,
            "name": ranked.name.values, "peer_group": ranked.peer_group.values, "score": ranked.score.values,
            "grade": ranked.grade.values, "peer_rank": ranked["rank"].values,
            "reason": [f"{cat.indicator_set} {method} 得分 {s:.1f}，同组 {pg} 第 {r}/{peers[pg]} 名，等级 {g}；"
                       f"{reasons.get(hid, '')}"
                       for hid, s, pg, r, g in zip(ranked.hospital_id, ranked.score, ranked.peer_group,
                                                   ranked["rank"], ranked.grade, strict=True)],
        }))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PILOT_COLUMNS)
    out = out[PILOT_COLUMNS]
    wh.replace(PILOTS_TABLE, pa.Table.from_pandas(out, schema=PILOT_SCHEMA, preserve_index=False))
    return out

