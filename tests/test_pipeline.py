"""Stages run through ``run_stage`` leave no work tables behind (they would hold memory for the next stage)."""

from __future__ import annotations

import importlib
import sys
import types

import pytest
from rich.console import Console

from hospeval.demo.generator import generate_province
from hospeval.pipeline import RunContext, run_stage
from hospeval.warehouse import Warehouse


def _context(wh: Warehouse, tmp_path) -> RunContext:
    return RunContext(warehouse=wh, output=tmp_path, console=Console(quiet=True))


def test_run_stage_drops_the_work_tables_the_stage_made_and_keeps_its_results(tmp_path):
    with Warehouse(":memory:") as direct, Warehouse(":memory:") as wrapped:
        for wh in (direct, wrapped):
            generate_province(wh, stays=1_500, seed=3)
            wh.scratch("_caller_work", wh.table("hospitals"))  # the caller's own work table is kept
        importlib.import_module("hospeval.group.stage").run(_context(direct, tmp_path / "a"))
        assert direct.work_tables() - {"_caller_work"}, "the group stage makes work tables"

        run_stage("group", _context(wrapped, tmp_path / "b"))
        assert wrapped.work_tables() == {"_caller_work"}
        assert wrapped.count("stay_groups") == direct.count("stay_groups") == wrapped.count("stays")


def test_drop_work_table_never_drops_a_stored_table_of_the_same_name():
    with Warehouse(":memory:") as wh:
        wh.con.execute("CREATE TABLE shared AS SELECT 1 AS stored")
        wh.con.execute("CREATE TEMP TABLE shared AS SELECT 2 AS work")
        assert wh.work_tables() == {"shared"}
        wh.drop_work_table("shared")
        wh.drop_work_table("shared")  # gone already: no error
        assert wh.work_tables() == set()
        assert wh.con.execute("SELECT * FROM shared").fetchall() == [(1,)]


def test_run_stage_keeps_the_work_tables_a_stage_keeps_for_the_session_and_drops_them_on_failure(
        tmp_path, monkeypatch):
    def stage_run(ctx: RunContext):
        ctx.warehouse.scratch("_intermediate", ctx.warehouse.table("hospitals"))
        ctx.warehouse.scratch("whatif_rows", ctx.warehouse.table("hospitals"))
        ctx.warehouse.session_tables.add("whatif_rows")
        if ctx.scheme == "fail":
            raise RuntimeError("stage failed")

    fake = types.ModuleType("hospeval.fake_stage.stage")
    fake.run = stage_run
    monkeypatch.setitem(sys.modules, "hospeval.fake_stage.stage", fake)
    with Warehouse(":memory:") as wh:
        generate_province(wh, stays=200, seed=1)
        run_stage("fake_stage", _context(wh, tmp_path))
        assert wh.work_tables() == {"whatif_rows"}
        failing = RunContext(warehouse=wh, output=tmp_path, scheme="fail", console=Console(quiet=True))
        with pytest.raises(RuntimeError):
            run_stage("fake_stage", failing)
        assert wh.work_tables() == {"whatif_rows"}  # the failed stage's intermediates are gone too
