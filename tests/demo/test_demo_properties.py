"""Invariants that hold for any seed and size (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospeval.demo.generator import generate_province
from hospeval.model import top_cost_columns
from hospeval.warehouse import Warehouse


def _count(wh, sql):
    return wh.con.execute(sql).fetchone()[0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stays=st.integers(1, 400), seed=st.integers(0, 2**31 - 1), batch=st.integers(50, 500),
       year=st.integers(2019, 2026))
def test_any_province_is_consistent(stays, seed, batch, year):
    with Warehouse(":memory:") as wh:
        truth = generate_province(wh, stays=stays, seed=seed, batch_size=batch, year=year)
        assert wh.count("stays") == stays == truth.stays
        assert _count(wh, "SELECT count(DISTINCT stay_id) FROM stays") == stays
        assert _count(wh, "SELECT count(*) FROM stays s LEFT JOIN stay_diagnoses d ON d.stay_id = s.stay_id "
                          "AND d.seq = 0 WHERE d.code IS NULL") == 0
        off = _count(wh, f"SELECT count(*) FROM stays WHERE cost_total <> {' + '.join(top_cost_columns())}")
        assert off == truth.planted_error_count(kind="cost_sum_mismatch")
        assert _count(wh, "SELECT count(*) FROM demo_planted_errors") == truth.planted_error_count()
        assert _count(wh, f"SELECT count(*) FROM stays WHERE year(discharge_time) <> {year}") == 0
        assert _count(wh, "SELECT count(*) FROM stays WHERE discharge_time <= admit_time") == 0
        assert _count(wh, "SELECT count(*) FROM stays s JOIN hospitals h USING (hospital_id)") == stays
