"""Workbooks read back with openpyxl, the ``check`` command and the demo stage."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hospeval.pipeline import RunContext
from hospeval.quality import api, stage
from hospeval.quality import cli as quality_cli
from hospeval.quality.api import HospitalSummary, check, fetch_groups
from hospeval.quality.excel import FINDINGS_HEADER, FINDINGS_SHEET, INDICATORS_SHEET, RULES_SHEET

from .fixtures import DICTIONARIES, warehouse_with

STAYS = {
    "a": {},
    "b": {"stay": {"payer": None, "director_doctor": None}},
    "c": {"stay": {"hospital_id": "H/2"}, "dx": [{"code": "K35"}]},
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality")
    wh = warehouse_with(STAYS)
    wh.con.execute("INSERT INTO hospitals (hospital_id, name, level, category) VALUES ('H1', '第一医院', '3', 'general')")
    rep = check(wh, output=out, dictionaries=DICTIONARIES)
    yield rep, out, wh
    wh.close()


def test_one_workbook_per_hospital(report):
    rep, out, _ = report
    assert sorted(p.name for p in out.iterdir()) == ["H1.xlsx", "H_2.xlsx"]
    assert [h.hospital_id for h in rep.hospitals] == ["H/2", "H1"]
    h1 = rep.hospitals[1]
    assert (h1.name, h1.stays, h1.errors, h1.warnings) == ("第一医院", 2, 1, 1)
    assert h1.score == pytest.approx((100 + 97.5) / 2)


def test_findings_sheet_tells_what_to_do(report):
    _, out, _ = report
    book = openpyxl.load_workbook(out / "H1.xlsx", read_only=True)
    assert book.sheetnames == [FINDINGS_SHEET, INDICATORS_SHEET, RULES_SHEET]
    rows = list(book[FINDINGS_SHEET].iter_rows(values_only=True))
    assert "2 findings" in rows[0][0]
    assert tuple(rows[1]) == FINDINGS_HEADER
    # errors first: the missing payer, then the missing director
    assert rows[2][:5] == ("b", "03", "payer", None, "FP-C004")
    assert rows[2][7] == "医疗付费方式未填写" and rows[2][9] == "按患者实际付费方式填写医疗付费方式"
    assert rows[2][10] == "Fill in the payment method"
    assert rows[3][4] == "FP-C015" and rows[3][5] == "警告 warning"


def test_indicator_sheet_has_rates_and_department_block(report):
    _, out, _ = report
    rows = list(openpyxl.load_workbook(out / "H1.xlsx", read_only=True)[INDICATORS_SHEET].iter_rows(values_only=True))
    by_id = {r[0]: r for r in rows if r and r[0]}
    assert by_id["completeness_rate"][1] == "病案首页必填项完整率"
    assert by_id["completeness_rate"][3] == pytest.approx(0.5)
    assert (by_id["completeness_rate"][5], by_id["completeness_rate"][6]) == (1, 2)
    assert by_id["front_page_score"][3] == pytest.approx(98.75)
    assert by_id["03"][1] is not None  # department row


def test_rules_sheet_lists_every_rule_with_status(report):
    rep, out, _ = report
    rows = list(openpyxl.load_workbook(out / "H1.xlsx", read_only=True)[RULES_SHEET].iter_rows(values_only=True))
    statuses = {r[0]: r[8] for r in rows[1:]}
    assert len(statuses) == len(rep.run.statuses)
    assert statuses["FP-C004"] == "未通过 failed"
    assert statuses["FP-C001"] == "通过 passed"


def test_findings_are_capped_and_the_cap_is_stated(tmp_path):
    wh = warehouse_with({f"s{i}": {"stay": {"payer": None}} for i in range(5)})
    check(wh, output=tmp_path, dictionaries=DICTIONARIES, max_findings=3)
    rows = list(openpyxl.load_workbook(tmp_path / "H1.xlsx", read_only=True)[FINDINGS_SHEET].iter_rows(values_only=True))
    assert len(rows) == 2 + 3
    assert "5 findings, the first 3 shown" in rows[0][0]


def _sheets(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_workbooks_fetched_a_hospital_at_a_time_are_the_same(report, tmp_path, monkeypatch):
    rep, out, wh = report
    monkeypatch.setattr(api, "FETCH_ROWS", 1)  # every hospital in a fetch of its own
    check(wh, output=tmp_path, dictionaries=DICTIONARIES)
    for name in ("H1.xlsx", "H_2.xlsx"):
        assert _sheets(tmp_path / name) == _sheets(out / name)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40), st.integers(1, 50),
       st.integers(1, 60))
def test_fetch_groups_keep_order_and_bound_the_rows_held(counts, cap, rows):
    hospitals = [HospitalSummary(f"H{i}", None, 1, e, w, None) for i, (e, w) in enumerate(counts)]
    groups = fetch_groups(hospitals, cap, rows)
    assert [h for g in groups for h in g] == hospitals
    assert all(groups)
    for g in groups:
        shown = sum(min(h.errors + h.warnings, cap) for h in g)
        assert shown <= rows or len(g) == 1
    for g, nxt in zip(groups, groups[1:], strict=False):  # a group is closed only when the next one would overflow
        assert sum(min(h.errors + h.warnings, cap) for h in [*g, nxt[0]]) > rows


def test_check_command_writes_tables_and_workbooks(tmp_path, monkeypatch):
    wh_path = tmp_path / "wh.duckdb"
    wh = warehouse_with({"a": {}, "b": {"stay": {"payer": None}}})
    wh.con.execute(f"ATTACH '{wh_path}' AS f; COPY FROM DATABASE memory TO f; DETACH f")
    wh.close()
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(wh_path))
    app = typer.Typer()
    quality_cli.register(app)
    app.command("noop")(lambda: None)  # two commands, so "check" stays a sub-command
    result = CliRunner().invoke(app, ["check", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "H1" in result.output and "not applicable" in result.output
    assert (tmp_path / "out" / "H1.xlsx").is_file()
    from hospeval.warehouse import Warehouse
    with Warehouse(wh_path) as again:
        assert again.count("quality_findings") >= 1
        assert again.count("quality_scores") > 0


def test_check_command_has_help_with_example():
    app = typer.Typer()
    quality_cli.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["check", "--help"])
    assert result.exit_code == 0 and "Example: hospeval check" in result.output


def test_stage_run_writes_under_output(tmp_path):
    wh = warehouse_with({"a": {}, "b": {"stay": {"payer": None}}})
    summary = stage.run(RunContext(warehouse=wh, output=Path(tmp_path)))
    assert summary.stage == "quality"
    assert summary.files == [tmp_path / "quality" / "H1.xlsx"]
    assert any(line.startswith("H1: 2 stays, 1 errors") for line in summary.lines)
