"""Disease-group standards: hand-computed percentiles and amounts above standard."""

from __future__ import annotations

import dataclasses

import pytest
from payment_fixtures import make_warehouse, stay

from hospeval.payment.standards import EXCESS, STANDARDS, load_standards_spec, run_standards

# DRG A: five stays, cost 1000..5000, drugs 100..500 (cost_western_drugs), LOS 1..5; doctors D1 (3), D2 (2)
STAYS = [stay(f"a{i}", "H3", 1000.0 * i, los=i, doctor="D1" if i <= 3 else "D2",
              cost_western_drugs=100.0 * i) for i in range(1, 6)]
GROUPS = [(f"a{i}", "grouped", "A") for i in range(1, 6)]


@pytest.fixture
def wh():
    w = make_warehouse(STAYS, groups=GROUPS)
    yield w
    w.close()


def test_standard_is_the_configured_percentile(wh):
    spec = load_standards_spec()
    run_standards(wh, spec, (("drg", "test-drg"),))
    rows = {r["measure"]: r for r in wh.table(STANDARDS).to_pyarrow().to_pylist()}
    # exact P75 of 1000..5000 (continuous): 1000 + 0.75 x 4 x 1000 = 4000
    assert rows["cost_total"]["standard"] == 4000.0 and rows["cost_total"]["p50"] == 3000.0
    assert rows["cost_total"]["mean"] == 3000.0 and rows["cost_total"]["n"] == 5
    assert rows["drugs"]["standard"] == 400.0
    assert rows["lab"]["standard"] == 0.0  # missing items count 0 in a cost group
    assert rows["los_days"]["standard"] == 4.0
    assert rows["cost_total"]["policy"] == "exact"


def test_excess_per_hospital_and_doctor(wh):
    run_standards(wh, load_standards_spec(), (("drg", "test-drg"),))
    ex = [r for r in wh.table(EXCESS).to_pyarrow().to_pylist() if r["measure"] == "cost_total"]
    hosp = [r for r in ex if r["level"] == "hospital"][0]
    assert (hosp["cases"], hosp["cases_above"], hosp["amount_above"]) == (5, 1, 1000.0)  # 5000 - 4000
    doc = {r["unit_id"]: r for r in ex if r["level"] == "doctor"}
    assert doc["D2"]["cases_above"] == 1 and doc["D1"]["cases_above"] == 0
    assert doc["D2"]["share_above"] == 0.5


def test_min_cases_and_approximate_policy(wh):
    spec = dataclasses.replace(load_standards_spec(), min_cases=6)
    assert run_standards(wh, spec, (("drg", "test-drg"),))[0] == 0
    spec = dataclasses.replace(load_standards_spec(), policy="approximate")
    run_standards(wh, spec, (("drg", "test-drg"),))
    rows = {r["measure"]: r for r in wh.table(STANDARDS).to_pyarrow().to_pylist()}
    assert rows["cost_total"]["policy"] == "approximate"
    assert 3000.0 <= rows["cost_total"]["standard"] <= 5000.0


def test_bad_spec(tmp_path):
    from hospeval.errors import SchemaError

    p = tmp_path / "s.yaml"
    p.write_text("percentile: 1.5\npolicy: exact\nmeasures: {x: {column: los_days}}\n")
    with pytest.raises(SchemaError, match="percentile"):
        load_standards_spec(p)
