"""DIP settlement, hand-computed.

Reference: G1 mean cost 10,000, 100 points; G2 mean cost 20,000, 200 points (10 stays each), so the
reference prices a point at (10000x10 + 20000x10) / (100x10 + 200x10) = 100 yuan. Level 2 coefficient 0.9.

- d_normal   cost 10,000 ratio 1.0          -> 100 points
- d_low      cost  4,000 ratio 0.4 <= 0.5   -> 0.4 x 100 = 40
- d_high     cost 30,000 ratio 3.0 in [2,5] -> ((3 - 2) x 1 + 1) x 100 = 200
- d_extreme  cost 60,000 ratio 6.0 > 5      -> ((6 - 2) + 1) x 100 = 500, flagged for review
- d_level2   cost 20,000 G2 ratio 1.0       -> 200 x 0.9 = 180
- d_ungroupable cost 5,000                  -> 5000 / 100 x 0.9 = 45
Total 1,065 points; budget 106,500 -> point value 100 yuan. d_bedday is paid 400 x 40 outside the budget.
"""

from __future__ import annotations

import pytest
from payment_fixtures import RULES, write_rules

from hospeval.payment.scenario import Scenario
from hospeval.payment.settle import settlements, simulate
from hospeval.payment.spec import load_rules

POINTS = {"d_normal": 100, "d_low": 40, "d_high": 200, "d_extreme": 500, "d_level2": 180, "d_ungroupable": 45}
TYPES = {"d_normal": "normal", "d_low": "low_outlier", "d_high": "high_outlier", "d_extreme": "extreme_outlier",
         "d_level2": "normal", "d_ungroupable": "ungroupable", "d_bedday": "bed_day"}


def _rows(wh, run):
    return {r["stay_id"]: r for r in settlements(wh, run.run_id).to_pyarrow().to_pylist()}


def test_every_dip_rule_hand_computed(dip_wh, rules):
    run = simulate(dip_wh, rules, method="dip")
    rows = _rows(dip_wh, run)
    assert {k: v["case_type"] for k, v in rows.items()} == TYPES
    assert {k: v["units"] for k, v in rows.items() if k in POINTS} == pytest.approx(POINTS)
    assert run.total_points == pytest.approx(1065)
    assert run.point_value == pytest.approx(100.0)
    assert {k: rows[k]["payment"] for k in POINTS} == pytest.approx({k: p * 100.0 for k, p in POINTS.items()})
    assert rows["d_bedday"]["payment"] == 16000.0 and rows["d_bedday"]["method"] == "bed_day"
    assert rows["d_extreme"]["review"] is True and rows["d_high"]["review"] is False


def test_budget_neutral_to_the_cent(dip_wh, tmp_path):
    doc = {**RULES, "dip": {**RULES["dip"], "budget": {"amount": 100000.0}}}
    run = simulate(dip_wh, load_rules(write_rules(tmp_path, doc)), method="dip")
    dip_paid = sum(r["payment"] for r in _rows(dip_wh, run).values() if r["method"] == "dip")
    assert round(dip_paid * 100) == 100000 * 100
    assert run.point_value == pytest.approx(100000 / 1065)


def test_budget_share_of_cost(dip_wh, tmp_path):
    doc = {**RULES, "dip": {**RULES["dip"], "budget": {"share_of_cost": 0.5}}}
    run = simulate(dip_wh, load_rules(write_rules(tmp_path, doc)), method="dip")
    dip_cost = 10000 + 4000 + 30000 + 60000 + 20000 + 5000
    assert run.budget == pytest.approx(0.5 * dip_cost)


def test_budget_whatif_scales_point_value(dip_wh, rules):
    run = simulate(dip_wh, rules, method="dip", scenario=Scenario(budget_factor=1.1))
    assert run.budget == pytest.approx(117150.0)
    assert run.point_value == pytest.approx(110.0)


def test_hospital_coefficient_override(dip_wh, tmp_path):
    doc = {**RULES, "dip": {**RULES["dip"], "hospital_coefficient": {"H2": 1.2}}}
    run = simulate(dip_wh, load_rules(write_rules(tmp_path, doc)), method="dip")
    assert _rows(dip_wh, run)["d_level2"]["units"] == pytest.approx(240.0)


def test_budget_whatif_reuses_points(dip_wh, rules):
    from hospeval.payment.dip import POINTS_TABLE
    from hospeval.payment.settle import whatif

    whatif(dip_wh, rules, Scenario(budget_factor=1.0), method="dip")
    dip_wh.con.execute(f"UPDATE {POINTS_TABLE} SET points = points * 2 WHERE stay_id = 'd_normal'")
    res = whatif(dip_wh, rules, Scenario(budget_amount=106500 + 10000), method="dip")
    # the marked points were reused: d_normal now has 200 of 1,165 points
    assert res.scenario.total_points == pytest.approx(1165.0)
    # any budget change keeps reusing them
    res = whatif(dip_wh, rules, Scenario(budget_amount=1.0), method="dip")
    assert res.scenario.total_points == pytest.approx(1165.0)
    res = simulate(dip_wh, rules, method="dip")  # a fresh baseline prepares the cases and points again
    assert res.total_points == pytest.approx(1065.0)
