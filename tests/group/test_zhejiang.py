"""Zhejiang 2022 (ZJ-DRG 1.0) against OpenDRG's own zhejiang_2022 grouper on 5,029 records.

``data/zhejiang-reference.csv`` holds the 3,000 golden-sample records and 2,029 stays built from the
scheme's rules (``variant`` says which), with the reference's results (see ``data/README.md``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from hospeval.group.records import group_file
from hospeval.group.spec import scheme_dir

CASES = Path(__file__).parent / "data" / "zhejiang-reference.csv"


def known_differences() -> set[str]:
    """Record ids listed in the scheme's KNOWN_DIFFERENCES.md (table lines starting ``| <id> |``)."""
    text = (scheme_dir("zhejiang-2022") / "KNOWN_DIFFERENCES.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*([A-Z][\w.-]*-\w+|G\d+)\s*\|", text, flags=re.M))


def test_agrees_with_the_zhejiang_reference_on_every_record_not_listed(tmp_path):
    out = tmp_path / "groups.csv"
    group_file(CASES, out, "zhejiang-2022", explain=True)
    with CASES.open(encoding="utf-8") as fh:
        expected = {r["record_id"]: r for r in csv.DictReader(fh)}
    with out.open(encoding="utf-8") as fh:
        got = {r["record_id"]: r for r in csv.DictReader(fh)}
    assert got.keys() == expected.keys() and len(expected) == 5029
    skip = known_differences()
    wrong = [(k, e["expected_drg"], got[k]["drg"]) for k, e in expected.items() if k not in skip
             and (e["expected_status"], e["expected_mdc"], e["expected_adrg"], e["expected_drg"])
             != (got[k]["status"], got[k]["mdc"], got[k]["adrg"], got[k]["drg"])]
    assert wrong == []
    # the sample reaches the new rule kinds, not only the national ones
    assert Counter(r["status"] for r in got.values()) == Counter(e["expected_status"] for e in expected.values())
    regrouped = [k for k, r in got.items() if "regrouped with procedure" in r["explanation"]]
    assert len(regrouped) >= 300
    assert sum("no valid OR principal procedure" in r["explanation"] for r in got.values()) >= 1000
    assert got["RE1-none"]["adrg"] == "RE1" and "∉ RE1" in got["RE1-none"]["explanation"]
    assert {got[f"AH1-{d}_procedures"]["drg"] for d in ("AH11", "AH13", "AH19")} == {"AH11", "AH13", "AH19"}
    rules = {k.rsplit("-", 1)[0] for k, r in got.items() if r["adrg"] == k.rsplit("-", 1)[0]}
    assert len(rules) >= 350
