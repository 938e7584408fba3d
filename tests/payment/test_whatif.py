"""What-if runs reuse the prepared cases and compare with the baseline."""

from __future__ import annotations

import pytest

from hospeval.payment.cases import cases_table
from hospeval.payment.scenario import Scenario, ScenarioError
from hospeval.payment.settle import compare, settlements, whatif


def test_base_rate_whatif(drg_wh, rules):
    res = whatif(drg_wh, rules, Scenario(base_rate_factor=1.05), method="drg")
    assert res.baseline.run_id != res.scenario.run_id
    base = {r["stay_id"]: r["payment"] for r in settlements(drg_wh, res.baseline.run_id).to_pyarrow().to_pylist()}
    scen = {r["stay_id"]: r["payment"] for r in settlements(drg_wh, res.scenario.run_id).to_pyarrow().to_pylist()}
    assert scen["s_normal"] == pytest.approx(10500.0)          # standard scales
    assert scen["s_low"] == base["s_low"] == 3000.0             # paid at cost: unchanged
    assert scen["s_high"] == pytest.approx(10500.0 + 9000.0)    # threshold from mean cost: excess unchanged
    per = {r["hospital_id"]: r for r in compare(drg_wh, res.baseline.run_id, res.scenario.run_id).to_pyarrow().to_pylist()}
    assert per["H2"]["delta"] == pytest.approx(800.0) and per["H2"]["delta_ratio"] == pytest.approx(0.05)


def test_weight_override_and_reuse(drg_wh, rules):
    whatif(drg_wh, rules, Scenario(weight_factor=1.0), method="drg")
    # the grouping is not read again: drop stay_groups, the what-if still runs on payment_cases
    drg_wh.con.execute("DROP TABLE stay_groups")
    res = whatif(drg_wh, rules, Scenario(weight_overrides=(("B", 3.0),)), method="drg")
    scen = {r["stay_id"]: r["payment"] for r in settlements(drg_wh, res.scenario.run_id).to_pyarrow().to_pylist()}
    assert scen["s_level2"] == pytest.approx(24000.0)  # 10000 x 0.8 x 3.0
    assert drg_wh.has_table(cases_table("drg"))


def test_scenario_validation():
    with pytest.raises(ScenarioError):
        Scenario(base_rate_factor=-1)
    assert Scenario(budget_amount=5e6).name == "budget=5e+06"


def test_whatif_cases_are_session_only_unless_kept(drg_wh, rules):
    from hospeval.payment.settle import SETTLEMENTS, WHATIF_CASES

    res = whatif(drg_wh, rules, Scenario(base_rate_factor=2.0), method="drg")
    assert res.scenario.case_table == WHATIF_CASES
    kept = drg_wh.con.execute(f"SELECT count(*) FROM {SETTLEMENTS} WHERE run_id = ?", [res.scenario.run_id])
    assert kept.fetchone()[0] == 0
    assert settlements(drg_wh, res.scenario.run_id).count().execute() == 10
    res = whatif(drg_wh, rules, Scenario(base_rate_factor=2.0), method="drg", keep_cases=True)
    assert settlements(drg_wh, res.scenario.run_id).count().execute() == 10
    kept = drg_wh.con.execute(f"SELECT count(*) FROM {SETTLEMENTS} WHERE run_id = ?", [res.scenario.run_id])
    assert kept.fetchone()[0] == 10
