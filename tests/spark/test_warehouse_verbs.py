"""The Spark warehouse implements the same verbs as DuckDB's, with the same results."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from hospeval.errors import WarehouseError
from hospeval.warehouse import Warehouse

from .compare import assert_same_table


@pytest.fixture
def engines(spark, tmp_path):
    from hospeval.spark import SparkWarehouse

    duck, sw = Warehouse(tmp_path / "d.duckdb"), SparkWarehouse(tmp_path / "spark", session=spark)
    yield duck, sw
    duck.close()
    sw.close()


def test_verbs_give_the_same_tables_on_both_engines(engines):
    for wh in engines:
        wh.replace("runs", pa.table({"run_id": ["a", "a", "b"], "value": [1.0, 2.0, 3.0]}))
        t = wh.table("runs")
        assert wh.replace("runs", t.filter(t.value > 1.0)) == 2  # reads the table it replaces
        assert wh.replace_rows("runs", pa.table({"value": [7.5], "run_id": ["a"]}), {"run_id": "a"}) == 1
        wh.append("runs", pa.table({"run_id": ["c"], "value": [9]}))
        s = wh.scratch("work_runs", wh.table("runs").mutate(double=ibis._.value * 2))
        assert s.count().to_pyarrow().as_py() == 3
        wh.drop("work_runs")
        assert not wh.has_table("work_runs")
        assert wh.count("runs", {"run_id": "b"}) == 1
    duck, sw = engines
    assert_same_table(duck.to_arrow("runs"), sw.to_arrow("runs"), name="runs")
    assert sorted(sw.to_arrow("runs")["value"].to_pylist()) == [3.0, 7.5, 9.0]


def test_replace_rows_creates_the_table_with_the_given_schema(engines):
    schema = pa.schema([("scheme", pa.string()), ("n", pa.int64())])
    for wh in engines:
        assert wh.replace_rows("ref", pa.table({"scheme": ["x"], "n": [1]}), {"scheme": "x"}, schema=schema) == 1
        assert wh.table("ref").schema()["n"].is_integer()


def test_spark_tables_persist_as_parquet_and_reopen(spark, tmp_path):
    from hospeval.spark import SparkWarehouse

    with SparkWarehouse(tmp_path / "w", session=spark) as sw:
        sw.replace("facts", pa.table({"k": ["a"], "v": [1]}))
    assert (tmp_path / "w" / "facts").is_dir()
    with SparkWarehouse(tmp_path / "w", session=spark) as again:
        assert again.tables() == ["facts"]
        assert again.to_arrow("facts").to_pylist() == [{"k": "a", "v": 1}]
        with pytest.raises(WarehouseError, match="DuckDB engine"):
            again.con  # noqa: B018 - the property raises


def test_a_failed_write_leaves_the_old_table(spark, tmp_path, monkeypatch):
    from hospeval.spark import SparkWarehouse

    with SparkWarehouse(tmp_path / "w", session=spark) as sw:
        sw.replace("t", pa.table({"x": ["1", "2"]}))
        # A frame that fails while it is being written (after the staging folder is created).
        monkeypatch.setattr(sw, "_frame", lambda data: spark.sql("SELECT CAST(raise_error('boom') AS STRING) AS x"))
        with pytest.raises(Exception, match="boom"):
            sw.replace("t", pa.table({"x": ["3"]}))
        monkeypatch.undo()
        assert sorted(sw.to_arrow("t")["x"].to_pylist()) == ["1", "2"]
        assert [p.name for p in (tmp_path / "w").iterdir() if not p.name.startswith(".")] == ["t"]


def test_pull_copies_spark_tables_into_the_dashboard_duckdb(spark, tmp_path):
    from hospeval.spark import SparkWarehouse
    from hospeval.warehouse import pull_parquet_tables

    with SparkWarehouse(tmp_path / "w", session=spark) as sw:
        sw.ensure_schema()
        sw.replace("indicator_values", pa.table({"hospital_id": ["H1", "H2"], "value": [0.25, 0.5]}))
    with Warehouse(tmp_path / "dash.duckdb") as duck:
        counts = pull_parquet_tables(duck, tmp_path / "w")
        assert counts["indicator_values"] == 2 and counts["stays"] == 0  # an empty table comes over too
        assert duck.table("stays").schema() == duck.table("stays").schema()
        assert "cost_total" in duck.table("stays").columns
        assert sorted(duck.to_arrow("indicator_values")["value"].to_pylist()) == [0.25, 0.5]
        with pytest.raises(WarehouseError, match="no table"):
            pull_parquet_tables(duck, tmp_path / "w", ["nope"])


def test_arrow_data_with_null_decimals_and_several_chunks_reaches_spark_intact(engines):
    from decimal import Decimal

    chunked = pa.concat_tables([
        pa.table({"stay_id": ["a"], "cost": pa.array([Decimal("12.34")], pa.decimal128(14, 2))}),
        pa.table({"stay_id": ["b"], "cost": pa.array([None], pa.decimal128(14, 2))}),
    ])
    for wh in engines:
        assert wh.replace("costs", chunked) == 2
        wh.append("costs", chunked.slice(1))
        assert wh.replace_rows("costs", chunked.slice(0, 1), {"stay_id": "a"}) == 1
    duck, sw = engines
    assert_same_table(duck.to_arrow("costs"), sw.to_arrow("costs"), name="costs")
    assert sw.to_arrow("costs")["cost"].null_count == 2


def test_two_warehouses_on_one_session_each_see_their_own_tables(spark, tmp_path):
    from hospeval.spark import SparkWarehouse

    a = SparkWarehouse(tmp_path / "a", session=spark)
    a.replace("stays", pa.table({"stay_id": ["a1", "a2"]}))
    b = SparkWarehouse(tmp_path / "b", session=spark)
    b.replace("stays", pa.table({"stay_id": ["b1"]}))
    assert a.count("stays") == 2 and b.count("stays") == 1
    b.close()  # closing one must not take the other's views away
    assert sorted(a.to_arrow("stays")["stay_id"].to_pylist()) == ["a1", "a2"]
    a.close()


def test_folders_that_are_not_tables_are_left_alone(spark, tmp_path):
    from hospeval.spark import SparkWarehouse

    (tmp_path / "w" / "quality").mkdir(parents=True)
    (tmp_path / "w" / "quality" / "H001.xlsx").write_bytes(b"PK not parquet")
    with SparkWarehouse(tmp_path / "w", session=spark) as sw:
        sw.replace("t", pa.table({"x": [1]}))
        assert sw.tables() == ["t"]
        sw.refresh()
        assert sw.tables() == ["t"] and sw.count("t") == 1
