"""Every rule of the catalogue has a failing and a passing case, and each case does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hospeval.quality.engine import run_rules
from hospeval.quality.spec import load_catalogue

from .fixtures import DICTIONARIES, warehouse_with

CASES = {k: v for k, v in yaml.safe_load((Path(__file__).parent / "rule_cases.yaml").read_text("utf-8")).items()
         if not k.startswith("x-")}


def _case_id(rule_id: str, outcome: str) -> str:
    return f"{rule_id}-{outcome}"


@pytest.fixture(scope="module")
def evaluated():
    """All cases in one warehouse, run once: (findings as a set of (stay_id, rule_id), statuses)."""
    stays = {_case_id(rid, outcome): CASES[rid][outcome] for rid in CASES for outcome in ("fail", "pass")}
    stays["baseline"] = {}
    wh = warehouse_with(stays)
    run = run_rules(wh, dictionaries=DICTIONARIES)
    found = {(r[0], r[1]) for r in wh.con.execute("SELECT stay_id, rule_id FROM quality_findings").fetchall()}
    run.warehouse = wh
    yield found, run
    wh.close()


def test_every_rule_has_a_failing_and_a_passing_case():
    ids = {r.id for r in load_catalogue().rules}
    assert ids - set(CASES) == set(), "rules without cases"
    assert set(CASES) - ids == set(), "cases for unknown rules"
    incomplete = [rid for rid, case in CASES.items() if "fail" not in case or "pass" not in case]
    assert incomplete == []


def test_catalogue_has_at_least_80_rules():
    assert len(load_catalogue().rules) >= 80


def test_baseline_stay_is_clean(evaluated):
    found, _ = evaluated
    assert sorted(rule for stay, rule in found if stay == "baseline") == []


def test_no_rule_errors(evaluated):
    _, run = evaluated
    assert {rid: s for rid, s in run.statuses.items() if s[0] == "error"} == {}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_failing_case_is_flagged(evaluated, rule_id):
    found, _ = evaluated
    assert (_case_id(rule_id, "fail"), rule_id) in found


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_passing_case_is_not_flagged(evaluated, rule_id):
    found, _ = evaluated
    assert (_case_id(rule_id, "pass"), rule_id) not in found


def test_rule_results_are_consistent_with_findings(evaluated):
    """Invariants of quality_rule_results: violations = findings (per hospital and overall), ratio in [0, 1]."""
    _, run = evaluated
    wh = run.warehouse
    rows = wh.to_arrow("quality_rule_results").to_pylist()
    findings = dict(wh.con.execute("SELECT rule_id, count(*) FROM quality_findings GROUP BY 1").fetchall())
    with_hospital = dict(wh.con.execute(
        "SELECT rule_id, count(*) FROM quality_findings WHERE hospital_id IS NOT NULL GROUP BY 1").fetchall())
    for rule_id in {r["rule_id"] for r in rows}:
        mine = [r for r in rows if r["rule_id"] == rule_id]
        overall = next(r for r in mine if r["hospital_id"] is None)
        if overall["status"] in ("error", "not_applicable") and overall["violations"] is None:
            continue
        per_hospital = [r for r in mine if r["hospital_id"] is not None]
        assert sum(r["violations"] or 0 for r in per_hospital) == with_hospital.get(rule_id, 0)
        assert overall["violations"] == findings.get(rule_id, 0)
        for r in mine:
            if r["ratio"] is not None:
                assert 0 <= r["ratio"] <= 1 or rule_id.startswith(("FP-S024", "FP-V022", "FP-V036"))
