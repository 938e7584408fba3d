"""Hand-computed values for every formula kind, on the 7-stay province of conftest.py.

Reference (version 2024): G1 weight 1.0, mean cost 2000, mean LOS 5, risk grade 1 (low);
G2 weight 2.0, mean cost 4000, mean LOS 8, risk grade 2 (mid-low). Version 2023 (weight 9) must be ignored.
H1 2024: s1 G1 1000 yuan 5 d; s2 G1 3000 yuan 10 d death; s3 G2 2000 yuan 4 d; s4 ungroupable 500 yuan 2 d.
H2 2024: s5 G2 4000 yuan 8 d; s6 G1 2000 yuan 5 d.  H1 2023: s7 G1 1500 yuan 5 d.
"""

from __future__ import annotations

import pandas as pd
import pytest
from indicator_province import build_warehouse

from hospeval.indicators.engine import evaluate_indicators
from hospeval.warehouse import Warehouse


@pytest.fixture(scope="module")
def values():
    with Warehouse(":memory:") as wh:
        build_warehouse(wh)
        evaluate_indicators(wh, ["drg", "tertiary"], levels=["hospital", "dept", "doctor", "consortium"],
                            grains=["year", "month"])
        df = wh.con.execute("SELECT * FROM indicator_values").df()
    return df


def get(values, indicator, unit="H1", period="2024", level="hospital", hospital=None):
    rows = values[(values.indicator_id == indicator) & (values.unit_id == unit) & (values.period == period)
                  & (values.level == level)]
    if hospital:
        rows = rows[rows.hospital_id == hospital]
    assert len(rows) == 1, (indicator, unit, period, level, rows)
    return rows.iloc[0]


def test_cmi_sum_over_count(values):
    # H1: weights 1 + 1 + 2 = 4 over 3 grouped stays (s4 ungroupable is left out)
    r = get(values, "drg_cmi")
    assert (r.numerator, r.denominator) == (4.0, 3.0)
    assert r.value == pytest.approx(4 / 3)
    assert get(values, "drg_cmi", "H2").value == pytest.approx((2 + 1) / 2)


def test_count_distinct_and_sum_without_denominator(values):
    assert get(values, "drg_group_count").value == 2.0  # G1, G2
    r = get(values, "drg_total_weight")
    assert r.value == 4.0 and r.denominator != r.denominator  # NaN = NULL denominator


def test_cost_and_time_efficiency_index(values):
    # CEI = (1000/2000 + 3000/2000 + 2000/4000) / 3 = 2.5 / 3
    assert get(values, "drg_cost_efficiency_index").value == pytest.approx(2.5 / 3)
    # TEI = (5/5 + 10/5 + 4/8) / 3 = 3.5 / 3
    assert get(values, "drg_time_efficiency_index").value == pytest.approx(3.5 / 3)
    # H2: (4000/4000 + 2000/2000) / 2 = 1
    assert get(values, "drg_cost_efficiency_index", "H2").value == pytest.approx(1.0)


def test_risk_group_mortality_percent(values):
    r = get(values, "drg_low_risk_mortality")  # G1 stays s1, s2; s2 died
    assert (r.numerator, r.denominator, r.value) == (1.0, 2.0, 50.0)
    assert r.expected == pytest.approx(0.01 + 0.01)  # sum of reference mortality of G1 over s1, s2
    assert get(values, "drg_mid_low_risk_mortality").value == 0.0  # G2: s3 alive
    assert get(values, "t14_low_risk_mortality").value == 50.0


def test_grouped_rate(values):
    assert get(values, "drg_grouped_rate").value == 75.0  # 3 of 4


def test_stay_flags_from_procedures_and_codelists(values):
    assert get(values, "t04_surgery_share").value == 50.0  # s1, s3 of 4 stays
    # s1 is level 4 on the front page; s3 (51.2300) matches the minimally-invasive list by prefix 51.23
    assert get(values, "t06_level4_surgery_share").value == 50.0
    assert get(values, "t05_minimally_invasive_share").value == 50.0
    # H2: s5 47.0100 lap appendectomy is minimally invasive, level 3 (not 4)
    assert get(values, "t05_minimally_invasive_share", "H2").value == 100.0
    assert get(values, "t06_level4_surgery_share", "H2").value == 0.0


