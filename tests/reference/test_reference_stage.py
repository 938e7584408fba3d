"""stage.run: drg_reference when stay_groups exists, DIP catalogue and stay_dip_groups always."""

from __future__ import annotations

from datetime import datetime

from hospeval.pipeline import RunContext
from hospeval.reference import stage
from hospeval.reference.testing import add_diagnoses, add_stay_groups, add_stays
from hospeval.warehouse import Warehouse


def fill(wh, n=30):
    wh.ensure_schema()
    add_stays(wh, [{"stay_id": f"s{i}", "cost_total": 100.0 + i, "discharge_time": datetime(2023 + i % 2, 1, 9)}
                   for i in range(n)])
    add_diagnoses(wh, [{"stay_id": f"s{i}", "seq": 0, "code": "K35.800"} for i in range(n)])


def test_stage_builds_reference_and_dip(tmp_path):
    with Warehouse(":memory:") as wh:
        fill(wh)
        add_stay_groups(wh, [{"stay_id": f"s{i}", "drg": "GB1"} for i in range(30)])
        summary = stage.run(RunContext(warehouse=wh, output=tmp_path))
        assert summary.stage == "reference"
        assert summary.lines[0].startswith("drg_reference chs-drg-1.1 2023-2024: 1 DRGs from 30 stays")
        assert wh.con.execute("SELECT version, relative_weight FROM drg_reference").fetchall() == [
            ("2023-2024", 1.0)]
        assert wh.con.execute("SELECT scheme, status, count(*) FROM stay_dip_groups GROUP BY ALL").fetchall() == [
            ("dip-demo", "grouped", 30)]
        assert (tmp_path / "schemes" / "dip-demo" / "catalogue.csv") in summary.files
        assert all(p.exists() for p in summary.files)


def test_stage_without_stay_groups_skips_the_drg_reference(tmp_path):
    with Warehouse(":memory:") as wh:
        fill(wh)
        summary = stage.run(RunContext(warehouse=wh, output=tmp_path))
        assert "drg_reference skipped" in summary.lines[0]
        assert not wh.has_table("drg_reference")
        assert wh.count("stay_dip_groups") == 30


def test_stage_on_empty_warehouse(tmp_path):
    with Warehouse(":memory:") as wh:
        wh.ensure_schema()
        summary = stage.run(RunContext(warehouse=wh, output=tmp_path))
        assert summary.lines[-1] == "DIP skipped: no stays"
