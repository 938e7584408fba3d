"""DRG settlement, hand-computed.

Rules (payment_fixtures.RULES): base rate 10,000; level 3 x1.0, level 2 x0.8; DRG A weight 1.0 mean cost 10,000
mean LOS 10; DRG B weight 2.0 mean cost 18,000 mean LOS 8. High outlier > 3 x mean cost, paid
standard + 90% of the excess; low < 0.4 x mean, paid at cost; ungroupable 80% of cost; transfer with
LOS < 0.5 x mean LOS per-diem share; death at cost capped at 2 x standard; psychiatry (dept 15) LOS >= 30
paid 400 a day at level 3.
"""

from __future__ import annotations

import pytest

from hospeval.payment.settle import rollup, settlements, simulate

EXPECTED = {
    # stay: (case_type, payment)
    "s_normal": ("normal", 10000.0),          # 10000 x 1.0 x 1.0
    "s_level2": ("normal", 16000.0),          # 10000 x 0.8 x 2.0; 7200 < 15000 < 54000
    "s_high": ("high_outlier", 19000.0),      # 10000 + (40000 - 30000) x 0.9
    "s_low": ("low_outlier", 3000.0),         # 3000 < 4000: at cost
    "s_ungroupable": ("ungroupable", 4000.0), # 5000 x 0.8
    "s_transfer": ("transfer", 3000.0),       # LOS 3 < 5: 10000 x 3 / 10
    "s_transfer_long": ("normal", 10000.0),   # LOS 6 >= 5: normal
    "s_death": ("death", 40000.0),            # min(50000, 2 x 20000)
    "s_bedday": ("bed_day", 16000.0),         # 400 x 40
    "s_nogroup": ("ungroupable", 800.0),      # no stay_groups row: 1000 x 0.8
}


def test_every_drg_rule_hand_computed(drg_wh, rules):
    run = simulate(drg_wh, rules, method="drg")
    rows = {r["stay_id"]: r for r in settlements(drg_wh, run.run_id).to_pyarrow().to_pylist()}
    assert "s_selfpay" not in rows  # payer 7 (self-paid) is not an insured case
    got = {k: (v["case_type"], v["payment"]) for k, v in rows.items()}
    assert got == EXPECTED
    assert rows["s_high"]["surplus"] == pytest.approx(19000 - 40000)
    assert rows["s_bedday"]["method"] == "bed_day" and rows["s_normal"]["method"] == "drg"
    assert run.payment == pytest.approx(sum(p for _, p in EXPECTED.values()))
    assert run.cases == len(EXPECTED)


def test_rollup_per_hospital(drg_wh, rules):
    run = simulate(drg_wh, rules, method="drg")
    per = {r["hospital_id"]: r for r in rollup(drg_wh, run.run_id, "hospital").to_pyarrow().to_pylist()}
    assert per["H2"]["payment"] == 16000.0 and per["H2"]["cases"] == 1
    assert per["H9"]["payment"] == 800.0
    assert per["H3"]["high_outliers"] == 1 and per["H3"]["low_outliers"] == 1
    dept = rollup(drg_wh, run.run_id, "dept").to_pyarrow().to_pylist()
    psych = [r for r in dept if r["discharge_dept"] == "15"]
    assert psych[0]["payment"] == 16000.0


def test_rerun_replaces_rows(drg_wh, rules):
    a = simulate(drg_wh, rules, method="drg")
    b = simulate(drg_wh, rules, method="drg")
    assert a.run_id == b.run_id
    assert settlements(drg_wh, a.run_id).count().execute() == len(EXPECTED)


def test_weights_from_file_and_fund_rates(drg_wh, tmp_path):
    from payment_fixtures import RULES, write_rules

    from hospeval.payment.spec import load_rules

    (tmp_path / "w.csv").write_text("drg,relative_weight\nA,1.5\nB,2.0\n", encoding="utf-8")
    doc = {**RULES, "drg": {**RULES["drg"], "weights": "w.csv", "outlier_reference": "standard",
                            "base_rate": {"employee": 12000, "resident": 9000},
                            "fund_of_payer": {"1": "employee", "2": "resident", "default": "employee"}}}
    rules = load_rules(write_rules(tmp_path, doc))
    run = simulate(drg_wh, rules, method="drg")
    rows = {r["stay_id"]: r for r in settlements(drg_wh, run.run_id).to_pyarrow().to_pylist()}
    # employee fund 12000 x 1.5; reference = standard 18000: 9000 is between 0.4x and 3x -> normal
    assert rows["s_normal"]["payment"] == 18000.0
    assert rows["s_normal"]["case_type"] == "normal"
    # mean LOS still comes from drg_reference: transfer 3 / 10 of 18000
    assert rows["s_transfer"]["payment"] == 5400.0


def test_period_filter_and_empty_run(drg_wh, rules):
    march = simulate(drg_wh, rules, method="drg", period="2024-03")
    assert march.cases == len(EXPECTED) - 1  # s_bedday (LOS 40) is discharged in April
    empty = simulate(drg_wh, rules, method="drg", period="2023")
    assert empty.cases == 0 and empty.payment == 0.0
    assert march.run_id != empty.run_id
