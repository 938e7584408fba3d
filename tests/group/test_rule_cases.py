"""Every ADRG rule and split of CHS-DRG 1.1, one built stay each, against the reference's results."""

from __future__ import annotations

import csv
from pathlib import Path

from hospeval.group.records import group_file

CASES = Path(__file__).parent / "data" / "rule-cases.csv"


def test_every_rule_case_agrees_with_the_reference(tmp_path):
    out = tmp_path / "groups.csv"
    group_file(CASES, out, "chs-drg-1.1")
    with CASES.open(encoding="utf-8") as fh:
        expected = {r["record_id"]: r for r in csv.DictReader(fh)}
    with out.open(encoding="utf-8") as fh:
        got = {r["record_id"]: r for r in csv.DictReader(fh)}
    assert got.keys() == expected.keys()
    wrong = [(k, e["expected_drg"], got[k]["drg"]) for k, e in expected.items()
             if (e["expected_status"], e["expected_mdc"], e["expected_adrg"], e["expected_drg"])
             != (got[k]["status"], got[k]["mdc"], got[k]["adrg"], got[k]["drg"])]
    assert wrong == []
    reached = {k.rsplit("-", 1)[0] for k, r in got.items() if r["adrg"] == k.rsplit("-", 1)[0]}
    assert len(reached) >= 369
    variants = {(r["variant"], got[k]["drg"][-1]) for k, r in expected.items() if got[k]["status"] == "分组成功"}
    assert {("mcc", "1"), ("cc", "3"), ("none", "5"), ("mcc_excluded", "5")} <= variants
