"""Costs, dates and front-page fields are consistent except exactly where the truth plants an error."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hospeval.demo.costs import SUB_ITEMS, TOP, split_costs
from hospeval.model import cost_columns, top_cost_columns


def scalar(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchone()[0]


def _ids(wh, sql):
    return {r[0] for r in wh.con.execute(sql).fetchall()}


def _planted(wh, kind):
    return _ids(wh, f"SELECT stay_id FROM demo_planted_errors WHERE kind = '{kind}'")


def test_cost_module_covers_the_schema_categories():
    assert list(TOP) == top_cost_columns()
    assert set(TOP) | set(SUB_ITEMS) == set(cost_columns())


def test_categories_add_up_except_planted(wh):
    total = " + ".join(top_cost_columns())
    off = _ids(wh, f"SELECT stay_id FROM stays WHERE cost_total <> {total}")
    assert off == _planted(wh, "cost_sum_mismatch")
    assert len(off) > 0


def test_sub_items_within_parents_except_planted(wh):
    off = _ids(wh, """SELECT stay_id FROM stays WHERE cost_antibiotics > cost_western_drugs
                      OR cost_physical_therapy > cost_nonsurgical_treatment
                      OR cost_anaesthesia + cost_surgery > cost_surgical_treatment""")
    assert off == _planted(wh, "cost_subitem_exceeds_parent")
    assert scalar(wh, "SELECT count(*) FROM stays WHERE cost_self_pay > cost_total") == 0


def test_los_matches_dates_except_planted(wh):
    off = _ids(wh, """SELECT stay_id FROM stays
                      WHERE los_days <> greatest(1, date_diff('day', CAST(admit_time AS DATE), CAST(discharge_time AS DATE)))
                         OR discharge_time < admit_time""")
    assert off == _planted(wh, "los_mismatch")


def test_procedure_dates_within_stay_except_planted(wh):
    off = _ids(wh, """SELECT p.stay_id FROM stay_procedures p JOIN stays s USING (stay_id)
                      WHERE p.procedure_date < CAST(s.admit_time AS DATE)
                         OR p.procedure_date > CAST(s.discharge_time AS DATE)""")
    assert off == _planted(wh, "procedure_date_outside_stay")


def test_field_level_rules_except_planted(wh):
    assert _ids(wh, "SELECT stay_id FROM stay_diagnoses WHERE admission_condition IS NULL") == _planted(
        wh, "missing_admission_condition")
    mandatory = "admission_count IS NULL OR admission_route IS NULL OR attending_doctor IS NULL"
    assert _ids(wh, f"SELECT stay_id FROM stays WHERE {mandatory}") == _planted(wh, "missing_mandatory_field")
    for field in ("admission_count", "admission_route", "attending_doctor"):
        assert _ids(wh, f"SELECT stay_id FROM stays WHERE {field} IS NULL") == _ids(
            wh, f"SELECT stay_id FROM demo_planted_errors WHERE field = '{field}'")
    injuries = """SELECT s.stay_id FROM stays s JOIN stay_diagnoses d ON d.stay_id = s.stay_id AND d.seq = 0
                  WHERE substr(d.code, 1, 1) IN ('S', 'T') AND s.external_cause_code IS NULL"""
    assert _ids(wh, injuries) == _planted(wh, "missing_external_cause")
    transfers = ("SELECT stay_id FROM stays WHERE discharge_disposition IN ('2', '3') "
                 "AND receiving_institution IS NULL")
    assert _ids(wh, transfers) == _planted(wh, "missing_receiving_institution")
    assert _ids(wh, "SELECT stay_id FROM stays WHERE discharge_disposition = '5' AND autopsy IS NULL") == _planted(
        wh, "missing_autopsy")
    assert scalar(wh, "SELECT count(*) FROM stays WHERE discharge_disposition NOT IN ('2', '3') "
                      "AND receiving_institution IS NOT NULL") == 0


def test_every_error_kind_names_its_table_and_field():
    from hospeval.demo.planted import ERROR_KIND_FIELDS
    from hospeval.demo.roster import ERROR_KINDS
    from hospeval.model import table_spec

    assert set(ERROR_KIND_FIELDS) == set(ERROR_KINDS)
    for table, column in ERROR_KIND_FIELDS.values():
        table_spec(table).column(column)


def test_truth_counts_match_the_planted_table(wh, truth):
    rows = wh.con.execute("SELECT hospital_id, kind, count(*) FROM demo_planted_errors GROUP BY ALL").fetchall()
    assert {(h, k): n for h, k, n in rows} == {(h, k): n for h, kinds in truth.planted_errors.items()
                                               for k, n in kinds.items()}
    for h, kinds in truth.planted_errors.items():
        assert set(kinds) <= set(truth.error_kinds[h])


def test_error_rates_differ_between_hospitals(wh, truth):
    rows = wh.con.execute("""SELECT s.hospital_id, count(e.stay_id) / count(*) FROM stays s
                             LEFT JOIN (SELECT DISTINCT stay_id FROM demo_planted_errors) e USING (stay_id)
                             GROUP BY 1 HAVING count(*) >= 300""").fetchall()
    rate = dict(rows)
    poor = truth.poor_quality_hospital
    assert 0.07 <= rate[poor] <= 0.13
    assert rate[poor] > 2 * max(r for h, r in rate.items() if h != poor)
    assert len(set(truth.error_kinds[poor])) == 11
    assert sum(r > 0 for r in rate.values()) > len(rate) / 2


@settings(max_examples=60, deadline=None)
@given(totals=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=40),
       seed=st.integers(0, 2**32 - 1), tcm=st.booleans())
def test_split_costs_invariants(totals, seed, tcm):
    rng = np.random.default_rng(seed)
    cents = np.array(totals, dtype=np.int64)
    kind = rng.integers(0, 3, len(cents))
    parts = split_costs(cents, kind, np.full(len(cents), tcm), rng.random(len(cents)) < 0.3, rng)
    assert (sum(parts[c] for c in TOP) == cents).all()
    assert all((parts[c] >= 0).all() for c in parts)
    assert (parts["cost_antibiotics"] <= parts["cost_western_drugs"]).all()
    assert (parts["cost_physical_therapy"] <= parts["cost_nonsurgical_treatment"]).all()
    assert (parts["cost_anaesthesia"] + parts["cost_surgery"] <= parts["cost_surgical_treatment"]).all()
