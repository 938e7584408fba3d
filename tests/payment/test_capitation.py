"""Consortium capitation, hand-computed: budget = population x per capita; bands 0-5% fund 70%, 5-10% 50%."""

from __future__ import annotations

import ibis
import pytest

from hospeval.payment.capitation import settle_capitation
from hospeval.payment.settle import CAPITATION, simulate


def _settle(rules, actuals):
    spend = ibis.memtable({"consortium_id": list(actuals), "actual": list(actuals.values())})
    con = ibis.duckdb.connect()
    return {r["consortium_id"]: r for r in con.to_pyarrow(settle_capitation(spend, rules.capitation, "r")).to_pylist()}


def test_bands(rules):
    # C1: population 60 x 1000 = 60,000; others default 100 x 1000 = 100,000
    out = _settle(rules, {"C1": 57000.0, "C2": 108000.0, "C3": 120000.0, "C4": 103000.0})
    c1 = out["C1"]  # surplus 3,000 kept entirely
    assert (c1["budget"], c1["retained"], c1["fund_payment"], c1["consortium_result"]) == (60000, 3000, 60000, 3000)
    c2 = out["C2"]  # 8% over: 5% x 0.7 + 3% x 0.5 = 5% of 100,000 = 5,000 from the fund
    assert c2["fund_extra"] == pytest.approx(5000.0)
    assert c2["fund_payment"] == pytest.approx(105000.0) and c2["consortium_result"] == pytest.approx(-3000.0)
    c3 = out["C3"]  # 20% over: 3,500 + 2,500 + 0 = 6,000
    assert c3["fund_extra"] == pytest.approx(6000.0) and c3["overspend_ratio"] == pytest.approx(0.2)
    c4 = out["C4"]  # 3% over: 0.03 x 0.7 x 100,000 = 2,100
    assert c4["fund_extra"] == pytest.approx(2100.0)


def test_partial_surplus_retained(rules):
    import dataclasses

    cap = dataclasses.replace(rules.capitation, surplus_retained=0.5)
    out = _settle(rules.replace(capitation=cap), {"C1": 50000.0})["C1"]
    assert out["retained"] == 5000.0 and out["fund_payment"] == 55000.0


def test_capitation_from_a_run(drg_wh, rules):
    run = simulate(drg_wh, rules, method="drg")
    rows = drg_wh.table(CAPITATION).to_pyarrow().to_pylist()
    assert [r["consortium_id"] for r in rows] == ["C1"]
    # C1 = H3 + H2 insured cost: everything but the self-paid stay and H9
    assert rows[0]["actual"] == pytest.approx(9000 + 15000 + 40000 + 3000 + 5000 + 6000 + 8000 + 50000 + 20000)
    assert rows[0]["run_id"] == run.run_id


def test_population_from_patients(rules):
    import dataclasses

    cap = dataclasses.replace(rules.capitation, admission_rate=0.2)
    spend = ibis.memtable({"consortium_id": ["C1", "C2"], "actual": [1000.0, 1000.0], "patients": [10, 3]})
    out = {r["consortium_id"]: r for r in ibis.duckdb.connect().to_pyarrow(
        settle_capitation(spend, cap, "r")).to_pylist()}
    assert out["C1"]["population"] == 60          # listed
    assert out["C2"]["population"] == 15          # 3 inpatients / 0.2
    assert out["C2"]["budget"] == 15000.0
