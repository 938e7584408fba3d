"""DIP catalogue derivation (hand-computed scores) and the DIP grouper."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospeval.errors import SchemaError
from hospeval.group.dip import build_dip, group_dip
from hospeval.group.dip_spec import load_dip_policy, read_catalogue
from hospeval.reference.spec import ReferencePopulationError
from hospeval.reference.testing import add_diagnoses, add_procedures, add_stays
from hospeval.warehouse import Warehouse


@pytest.fixture
def wh():
    with Warehouse(":memory:") as w:
        w.ensure_schema()
        yield w


def put(wh, stay_id, diagnosis, cost, procedures=()):
    """procedures: (code, kind) pairs."""
    add_stays(wh, [{"stay_id": stay_id, "cost_total": cost}])
    if diagnosis is not None:
        add_diagnoses(wh, [{"stay_id": stay_id, "seq": 0, "code": diagnosis}])
    add_procedures(wh, [{"stay_id": stay_id, "seq": i, "code": c, "procedure_kind": k}
                        for i, (c, k) in enumerate(procedures)])


def policy(n=3, **changes):
    return dataclasses.replace(load_dip_policy(), core_min_stays=n, **changes)


# Worked example, core threshold 3:
#   K35.8 × {47.01}: costs 1000 2000 3000 -> core 'K35.8|47.01', mean 2000
#   J18.9 conservative: costs 500 700 900 -> core 'J18.9|-', mean 700 (a zero-cost stay is left out)
#   K35.8 conservative: 600 -> comprehensive 'K35|*conservative', mean 600
#   K35.3 × {47.09 surgery}: 2400 and K35.1 × {47.01 surgery, 88.01 diagnostic}: 3000
#       -> comprehensive 'K35|*surgical', mean 2700
#   a stay without principal diagnosis is not in the reference population.
#   M = (6000 + 2100 + 600 + 5400) / 9 = 14100 / 9
#   points = mean × 9 / 14100 × 1000: 1276.5957447, 446.8085106, 382.9787234, 1723.4042553
#   check: (3·1276.60 + 3·446.81 + 1·382.98 + 2·1723.40) / 9 = 1000
def worked(wh):
    for i, cost in enumerate((1000, 2000, 3000)):
        put(wh, f"k{i}", "K35.800", cost, [("47.01", "1")])
    for i, cost in enumerate((500, 700, 900, 0)):
        put(wh, f"j{i}", "J18.900", cost)
    put(wh, "kc", "K35.8", 600)
    put(wh, "k353", "K35.300", 2400, [("47.09", "1")])
    put(wh, "k351", "K35.100", 3000, [("88.01", "2"), ("47.01", "1")])
    put(wh, "nodx", None, 800)


def test_worked_catalogue(wh, tmp_path):
    worked(wh)
    catalogue, paths = build_dip(wh, "test", "2024", policy=policy(), folder=tmp_path)
    rows = {r["dip_group"]: r for r in catalogue.groups.to_pylist()}
    assert {g: (r["dip_kind"], r["n_stays"]) for g, r in rows.items()} == {
        "K35.8|47.01": ("core", 3), "J18.9|-": ("core", 3),
        "K35|*conservative": ("comprehensive", 1), "K35|*surgical": ("comprehensive", 2)}
    assert {g: r["mean_cost"] for g, r in rows.items()} == pytest.approx(
        {"K35.8|47.01": 2000, "J18.9|-": 700, "K35|*conservative": 600, "K35|*surgical": 2700})
    assert {g: r["points"] for g, r in rows.items()} == pytest.approx(
        {"K35.8|47.01": 1276.5957447, "J18.9|-": 446.8085106, "K35|*conservative": 382.9787234,
         "K35|*surgical": 1723.4042553})
    assert rows["K35|*surgical"]["dip_name"] == "K35 综合病种·相关手术组"
    assert rows["J18.9|-"]["dip_name"] == "J18.9 保守治疗"
    assert (rows["K35.8|47.01"]["diagnosis"], rows["K35.8|47.01"]["procedures"]) == ("K35.8", "47.01")
    assert catalogue.figures["core_share"] == pytest.approx(6 / 9, abs=1e-4)
    assert catalogue.figures["mean_cost_all"] == pytest.approx(14100 / 9, abs=0.01)
    assert [p.name for p in paths] == ["scheme.yaml", "catalogue.csv", "README.md"]
    reference = wh.to_arrow("dip_reference").to_pylist()
    assert {(r["scheme"], r["version"]) for r in reference} == {("dip-test", "2024")}
    assert {r["dip_group"]: r["points"] for r in reference}["K35|*surgical"] == pytest.approx(1723.4042553)


def test_catalogue_round_trip(wh, tmp_path):
    worked(wh)
    catalogue, _ = build_dip(wh, "test", "2024", policy=policy(), folder=tmp_path)
    again = read_catalogue("dip-test", tmp_path)
    assert again.groups.to_pylist() == catalogue.groups.to_pylist()
    assert again.policy == dataclasses.replace(catalogue.policy, source=again.policy.source)
    assert (again.scheme, again.version) == ("dip-test", "2024")


def test_grouper_core_then_comprehensive(wh, tmp_path):
    worked(wh)
    catalogue, _ = build_dip(wh, "test", "2024", policy=policy(), folder=tmp_path)
    put(wh, "new_core", "K35.801", 1234, [("47.01", "1"), ("47.01", "1")])
    put(wh, "new_comp", "K35.2", 1234, [("47.99", None)])           # surgical by code rule
    put(wh, "new_diag", "K35.8", 1234, [("88.01", "2")])             # no diagnostic group for K35
    put(wh, "unknown", "K40.9", 1234)
    put(wh, "invalid", "??", 1234)
    result = group_dip(wh, catalogue)
    got = {r["stay_id"]: (r["status"], r["reason"], r["dip_group"], r["dip_kind"])
           for r in wh.to_arrow("stay_dip_groups").to_pylist()}
    assert got["new_core"] == ("grouped", "matched_core", "K35.8|47.01", "core")
    assert got["new_comp"] == ("grouped", "matched_comprehensive", "K35|*surgical", "comprehensive")
    assert got["new_diag"] == ("ungroupable", "no_catalogue_group", None, None)
    assert got["unknown"] == ("ungroupable", "no_catalogue_group", None, None)
    assert got["invalid"] == ("error", "invalid_principal_diagnosis", None, None)
    assert got["nodx"] == ("error", "no_principal_diagnosis", None, None)
    assert got["j3"] == ("grouped", "matched_core", "J18.9|-", "core")  # zero cost: still grouped
    assert got["k351"][2] == "K35|*surgical" and got["kc"][2] == "K35|*conservative"
    assert result.n_stays == wh.count("stays") == 16
    assert result.by_status == {"grouped": 12, "ungroupable": 2, "error": 2}


def test_regrouping_replaces_only_its_scheme(wh, tmp_path):
    worked(wh)
    first, _ = build_dip(wh, "one", "2024", policy=policy(), folder=tmp_path / "one")
    second, _ = build_dip(wh, "two", "2024", policy=policy(n=100), folder=tmp_path / "two")
    group_dip(wh, first)
    group_dip(wh, second)
    group_dip(wh, first)
    rows = wh.to_arrow("stay_dip_groups").to_pylist()
    assert len(rows) == 2 * wh.count("stays")
    assert {r["dip_kind"] for r in rows if r["scheme"] == "dip-two"} <= {"comprehensive", None}


def test_empty_reference_population(wh, tmp_path):
    put(wh, "z", "K35.8", 0)          # zero cost only
    put(wh, "n", None, 100)           # no diagnosis
    with pytest.raises(ReferencePopulationError):
        build_dip(wh, "x", "2024", policy=policy(), folder=tmp_path)


def test_missing_scheme_folder(tmp_path):
    with pytest.raises(SchemaError, match="dip build"):
        read_catalogue("dip-nothing", tmp_path / "nope")


def test_trimmed_scores(wh, tmp_path):
    # One core group K35.8|- with costs 10 20 30 40 50 and 10000, IQR trimming k=1.5 (min 5):
    # Q1 = 22.5, Q3 = 47.5 -> bounds [-15, 85]: 10000 trimmed; mean 30; M = 30 -> 1000 points.
    for i, cost in enumerate((10, 20, 30, 40, 50, 10000)):
        put(wh, f"s{i}", "K35.8", cost)
    trim = dataclasses.replace(load_dip_policy().trim, method="iqr", iqr_k=1.5, min_stays=5)
    catalogue, _ = build_dip(wh, "t", "2024", policy=policy(trim=trim), folder=tmp_path)
    row = catalogue.groups.to_pylist()[0]
    assert (row["n_stays"], row["mean_cost"], row["points"]) == (6, pytest.approx(30), pytest.approx(1000))


# Properties --------------------------------------------------------------------------------------
stay = st.tuples(
    st.sampled_from(["K35.8", "K35.3", "J18.9", "I21.0", "I21.4"]),
    st.lists(st.sampled_from([("47.01", "1"), ("88.01", "2"), ("93.39", "3"), ("36.06", "4"),
                              ("45.13", None)]), max_size=3),
    st.floats(min_value=1, max_value=1e5, allow_nan=False),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(stay, min_size=1, max_size=40), st.integers(min_value=1, max_value=6))
def test_every_stay_gets_exactly_one_group(tmp_path, stays, threshold):
    with Warehouse(":memory:") as wh:
        wh.ensure_schema()
        add_stays(wh, [{"stay_id": f"s{i}", "cost_total": round(c, 2)} for i, (_, _, c) in enumerate(stays)])
        add_diagnoses(wh, [{"stay_id": f"s{i}", "seq": 0, "code": dx} for i, (dx, _, _) in enumerate(stays)])
        add_procedures(wh, [{"stay_id": f"s{i}", "seq": j, "code": code, "procedure_kind": kind}
                            for i, (_, procs, _) in enumerate(stays) for j, (code, kind) in enumerate(procs)])
        catalogue, _ = build_dip(wh, "p", "v", policy=policy(n=threshold), folder=tmp_path)
        group_dip(wh, catalogue)
        rows = wh.to_arrow("stay_dip_groups").to_pylist()
    groups = catalogue.groups.to_pylist()
    assert sorted(r["stay_id"] for r in rows) == sorted(f"s{i}" for i in range(len(stays)))
    assert all(r["status"] == "grouped" and r["dip_group"] for r in rows)
    assert all(g["points"] > 0 and g["mean_cost"] > 0 for g in groups)
    assert all((g["dip_kind"] == "core") == (g["n_stays"] >= threshold) for g in groups
               if g["dip_kind"] == "core")
    counts = {}
    for r in rows:
        counts[r["dip_group"]] = counts.get(r["dip_group"], 0) + 1
    assert counts == {g["dip_group"]: g["n_stays"] for g in groups}
    n = sum(g["n_stays"] for g in groups)
    assert sum(g["n_stays"] * g["points"] for g in groups) / n == pytest.approx(1000)


def test_core_min_share_lowers_the_threshold(wh, tmp_path):
    # Combination sizes: 4 (K35.8|47.01), 2 (J18.9|-), 1 (I21.0|-): 7 cases.
    # Threshold 5 -> 0 % core; 4 -> 4/7 = 57 %; 3 -> 57 %; 2 -> 6/7 = 86 % >= 85 %: threshold 2.
    for i in range(4):
        put(wh, f"k{i}", "K35.8", 100, [("47.01", "1")])
    for i in range(2):
        put(wh, f"j{i}", "J18.9", 100)
    put(wh, "i0", "I21.0", 100)
    catalogue, _ = build_dip(wh, "s", "2024", policy=policy(n=5, core_min_share=0.85), folder=tmp_path)
    kinds = {r["dip_group"]: r["dip_kind"] for r in catalogue.groups.to_pylist()}
    assert catalogue.figures["core_threshold"] == 2
    assert kinds == {"K35.8|47.01": "core", "J18.9|-": "core", "I21|*conservative": "comprehensive"}
    assert read_catalogue("dip-s", tmp_path).policy.core_min_share == 0.85
