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
