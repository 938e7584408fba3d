"""drg_reference: hand-computed weights, trimming, means, mortality and risk grades."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

import pytest

from hospeval.errors import HospevalError, SchemaError
from hospeval.reference.drg_reference import build_drg_reference, reference_rows, reference_versions
from hospeval.reference.spec import (
    Population,
    ReferencePopulationError,
    TrimPolicy,
    load_reference_policy,
)
from hospeval.reference.testing import add_stay_groups, add_stays
from hospeval.warehouse import Warehouse

SCHEME = "chs-drg-1.1"


@pytest.fixture
def wh():
    with Warehouse(":memory:") as w:
        w.ensure_schema()
        yield w


def put(wh, stays, scheme=SCHEME):
    """stays: list of (drg, cost, los, died, extra) tuples; stay ids s0, s1, ..."""
    rows, groups = [], []
    for drg, cost, los, died, *extra in stays:
        sid = f"s{len(rows) + wh.count('stays')}"
        rows.append({"stay_id": sid, "cost_total": cost, "los_days": los,
                     "discharge_disposition": "5" if died else "1", **(extra[0] if extra else {})})
        groups.append({"stay_id": sid, "drg": drg})
    add_stays(wh, rows)
    add_stay_groups(wh, groups, scheme=scheme)


def by_drg(wh, version="2024", scheme=SCHEME):
    return {r["drg"]: r for r in reference_rows(wh, scheme, version).to_pylist()}


# The worked example -----------------------------------------------------------------------------
# DRG A: costs 100 110 120 130 140 5000 (6 stays >= min_stays 5, so trimmed).
#   quantile_cont: Q1 at position 5*0.25 = 1.25 -> 110 + 0.25*10 = 112.5; Q3 at 3.75 -> 130 + 0.75*10 = 137.5
#   IQR 25, bounds [112.5 - 75, 137.5 + 75] = [37.5, 212.5]: 5000 is trimmed. mean 120, mean LOS (1..5) 3.
#   deaths: the 5000 stay (trimmed, still a death) -> mortality 1/6.
# DRG B: costs 200 300 (2 < 5 stays: not trimmed) -> mean 250, LOS 4 and 6 -> 5; 1 death of 2 -> 0.5.
# DRG C: costs 50 60 70 and 0 (zero cost: left out, counted in n_trimmed) -> mean 60; no death -> grade 0.
# DRG D: one stay, cost 400, died -> mortality 1.
# M = (600 + 500 + 180 + 400) / (5 + 2 + 3 + 1) = 1680 / 11
# RW: A 120*11/1680 = 0.7857142857, B 250*11/1680 = 1.6369047619, C 60*11/1680 = 0.3928571429,
#     D 400*11/1680 = 2.6190476190
# ln m over DRGs with deaths: A ln(1/6) = -1.7917595, B ln(0.5) = -0.6931472, D ln(1) = 0
#   mean -0.8283022, sample SD sqrt(((-0.9634573)^2 + 0.1351550^2 + 0.8283022^2) / 2) = 0.9034934
#   z: A -1.0663724 -> grade 1; B 0.1495916 -> grade 3; D 0.9167808 -> grade 3.
WORKED = [
    ("A", 100, 1, False), ("A", 110, 2, False), ("A", 120, 3, False), ("A", 130, 4, False),
    ("A", 140, 5, False), ("A", 5000, 30, True),
    ("B", 200, 4, False), ("B", 300, 6, True),
    ("C", 50, 2, False), ("C", 60, 2, False), ("C", 70, 5, False), ("C", 0, 9, False),
    ("D", 400, 7, True),
]


def test_worked_example(wh):
    put(wh, WORKED)
    built = build_drg_reference(wh, Population(SCHEME), "2024")
    rows = by_drg(wh)
    assert {d: (r["n_stays"], r["n_trimmed"]) for d, r in rows.items()} == {
        "A": (6, 1), "B": (2, 0), "C": (4, 1), "D": (1, 0)}
    assert {d: r["mean_cost"] for d, r in rows.items()} == pytest.approx(
        {"A": 120.0, "B": 250.0, "C": 60.0, "D": 400.0})
    assert {d: r["relative_weight"] for d, r in rows.items()} == pytest.approx(
        {"A": 0.7857142857, "B": 1.6369047619, "C": 0.3928571429, "D": 2.6190476190})
    assert {d: r["mean_los"] for d, r in rows.items()} == pytest.approx({"A": 3.0, "B": 5.0, "C": 3.0, "D": 7.0})
    assert {d: r["mortality"] for d, r in rows.items()} == pytest.approx(
        {"A": 1 / 6, "B": 0.5, "C": 0.0, "D": 1.0})
    assert {d: r["risk_grade"] for d, r in rows.items()} == {"A": 1, "B": 3, "C": 0, "D": 3}
    assert built.n_stays == 13 and built.n_trimmed == 2 and built.n_drgs == 4
    assert built.mean_cost_all == pytest.approx(1680 / 11)
    assert built.grade_counts == {0: 1, 1: 1, 3: 2}


# Risk grades over five DRGs with deaths (and one without), mortality 1/100, 1/10, 1/5, 1/2, 1/1:
# ln m = -4.6051702, -2.3025851, -1.6094379, -0.6931472, 0; mean -1.8420681; sample SD 1.7758210
# z = -1.5559560 (1), -0.2593271 (2), 0.1309979 (3), 0.6469823 (3), 1.0373011 (4); R0 no death (0).
RISK = {"R1": (100, 1), "R2": (10, 1), "R3": (5, 1), "R4": (2, 1), "R5": (1, 1), "R0": (3, 0)}


def risk_stays():
    stays = []
    for drg, (n, deaths) in RISK.items():
        stays += [(drg, 1000, 5, i < deaths) for i in range(n)]
    return stays


def test_risk_grades_cover_every_grade(wh):
    put(wh, risk_stays())
    build_drg_reference(wh, Population(SCHEME), "2024")
    rows = by_drg(wh)
    assert {d: r["risk_grade"] for d, r in rows.items()} == {
        "R1": 1, "R2": 2, "R3": 3, "R4": 3, "R5": 4, "R0": 0}
    ln = [math.log(1 / n) for n, d in RISK.values() if d]
    mean = sum(ln) / len(ln)
    sd = math.sqrt(sum((x - mean) ** 2 for x in ln) / (len(ln) - 1))
    assert mean == pytest.approx(-1.8420681) and sd == pytest.approx(1.7758210)
    # Every stay costs the same: every weight is 1.
    assert all(r["relative_weight"] == pytest.approx(1.0) for r in rows.values())


def test_population_sd_option(wh):
    # Population SD = sqrt(12.6141620 / 5) = 1.5883427: z(R5) = 1.1597395 (4), z(R2) = -0.2899395 (2).
    put(wh, risk_stays())
    policy = load_reference_policy()
    policy = dataclasses.replace(policy, risk_grade=dataclasses.replace(policy.risk_grade, sd="pop"))
    build_drg_reference(wh, Population(SCHEME), "2024", policy)
    assert {d: r["risk_grade"] for d, r in by_drg(wh).items()} == {
        "R1": 1, "R2": 2, "R3": 3, "R4": 3, "R5": 4, "R0": 0}


def test_single_death_drg_gets_grade_three(wh):
    # One DRG with deaths: SD undefined -> z taken as 0 -> grade 3 (documented).
    put(wh, [("A", 100, 1, True), ("A", 100, 1, False), ("B", 100, 1, False)])
    build_drg_reference(wh, Population(SCHEME), "2024")
    assert {d: r["risk_grade"] for d, r in by_drg(wh).items()} == {"A": 3, "B": 0}


def test_percentile_trimming(wh):
    # 10 stays, costs 10..100: 2.5th percentile at position 9*0.025 = 0.225 -> 10 + 0.225*10 = 12.25,
    # 97.5th at 8.775 -> 90 + 0.775*10 = 97.75: 10 and 100 are trimmed, mean of 20..90 = 55.
    put(wh, [("A", c, 1, False) for c in range(10, 101, 10)])
    policy = dataclasses.replace(load_reference_policy(), trim=TrimPolicy(method="percentile"))
    build_drg_reference(wh, Population(SCHEME), "2024", policy)
    row = by_drg(wh)["A"]
    assert (row["n_trimmed"], row["mean_cost"], row["relative_weight"]) == (2, pytest.approx(55.0), 1.0)


def test_approximate_percentiles_run(wh):
    put(wh, WORKED)
    policy = dataclasses.replace(load_reference_policy(), percentiles="approximate")
    build_drg_reference(wh, Population(SCHEME), "2024", policy)
    row = by_drg(wh)["A"]
    assert row["n_trimmed"] == 1 and row["mean_cost"] == pytest.approx(120.0)


def test_trim_none_keeps_outliers(wh):
    put(wh, WORKED)
    policy = dataclasses.replace(load_reference_policy(), trim=TrimPolicy(method="none"))
    build_drg_reference(wh, Population(SCHEME), "2024", policy)
    rows = by_drg(wh)
    assert rows["A"]["n_trimmed"] == 0 and rows["A"]["mean_cost"] == pytest.approx(5600 / 6)
    assert rows["C"]["n_trimmed"] == 1  # the zero-cost stay is never kept


# Bad input ---------------------------------------------------------------------------------------
def test_empty_population_raises(wh):
    with pytest.raises(HospevalError):
        build_drg_reference(wh, Population(SCHEME), "2024")  # no stay_groups table at all
    put(wh, [("A", 100, 1, False)], scheme="other-scheme")
    with pytest.raises(ReferencePopulationError, match=SCHEME):
        build_drg_reference(wh, Population(SCHEME), "2024")


def test_zero_cost_only_drg_has_null_weight(wh):
    put(wh, [("Z", 0, 3, False), ("Z", None, 4, False), ("A", 100, 1, False)])
    build_drg_reference(wh, Population(SCHEME), "2024")
    rows = by_drg(wh)
    assert rows["Z"]["n_stays"] == 2 and rows["Z"]["n_trimmed"] == 2
    assert rows["Z"]["mean_cost"] is None and rows["Z"]["relative_weight"] is None
    assert rows["A"]["relative_weight"] == pytest.approx(1.0)


def test_ungroupable_and_error_stays_are_not_in_the_population(wh):
    put(wh, [("A", 100, 1, False), ("A", 300, 1, False)])
    add_stays(wh, [{"stay_id": "u1", "cost_total": 9999}, {"stay_id": "e1", "cost_total": 9999}])
    add_stay_groups(wh, [{"stay_id": "u1", "status": "ungroupable", "drg": None},
                         {"stay_id": "e1", "status": "error", "drg": "A"}])
    build_drg_reference(wh, Population(SCHEME), "2024")
    assert by_drg(wh)["A"]["n_stays"] == 2 and by_drg(wh)["A"]["mean_cost"] == pytest.approx(200.0)


def test_versions_coexist_and_rebuild_replaces_one(wh):
    put(wh, [("A", 100, 1, False, {"discharge_time": datetime(2023, 6, 1)}),
             ("A", 300, 1, False, {"discharge_time": datetime(2024, 6, 1), "hospital_id": "H2"}),
             ("B", 200, 1, False, {"discharge_time": datetime(2024, 7, 1)})])
    build_drg_reference(wh, Population(SCHEME, periods=("2023",)), "2023")
    build_drg_reference(wh, Population(SCHEME, periods=("2024",)), "2024")
    assert set(by_drg(wh, "2023")) == {"A"} and set(by_drg(wh, "2024")) == {"A", "B"}
    # 2024 only: M = (300 + 200) / 2 = 250, RW_A = 300 / 250 = 1.2
    assert by_drg(wh, "2024")["A"]["relative_weight"] == pytest.approx(1.2)
    build_drg_reference(wh, Population(SCHEME, periods=("2024-06",), hospitals=("H2",)), "2024")
    assert set(by_drg(wh, "2024")) == {"A"} and set(by_drg(wh, "2023")) == {"A"}
    versions = reference_versions(wh, SCHEME).to_pylist()
    assert sorted(v["version"] for v in versions) == ["2023", "2024"]
    assert wh.count("drg_reference") == 2


def test_missing_cost_column_names_the_field(wh):
    put(wh, [("A", 100, 1, False)])
    policy = dataclasses.replace(load_reference_policy(), cost_column="cost_nope")
    with pytest.raises(SchemaError, match="cost_column"):
        build_drg_reference(wh, Population(SCHEME), "2024", policy)


def test_bad_policy_file_names_the_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("trim: {method: median}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"trim\.method"):
        load_reference_policy(path)
    path.write_text("trim: {method: percentile, lower_percentile: 0.9, upper_percentile: 0.1}\n")
    with pytest.raises(SchemaError, match="lower_percentile"):
        load_reference_policy(path)
    path.write_text("- a list\n")
    with pytest.raises(SchemaError, match="mapping"):
        load_reference_policy(path)


def test_bounds_that_would_empty_a_drg_leave_it_untrimmed(wh):
    # Two stays 100 and 200 with percentile trimming and min_stays 1: the bounds [102.5, 197.5] would
    # keep neither, so the DRG is not trimmed: mean 150.
    put(wh, [("A", 100, 1, False), ("A", 200, 1, False), ("B", 150, 1, False)])
    policy = dataclasses.replace(load_reference_policy(), trim=TrimPolicy(method="percentile", min_stays=1))
    build_drg_reference(wh, Population(SCHEME), "2024", policy)
    rows = by_drg(wh)
    assert (rows["A"]["n_trimmed"], rows["A"]["mean_cost"]) == (0, pytest.approx(150.0))
    assert rows["A"]["relative_weight"] == pytest.approx(1.0)
