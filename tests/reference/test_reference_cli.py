"""CLI: `hospeval reference build|show`, `hospeval dip build|group|show` — checked by warehouse state."""

from __future__ import annotations

from datetime import datetime

import pytest
import typer
from typer.testing import CliRunner

from hospeval.cli import app
from hospeval.errors import HospevalError
from hospeval.reference.cli import dip_app, reference_app
from hospeval.reference.testing import add_diagnoses, add_procedures, add_stay_groups, add_stays
from hospeval.warehouse import Warehouse

runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(path))
    with Warehouse(path) as wh:
        wh.ensure_schema()
        stays = [{"stay_id": f"s{i}", "cost_total": 100.0 * (1 + i % 4), "los_days": 1 + i % 5,
                  "discharge_time": datetime(2024 if i % 2 else 2023, 5, 1),
                  "discharge_disposition": "5" if i % 7 == 0 else "1"} for i in range(40)]
        add_stays(wh, stays)
        add_stay_groups(wh, [{"stay_id": f"s{i}", "drg": "AB1" if i % 3 else "CD2"} for i in range(40)])
        add_diagnoses(wh, [{"stay_id": f"s{i}", "seq": 0, "code": "K35.800" if i % 3 else "J18.900"}
                           for i in range(40)])
        add_procedures(wh, [{"stay_id": f"s{i}", "seq": 0, "code": "47.01", "procedure_kind": "1"}
                            for i in range(0, 40, 2)])
    return path


def state(path, sql):
    with Warehouse(path, read_only=True) as wh:
        return wh.con.execute(sql).fetchall()


def test_reference_build_and_show(warehouse):
    result = runner.invoke(app, ["reference", "build", "--scheme", "chs-drg-1.1", "--version", "2024",
                                 "--period", "2024"])
    assert result.exit_code == 0, result.output
    assert "2 DRGs from 20 stays" in result.output
    assert state(warehouse, "SELECT version, sum(n_stays) FROM drg_reference GROUP BY 1") == [("2024", 20)]
    shown = runner.invoke(app, ["reference", "show", "--scheme", "chs-drg-1.1", "--version", "2024"])
    assert shown.exit_code == 0 and "AB1" in shown.output and "CD2" in shown.output
    listed = runner.invoke(app, ["reference", "show", "--scheme", "chs-drg-1.1"])
    assert listed.exit_code == 0 and "2024" in listed.output


def test_reference_build_bad_period_is_a_clear_error(warehouse):
    result = runner.invoke(app, ["reference", "build", "--period", "24"])
    assert isinstance(result.exception, HospevalError) and "YYYY" in str(result.exception)
    result = runner.invoke(app, ["reference", "build", "--period", "1999"])
    assert isinstance(result.exception, HospevalError) and "no grouped stays" in str(result.exception)


def test_dip_build_group_show(warehouse, tmp_path):
    out = tmp_path / "dip-city"
    built = runner.invoke(app, ["dip", "build", "--name", "city", "--version", "2024", "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert (out / "catalogue.csv").exists() and (out / "scheme.yaml").exists()
    assert state(warehouse, "SELECT count(*) FROM dip_reference WHERE scheme = 'dip-city'")[0][0] >= 1
    grouped = runner.invoke(app, ["dip", "group", "--scheme", "city", "--folder", str(out)])
    assert grouped.exit_code == 0, grouped.output
    assert state(warehouse, "SELECT status, count(*) FROM stay_dip_groups GROUP BY 1") == [("grouped", 40)]
    shown = runner.invoke(app, ["dip", "show", "--scheme", "dip-city", "--folder", str(out)])
    assert shown.exit_code == 0 and "J18" in shown.output and "K35" in shown.output


def test_dip_group_without_catalogue_is_a_clear_error(warehouse, tmp_path):
    result = runner.invoke(app, ["dip", "group", "--scheme", "dip-none", "--folder", str(tmp_path / "x")])
    assert isinstance(result.exception, HospevalError) and "dip build" in str(result.exception)


@pytest.mark.parametrize("group", [reference_app, dip_app])
def test_every_command_has_help_with_an_example(group: typer.Typer):
    assert "Example:" in group.info.help
    for command in group.registered_commands:
        assert command.callback.__doc__ and "Example: hospeval" in command.callback.__doc__


def test_reference_build_with_a_policy_file(warehouse, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("trim: {method: none}\npercentiles: approximate\n", encoding="utf-8")
    result = runner.invoke(app, ["reference", "build", "--version", "v1", "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert state(warehouse, "SELECT sum(n_trimmed), sum(n_stays) FROM drg_reference") == [(0, 40)]
    recorded = state(warehouse, "SELECT policy FROM drg_reference_versions")[0][0]
    assert '"method": "none"' in recorded and str(policy) in recorded
