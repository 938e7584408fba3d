"""Scores per hospital and department, hand-computed on five stays."""

from __future__ import annotations

import pytest

from hospeval.quality.engine import run_rules
from hospeval.quality.scoring import compute_scores
from hospeval.quality.spec import load_catalogue, load_scoring

from .fixtures import DICTIONARIES, warehouse_with

# a: clean (100) · b: payer missing (C004 error completeness -2) + director missing (C015 warning -0.5) = 97.5
# c: principal dx "K35" (K008 -4, K001 not in dictionary -3) = 93 · d: total 4100 != 4000 (S013 -2), no procedure = 98
# e (hospital H2): procedure 47.0199 not in dictionary (K040 -3) = 97
STAYS = {
    "a": {},
    "b": {"stay": {"payer": None, "director_doctor": None, "discharge_dept": "05"}},
    "c": {"dx": [{"code": "K35"}]},
    "d": {"stay": {"cost_total": 4100}, "proc": []},
    "e": {"stay": {"hospital_id": "H2"}, "proc": [{"code": "47.0199"}]},
}


@pytest.fixture(scope="module")
def scored():
    wh = warehouse_with(STAYS)
    run_rules(wh, dictionaries=DICTIONARIES)
    table = compute_scores(wh, load_catalogue(), load_scoring(), scheme="chs-drg-1.1").to_pylist()
    yield wh, {(r["hospital_id"], r["dept"], r["indicator"]): r for r in table}
    wh.close()


@pytest.fixture(scope="module")
def scores(scored):
    return scored[1]


def test_findings_are_the_planned_ones(scored):
    wh, _ = scored
    got = sorted(wh.con.execute("SELECT stay_id, rule_id FROM quality_findings").fetchall())
    assert got == [("b", "FP-C004"), ("b", "FP-C015"), ("c", "FP-K001"), ("c", "FP-K008"),
                   ("d", "FP-S013"), ("e", "FP-K040")]


def test_hospital_rates(scores):
    assert scores[("H1", None, "completeness_rate")]["value"] == pytest.approx(3 / 4)
    assert scores[("H1", None, "principal_dx_coding_validity_rate")]["value"] == pytest.approx(3 / 4)
    assert scores[("H1", None, "cost_accuracy_rate")]["value"] == pytest.approx(3 / 4)
    # d has no procedure: the denominator is a, b, c
    proc = scores[("H1", None, "procedure_coding_validity_rate")]
    assert (proc["numerator"], proc["denominator"], proc["value"]) == (3, 3, 1.0)
    assert scores[("H2", None, "procedure_coding_validity_rate")]["value"] == 0.0
    assert scores[("H1", None, "completeness_rate")]["score"] == pytest.approx(75.0)


def test_hundred_point_score(scores):
    assert scores[("H1", None, "front_page_score")]["value"] == pytest.approx((100 + 97.5 + 93 + 98) / 4)
    assert scores[("H2", None, "front_page_score")]["value"] == pytest.approx(97)
    assert scores[("H1", None, "excellent_rate")]["value"] == 1.0


def test_department_scores(scores):
    assert scores[("H1", "03", "front_page_score")]["value"] == pytest.approx((100 + 93 + 98) / 3)
    assert scores[("H1", "05", "front_page_score")]["value"] == pytest.approx(97.5)
    assert scores[("H1", "05", "completeness_rate")]["value"] == 0.0


def test_grouping_rate_only_with_stay_groups(scores):
    assert not any(key[2] == "grouping_rate" for key in scores)
    wh = warehouse_with({"a": {}, "b": {}, "c": {"stay": {"hospital_id": "H2"}}})
    wh.con.execute("CREATE TABLE stay_groups (stay_id VARCHAR, scheme VARCHAR, status VARCHAR)")
    wh.con.execute("INSERT INTO stay_groups VALUES ('a','chs-drg-1.1','grouped'), ('b','chs-drg-1.1','ungroupable'),"
                   " ('c','other-scheme','grouped')")
    run_rules(wh, dictionaries=DICTIONARIES)
    rows = {(r["hospital_id"], r["dept"]): r for r in
            compute_scores(wh, load_catalogue(), load_scoring(), scheme="chs-drg-1.1").to_pylist()
            if r["indicator"] == "grouping_rate"}
    assert rows[("H1", None)]["value"] == 0.5
    assert rows[("H2", None)]["value"] == 0.0  # grouped under another scheme only


def test_scores_find_planted_error_rates():
    """Three hospitals with planted error rates: the indicators recover the rates and the score ranks them."""
    plan = {"GOOD": (0, 0), "MID": (4, 2), "BAD": (12, 8)}  # per 40 stays: missing payer, principal dx "K35"
    stays = {}
    for hosp, (missing_payer, bad_dx) in plan.items():
        for i in range(40):
            patch: dict = {"stay": {"hospital_id": hosp}}
            if i < missing_payer:
                patch["stay"]["payer"] = None
            if i >= 40 - bad_dx:
                patch["dx"] = [{"code": "K35"}]
            stays[f"{hosp}-{i}"] = patch
    wh = warehouse_with(stays)
    run_rules(wh, dictionaries=DICTIONARIES)
    rows = {(r["hospital_id"], r["indicator"]): r["value"] for r in
            compute_scores(wh, load_catalogue(), load_scoring(), scheme="chs-drg-1.1").to_pylist()
            if r["dept"] is None}
    for hosp, (missing_payer, bad_dx) in plan.items():
        assert rows[(hosp, "completeness_rate")] == pytest.approx(1 - missing_payer / 40)
        assert rows[(hosp, "principal_dx_coding_validity_rate")] == pytest.approx(1 - bad_dx / 40)
    # deductions: missing payer 2 points, "K35" as principal 4 (K008) + 3 (K001)
    assert rows[("MID", "front_page_score")] == pytest.approx(100 - (4 * 2 + 2 * 7) / 40)
    assert rows[("GOOD", "front_page_score")] > rows[("MID", "front_page_score")] > rows[("BAD", "front_page_score")]
    wh.close()
