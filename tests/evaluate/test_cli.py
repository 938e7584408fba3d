"""The CLI commands of indicators / evaluate / explain, checked by the warehouse state they leave."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))
from indicator_province import build_warehouse  # noqa: E402

from hospeval.cli import app  # noqa: E402
from hospeval.warehouse import Warehouse  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "wh.duckdb"
    with Warehouse(path) as wh:
        build_warehouse(wh)
    return path


def test_commands_have_help_with_example():
    for args in (["indicators", "run"], ["indicators", "list"], ["indicators", "check"], ["evaluate", "run"],
                 ["evaluate", "pilots"], ["explain"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, args


def test_run_evaluate_explain(warehouse_path, monkeypatch):
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(warehouse_path))
    r = runner.invoke(app, ["indicators", "run", "--set", "drg", "--level", "hospital", "--level", "dept",
                            "--grain", "year"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["evaluate", "run", "--set", "drg", "--period", "2024", "--method", "national"])
    assert r.exit_code == 0, r.output
    with Warehouse(warehouse_path, read_only=True) as wh:
        levels = {lv for (lv,) in wh.con.execute("SELECT DISTINCT level FROM indicator_values").fetchall()}
        assert levels == {"hospital", "dept"}
        assert wh.con.execute("SELECT count(*) FROM evaluation_scores WHERE indicator_set = 'drg' "
                              "AND method = 'national'").fetchone()[0] == 2
    r = runner.invoke(app, ["explain", "--hospital", "H1", "--indicator", "drg_cmi"])
    assert r.exit_code == 0, r.output
    assert "病例组合指数" in r.output and "by dept" in r.output


def test_unknown_set_is_a_clear_error(warehouse_path, monkeypatch):
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(warehouse_path))
    r = runner.invoke(app, ["indicators", "run", "--set", "nope"])
    assert r.exit_code != 0
    assert "unknown indicator set" in str(r.exception)