def test_diagnosis_flag_complication(values):
    # elective surgical patients s1, s3; s3 has T81.401 not present on admission
    r = get(values, "t08_surgical_complication_rate")
    assert (r.numerator, r.denominator, r.value) == (1.0, 2.0, 50.0)


def test_procedure_base_counts_operations(values):
    # class I incisions: s1 (healed A), s3 (healed C = infection) -> 1 / 2
    assert get(values, "t09_class1_incision_infection_rate").value == 50.0
    # elective operations s1, s3; s3's stay is a day surgery -> 1 / 2
    assert get(values, "t03_day_surgery_share").value == 50.0


def test_zero_denominator_gives_null(values):
    r = get(values, "t09_class1_incision_infection_rate", "H2")  # s5 is class II
    assert r.denominator == 0.0 and r.value != r.value


def test_fact_ratio_and_scales(values):
    assert get(values, "t31_medical_service_revenue_share").value == pytest.approx(30.0)  # 300/1000 x 100
    assert get(values, "t34_energy_per_10k_revenue").value == pytest.approx(250.0)  # 50/2000 x 10000
    assert get(values, "t46_nurses_per_doctor").value == pytest.approx(2.5)  # 25 / 10


def test_fact_expression_difference(values):
    assert get(values, "t35_operating_balance").value == pytest.approx(100.0)  # 1000 - 900


def test_mixed_fact_and_front_page(values):
    # 8.4 DDD x 100 / (5 + 10 + 4 + 2 patient-days) = 40
    assert get(values, "t17_antibiotic_intensity").value == pytest.approx(40.0)


def test_growth_front_page_and_fact(values):
    # per-stay cost 2024 (1000+3000+2000+500)/4 = 1625; 2023 1500 -> +125 / 1500 = 8.333 %
    r = get(values, "t40_inpatient_cost_per_stay_growth")
    assert (r.numerator, r.denominator) == (pytest.approx(125.0), pytest.approx(1500.0))
    assert r.value == pytest.approx(125 / 1500 * 100)
    # medical revenue 1000 vs 800 -> 25 %
    assert get(values, "t37_medical_revenue_growth").value == pytest.approx(25.0)
    # H2 has no 2023 -> no growth row
    assert values[(values.indicator_id == "t40_inpatient_cost_per_stay_growth") & (values.unit_id == "H2")].empty


def test_dept_doctor_month_levels(values):
    # D1 of H1 = s1, s2: CMI 2/2 = 1, CEI (0.5 + 1.5)/2 = 1, low-risk mortality 1/2
    assert get(values, "drg_cmi", "D1", level="dept", hospital="H1").value == pytest.approx(1.0)
    assert get(values, "drg_cost_efficiency_index", "D1", level="dept", hospital="H1").value == pytest.approx(1.0)
    assert get(values, "drg_low_risk_mortality", "A", level="doctor").value == 50.0
    # D2 = s3 (G2) and s4 (ungroupable): CMI 2 / 1
    assert get(values, "drg_cmi", "D2", level="dept", hospital="H1").value == pytest.approx(2.0)
    # months: January = s1, s2
    assert get(values, "drg_cmi", "H1", period="2024-01").value == pytest.approx(1.0)
    assert get(values, "drg_cmi", "H1", period="2024-02").value == pytest.approx(2.0)


def test_dept_level_skips_fact_indicators(values):
    dept = values[values.level == "dept"]
    assert not dept.indicator_id.isin(["t31_medical_service_revenue_share", "t17_antibiotic_intensity"]).any()
    assert set(dept[dept.unit_id == "D1"].hospital_id) == {"H1", "H2"}


def test_consortium_rollup(values):
    # K1 = H1 + H2: CMI (4 + 3) / (3 + 2)
    r = get(values, "drg_cmi", "K1", level="consortium")
    assert r.value == pytest.approx(7 / 5)
    assert pd.isna(r.hospital_id)
    # facts summed: nurses 25 + 5 over doctors 10 + 5
    assert get(values, "t46_nurses_per_doctor", "K1", level="consortium").value == pytest.approx(2.0)
    # satisfaction averaged (rollup: mean): (90 + 80) / 2
    assert get(values, "t54_inpatient_satisfaction", "K1", level="consortium").value == pytest.approx(85.0)
