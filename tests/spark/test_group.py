"""The group stage gives every stay the same DRG (and reasons) on Spark as on DuckDB."""

from __future__ import annotations

from .compare import assert_same_table

STAGE = "group"


def test_group_runs_on_spark(pipeline):
    errors = pipeline.errors.get(STAGE, {})
    assert "duckdb" not in errors, f"group failed on DuckDB: {errors.get('duckdb')}"
    assert "spark" not in errors, f"group failed on Spark: {errors.get('spark')}"


def test_group_tables_are_the_same_on_both_engines(pipeline):
    written = pipeline.tables(STAGE)
    assert "stay_groups" in written
    for name in written:
        duck, spark = pipeline.duck.to_arrow(name), pipeline.spark.to_arrow(name)
        assert duck.num_rows > 0, f"{name} is empty on DuckDB"
        assert_same_table(duck, spark, name=name, keys=["stay_id", "scheme"] if name == "stay_groups" else None)
