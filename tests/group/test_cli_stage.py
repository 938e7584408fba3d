"""The ``group`` command (file and warehouse modes) and the pipeline stage, checked by the state they leave."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from hospeval.group import cli as group_cli
from hospeval.group.stage import run
from hospeval.pipeline import RunContext
from hospeval.warehouse import Warehouse


@pytest.fixture
def app():
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # keeps "group" a sub-command even when it is the only one
        pass

    group_cli.register(app)
    return app


HEADER = "record_id,sex,age_years,age_days,birth_weight_g,dept_code,los_days,discharge_status,diagnoses,procedures\n"


def test_group_file(app, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "r1,1,50,,,0301,7,1,J13.x00|A01.100,\nr2,1,50,,,0301,7,1,Z99.999,\n"
                   "r3,3,50,,,0301,7,1,J13.x00,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["group", "--scheme", "chs-drg-1.1", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["record_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert list(rows["r1"]) == ["record_id", "status", "mdc", "adrg", "drg"]
    assert [rows[k]["status"] for k in ("r1", "r2", "r3")] == ["分组成功", "无法入组", "信息校验不通过"]
    assert (rows["r1"]["mdc"], rows["r1"]["adrg"], rows["r1"]["drg"]) == ("MDCE", "ES3", "ES31")
    assert (rows["r2"]["mdc"], rows["r2"]["adrg"], rows["r2"]["drg"]) == ("0000", "00", "0000")


def test_group_file_explain(app, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "r1,1,50,,,0301,7,1,J13.x00|J09.x00,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["group", "--input", str(src), "--output", str(out), "--explain"])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["drg"] == "ES35"
    assert "J09.x00 MCC 被排除 excluded (表 101)" in row["explanation"]


def test_group_file_missing_column_is_a_clear_error(app, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("record_id,sex\nr1,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["group", "--input", str(src), "--output", str(tmp_path / "o.csv")])
    assert result.exit_code != 0
    assert "age_years" in str(result.exception)


def test_help_has_an_example(app):
    result = CliRunner().invoke(app, ["group", "--help"])
    assert result.exit_code == 0
    assert "hospeval group --scheme chs-drg-1.1 --input" in result.output


def _fill(wh: Warehouse) -> None:
    now = dt.datetime(2025, 1, 10)
    stays = pa.table({
        "stay_id": ["s1", "s2", "s3"], "hospital_id": ["h"] * 3, "patient_id": ["p1", "p2", "p3"],
        "sex": ["1", "2", "1"], "age_years": pa.array([60, 30, -1], pa.int16()),
        "admit_time": [now] * 3, "discharge_time": [now] * 3, "discharge_dept": ["0301"] * 3,
        "los_days": pa.array([5, 3, 2], pa.int32()), "discharge_disposition": ["1"] * 3,
    })
    dx = pa.table({"stay_id": ["s1", "s1", "s2", "s3"], "seq": pa.array([0, 1, 0, 0], pa.int16()),
                   "code": ["J13.x00", "A00.100", "Q99.999", "J13.x00"]})
    px = pa.table({"stay_id": pa.array([], pa.string()), "seq": pa.array([], pa.int16()),
                   "code": pa.array([], pa.string())})
    for name, data in (("stays", stays), ("stay_diagnoses", dx), ("stay_procedures", px)):
        wh.con.register("_in", data)
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        wh.con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM _in')
        wh.con.unregister("_in")


def test_stage_groups_the_warehouse(tmp_path):
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        wh.ensure_schema()
        _fill(wh)
        summary = run(RunContext(warehouse=wh, output=tmp_path / "out", scheme="chs-drg-1.1"))
        rows = {r["stay_id"]: r for r in wh.to_arrow("stay_groups").to_pylist()}
        again = run(RunContext(warehouse=wh, output=tmp_path / "out", scheme="chs-drg-1.1"))
        assert wh.count("stay_groups") == 3  # re-running replaces, never duplicates
    assert summary.stage == "group" and summary.lines == again.lines
    assert "grouped 入组 1 (33.3%)" in summary.lines
    assert set(rows) == {"s1", "s2", "s3"}
    assert (rows["s1"]["status"], rows["s1"]["drg"], rows["s1"]["cc_level"]) == ("grouped", "ES33", "CC")
    assert rows["s1"]["drg_name"] and rows["s1"]["scheme"] == "chs-drg-1.1"
    assert rows["s2"]["status"] == "ungroupable" and "Q99.999" in rows["s2"]["reason"]
    assert rows["s3"]["status"] == "error"


def test_cli_warehouse_mode(app, tmp_path, monkeypatch):
    path = tmp_path / "wh.duckdb"
    with Warehouse(path) as wh:
        wh.ensure_schema()
        _fill(wh)
    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(path))
    result = CliRunner().invoke(app, ["group", "--scheme", "chs-drg-1.1"])
    assert result.exit_code == 0, result.output
    assert "errors 信息校验不通过 1" in result.output
    with Warehouse(path) as wh:
        assert wh.count("stay_groups") == 3


def test_schemes_side_by_side_in_stay_groups(tmp_path):
    from hospeval.group.warehouse_run import group_warehouse

    with Warehouse(tmp_path / "wh.duckdb") as wh:
        wh.ensure_schema()
        _fill(wh)
        group_warehouse(wh, "chs-drg-1.1")
        group_warehouse(wh, "beijing-2022")
        group_warehouse(wh, "chs-drg-1.1")
        rows = wh.con.execute("SELECT scheme, count(*) FROM stay_groups GROUP BY ALL ORDER BY ALL").fetchall()
    assert rows == [("beijing-2022", 3), ("chs-drg-1.1", 3)]
