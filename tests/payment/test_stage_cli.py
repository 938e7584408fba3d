"""The stage end to end on a small warehouse, and the CLI commands by the state they leave."""

from __future__ import annotations

import pytest
from payment_fixtures import DIP_REF, DRG_GROUPS, DRG_REF, make_warehouse
from payment_fixtures import DRG_STAYS as STAYS
from rich.console import Console
from typer.testing import CliRunner

from hospeval.pipeline import RunContext
from hospeval.warehouse import Warehouse


def _demo_like(path):
    """The DRG fixture under the demo's scheme names (chs-drg-1.1 / dip-demo)."""
    wh = make_warehouse(STAYS, groups=DRG_GROUPS, drg_ref=DRG_REF,
                        dip_groups=[(s, st, {"A": "G1", "B": "G2"}.get(d)) for s, st, d in DRG_GROUPS],
                        dip_ref=DIP_REF)
    for t in ("stay_groups", "drg_reference"):
        wh.con.execute(f"UPDATE {t} SET scheme = 'chs-drg-1.1'")
    for t in ("stay_dip_groups", "dip_reference"):
        wh.con.execute(f"UPDATE {t} SET scheme = 'dip-demo'")
    wh.con.execute(f"ATTACH '{path}' AS f")
    wh.con.execute("COPY FROM DATABASE memory TO f")
    wh.close()


def test_stage_writes_tables_and_files(tmp_path):
    _demo_like(tmp_path / "w.duckdb")
    from hospeval.payment import stage

    with Warehouse(tmp_path / "w.duckdb") as wh:
        summary = stage.run(RunContext(warehouse=wh, output=tmp_path / "out", console=Console(quiet=True)))
        for table in ("payment_settlements", "payment_runs", "payment_capitation", "payment_standards",
                      "ops_efficiency", "ops_budget_execution", "performance_scores"):
            assert wh.count(table) > 0, table
        methods = set(wh.con.execute("SELECT DISTINCT method FROM payment_runs").fetchall())
        assert methods == {("drg",), ("dip",)}
    text = "\n".join(summary.lines)
    assert "DRG (demo-2024)" in text and "DIP (demo-2024)" in text and "what-if base rate x1.05" in text
    assert (tmp_path / "out" / "payment" / "payment_summary.xlsx").is_file()
    assert (tmp_path / "out" / "payment" / "settlements_drg.csv").is_file()
    # every part is timed (the pipeline benchmark's per-part linearity rows read these)
    assert set(summary.timings) == {"settlement", "standards", "operations", "performance", "files"}
    assert summary.timings["settlement"] > 0


@pytest.fixture
def cli(tmp_path, monkeypatch):
    _demo_like(tmp_path / "w.duckdb")
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    from hospeval.cli import app

    return lambda *args: CliRunner().invoke(app, list(args))


def test_cli_simulate_and_whatif(cli, tmp_path):
    r = cli("pay", "simulate", "--rules", "demo/2024", "--method", "drg", "--out", str(tmp_path / "h.csv"))
    assert r.exit_code == 0, r.output
    assert "high_outlier" in r.output and (tmp_path / "h.csv").is_file()
    r = cli("pay", "whatif", "--base-rate", "1.05", "--weight", "B=3")
    assert r.exit_code == 0, r.output
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.con.execute("SELECT count(*) FROM payment_runs").fetchone()[0] == 2


def test_cli_standards_ops(cli, tmp_path):
    assert cli("standards", "build", "--percentile", "0.5").exit_code == 0
    assert cli("ops", "report").exit_code == 0
    assert cli("ops", "performance").exit_code == 0
    b = tmp_path / "b.csv"
    b.write_text("hospital_id,period,line,amount\nH3,2024-03,inpatient_cost_total,1000\n", encoding="utf-8")
    r = cli("ops", "budget", str(b))
    assert r.exit_code == 0 and "1 flagged" in r.output
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.con.execute("SELECT max(percentile) FROM payment_standards").fetchone()[0] == 0.5


def test_every_command_has_an_example():
    from hospeval.payment.cli import ops_app, pay_app, std_app

    for app in (pay_app, std_app, ops_app):
        for cmd in app.registered_commands:
            assert "Example: hospeval" in (cmd.callback.__doc__ or ""), cmd.callback.__name__
