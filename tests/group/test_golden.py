"""Agreement with the reference grouper on ../shared/reference/chs-drg-1.1/golden-sample.csv."""

from __future__ import annotations

import csv
import re

import pytest

from hospeval.group.records import group_file
from hospeval.group.spec import scheme_dir
from hospeval.paths import data_root

RELATIVE = "shared/reference/chs-drg-1.1/golden-sample.csv"
# ../shared/reference beside the repository root (a git worktree may sit one level deeper)
GOLDEN = next((p / RELATIVE for p in data_root().parents if (p / RELATIVE).exists()),
              data_root().parent / RELATIVE)


def known_differences() -> set[str]:
    """Record ids listed in KNOWN_DIFFERENCES.md (lines of its table starting with ``| G...``)."""
    text = (scheme_dir("chs-drg-1.1") / "KNOWN_DIFFERENCES.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*(G\d+)\s*\|", text, flags=re.M))


@pytest.mark.skipif(not GOLDEN.exists(), reason=f"golden sample not found at {GOLDEN} (shared reference folder)")
def test_agrees_with_the_reference_on_every_record_not_listed(tmp_path):
    out = tmp_path / "groups.csv"
    group_file(GOLDEN, out, "chs-drg-1.1")
    with GOLDEN.open(encoding="utf-8") as fh:
        expected = {r["record_id"]: r for r in csv.DictReader(fh)}
    with out.open(encoding="utf-8") as fh:
        got = {r["record_id"]: r for r in csv.DictReader(fh)}
    assert got.keys() == expected.keys()
    skip = known_differences()
    mismatches = []
    for rid, exp in expected.items():
        if rid in skip:
            continue
        ours = got[rid]
        if exp["expected_status"] != ours["status"] or (
                exp["expected_status"] == "分组成功"
                and (exp["expected_mdc"], exp["expected_adrg"], exp["expected_drg"])
                != (ours["mdc"], ours["adrg"], ours["drg"])):
            mismatches.append((rid, exp["expected_drg"], ours["drg"], ours["reason"]))
    assert mismatches == []
    statuses = {r["status"] for r in got.values()}
    assert statuses <= {"分组成功", "无法入组", "信息校验不通过"}
    assert len(expected) == 3000
