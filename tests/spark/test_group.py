"""The group stage gives every stay the same DRG (and reasons) on Spark as on DuckDB."""

from __future__ import annotations

from .compare import assert_same_table

STAGE = "group"


def test_group_runs_on_spark(pipeline):
    pipeline.assert_ran(STAGE)


def test_group_tables_are_the_same_on_both_engines(pipeline):
    written = pipeline.tables(STAGE)
    assert "stay_groups" in written
    for name in written:
        duck, spark = pipeline.duck.to_arrow(name), pipeline.spark.to_arrow(name)
        assert duck.num_rows > 0, f"{name} is empty on DuckDB"
        assert_same_table(duck, spark, name=name, keys=["stay_id", "scheme"] if name == "stay_groups" else None)


def test_dip_groups_are_the_same_on_both_engines(pipeline):
    """One catalogue (derived on DuckDB, under its own scheme name) groups every stay alike on both engines."""
    from hospeval.group.dip import group_dip, result_schema
    from hospeval.group.dip_catalogue import derive_catalogue
    from hospeval.group.dip_spec import load_dip_policy

    catalogue = derive_catalogue(pipeline.duck, "equivalence", "2024", policy=load_dip_policy())
    results = {}
    try:
        for engine, wh in (("duckdb", pipeline.duck), ("spark", pipeline.spark)):
            results[engine] = group_dip(wh, catalogue)
            t = wh.table("stay_dip_groups")
            results[engine + "_rows"] = wh.to_arrow(t.filter(t.scheme == catalogue.scheme))
    finally:  # leave the pipeline's warehouses as they were for the other stages' tests
        for wh in (pipeline.duck, pipeline.spark):
            for name in ("stay_dip_groups", "dip_catalogue", "dip_reference"):
                if wh.has_table(name):
                    wh.replace_rows(name, result_schema(name).to_pyarrow().empty_table(),
                                    {"scheme": catalogue.scheme})
    duck, spark = results["duckdb_rows"], results["spark_rows"]
    assert duck.num_rows == pipeline.duck.count("stays") > 0  # every stay, once
    assert results["duckdb"].by_status.get("grouped", 0) > 0
    assert results["duckdb"].by_reason == results["spark"].by_reason
    assert_same_table(duck, spark, name="stay_dip_groups", keys=["stay_id"])


def test_golden_sample_records_group_identically_on_spark(spark, tmp_path):
    """The 3,000 reference records, turned into canonical tables on each engine, get the same groups."""
    import pytest

    from hospeval.group.engine import group_stays
    from hospeval.group.records import read_records, records_to_canonical
    from hospeval.group.spec import load_scheme
    from hospeval.spark import SparkWarehouse
    from hospeval.warehouse import Warehouse

    from ..group.test_golden import GOLDEN

    if not GOLDEN.exists():
        pytest.skip(f"golden sample not found at {GOLDEN}")
    records, scheme = read_records(GOLDEN), load_scheme("chs-drg-1.1")
    out = {}
    with Warehouse(":memory:") as duck, SparkWarehouse(tmp_path / "spark", session=spark) as sw:
        for engine, wh in (("duckdb", duck), ("spark", sw)):
            stays, dx, px = records_to_canonical(wh.scratch("_records", records))
            out[engine] = wh.to_arrow(group_stays(wh, scheme, stays, dx, px))
    assert out["duckdb"].num_rows == records.num_rows == 3000
    assert_same_table(out["duckdb"], out["spark"], name="golden stay_groups", keys=["stay_id"])
