"""Shipped rules load and validate; the Harbin figures match the published source."""

from __future__ import annotations

import pytest
from payment_fixtures import RULES, make_warehouse, stay, write_rules

from hospeval.errors import SchemaError
from hospeval.payment.settle import settlements, simulate
from hospeval.payment.spec import available_rules, load_rules


def test_all_shipped_rules_load():
    names = available_rules()
    assert {"demo/2024", "harbin/2023", "harbin/2024"} <= set(names)
    for name in names:
        assert load_rules(name).id


def test_harbin_2024_figures():
    r = load_rules("harbin/2024")
    assert r.drg.base_rate == {"employee": 12252.70, "resident": 9649.24}
    weights = dict(r.drg.weight_table)
    assert len(weights) == 703 and weights["AA19"] == 18.2858 and weights["BW19"] == 0.4461


def test_harbin_settlement_by_fund():
    # resident (payer 2): 9649.24 x 18.2858 = 176,444.07; employee (payer 1): 12252.70 x 0.4461 = 5,465.93
    stays = [stay("h1", "H3", 150000.0, payer="2"), stay("h2", "H3", 5000.0, payer="1")]
    wh = make_warehouse(stays, groups=[("h1", "grouped", "AA19"), ("h2", "grouped", "BW19")])
    wh.con.execute("UPDATE stay_groups SET scheme = 'chs-drg-1.1'")
    run = simulate(wh, load_rules("harbin/2024"), method="drg")
    rows = {r["stay_id"]: r for r in settlements(wh, run.run_id).to_pyarrow().to_pylist()}
    assert rows["h1"]["payment"] == 176444.07 and rows["h1"]["case_type"] == "normal"
    assert rows["h2"]["payment"] == 5465.93


@pytest.mark.parametrize("patch, field", [
    ({"drg": {**RULES["drg"], "base_rate": "lots"}}, "drg.base_rate"),
    ({"drg": {**RULES["drg"], "high_outlier": {"multiple": -1}}}, "drg.high_outlier.multiple"),
    ({"drg": {**RULES["drg"], "ungroupable": {"method": "magic"}}}, "drg.ungroupable.method"),
    ({"dip": {**RULES["dip"], "budget": {"amount": 1, "share_of_cost": 0.5}}}, "dip.budget.amount"),
    ({"dip": {**RULES["dip"], "high_min_ratio": 9}}, "dip.high_min_ratio"),
    ({"capitation": {**RULES["capitation"], "bands": [{"upto": None, "fund_share": 0.5},
                                                      {"upto": 0.1, "fund_share": 0.2}]}}, "capitation.bands"),
])
def test_bad_rules_name_the_field(tmp_path, patch, field):
    with pytest.raises(SchemaError) as err:
        load_rules(write_rules(tmp_path, {**RULES, **patch}))
    assert f"field {field}" in str(err.value) and "rules.yaml" in str(err.value)


def test_unknown_rules_name():
    with pytest.raises(SchemaError, match="no payment rules"):
        load_rules("nowhere/1999")
