"""Evaluation on the 7-stay province (tests/indicators/indicator_province.py), numbers worked out by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))
from indicator_province import build_warehouse  # noqa: E402

from hospeval.evaluate.engine import evaluate_hospitals  # noqa: E402
from hospeval.evaluate.explain import explain  # noqa: E402
from hospeval.evaluate.pilots import select_pilots  # noqa: E402
from hospeval.evaluate.ranking import indicator_ranking, score_ranking  # noqa: E402
from hospeval.indicators.engine import evaluate_indicators  # noqa: E402
from hospeval.warehouse import Warehouse  # noqa: E402


@pytest.fixture(scope="module")
def wh():
    with Warehouse(":memory:") as w:
        build_warehouse(w)
        evaluate_indicators(w, ["drg", "tertiary", "secondary"], levels=["hospital"], grains=["year"])
        yield w


def test_pilots_by_category(wh):
    # H1 is tertiary -> high-level category (tertiary set); H2 secondary -> regional (secondary set)
    p = select_pilots(wh, {"high_level": 1, "regional": 1, "community": 5}, "2024")
    assert list(zip(p.category, p.hospital_id, strict=True)) == [("high_level", "H1"), ("regional", "H2")]
    assert "第 1/1 名" in p.reason.iloc[0] and "优势" in p.reason.iloc[0]
    assert wh.count("evaluation_pilots") == 2


def test_national_points_same_peer_group(wh):
    wh.con.execute("UPDATE hospitals SET level = '3'")
    try:
        evaluate_hospitals(wh, "drg", "2024", ["national"])
        s = score_ranking(wh, "drg", "national", "2024").set_index("hospital_id")
    finally:
        wh.con.execute("UPDATE hospitals SET level = '2' WHERE hospital_id = 'H2'")
    # 8 indicators x 125 points. H1 wins total weight (4 > 3) and CEI (0.83 < 1.0); H2 wins CMI, grouped
    # rate, TEI and low-risk mortality (H1: 1 death where 0.02 were expected, O/E = 50; H2: 0 of 0.01);
    # group count and mid-low-risk mortality (0 deaths both) tie at 62.5 each.
    assert s.loc["H1", "score"] == pytest.approx(125 + 125 + 2 * 62.5)
    assert s.loc["H2", "score"] == pytest.approx(4 * 125 + 2 * 62.5)
    assert (s.loc["H2", "rank"], s.loc["H1", "rank"]) == (1, 2)
    assert (s.loc["H2", "percentile"], s.loc["H1", "percentile"]) == (100.0, 0.0)
    # year-on-year: H1 also has 2023, alone in its group: full marks on 7 indicators (875); mid-low-risk
    # mortality has no cases in 2023 (0 / 0 = NULL) and scores 0
    assert s.loc["H1", "score_change"] == pytest.approx(s.loc["H1", "score"] - 875.0)


def test_explain_value_peers_points_and_drill(wh):
    wh.con.execute("UPDATE hospitals SET level = '3'")
    try:
        evaluate_hospitals(wh, "drg", "2024", ["national"])
        ex = explain(wh, "H1", "drg_cost_efficiency_index", period="2024")
    finally:
        wh.con.execute("UPDATE hospitals SET level = '2' WHERE hospital_id = 'H2'")
    s = ex.summary
    assert (s["value"], s["numerator"], s["denominator"]) == (pytest.approx(2.5 / 3), 2.5, 3.0)
    assert s["peer_median"] == pytest.approx((2.5 / 3 + 1.0) / 2)
    assert s["peer_percentile"] == 100.0  # lower is better: at least as good as both
    assert (s["points"], s["max_points"], s["points_lost"]) == (125.0, 125.0, 0.0)
    dept = ex.drill["dept"].set_index("unit_id")
    assert dept.loc["D1", "value"] == pytest.approx(1.0)  # (1000/2000 + 3000/2000) / 2
    assert dept.loc["D2", "value"] == pytest.approx(0.5)  # 2000/4000
    assert set(ex.drill["drg"].unit_id) == {"G1", "G2"}
    assert set(ex.drill["doctor"].unit_id) == {"A", "B"}


def test_indicator_ranking_direction(wh):
    r = indicator_ranking(wh, "drg_cost_efficiency_index", "2024")
    assert list(r.unit_id) == ["H1", "H2"]  # lower is better
    r = indicator_ranking(wh, "drg_low_risk_mortality", "2024")
    assert list(r.unit_id) == ["H2", "H1"]  # H1 has the low-risk death
