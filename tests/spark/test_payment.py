"""The payment stage on Spark gives DuckDB's tables: settlements, rollups, standards, operations, budget.

``payment_runs.created_at`` (wall-clock time of the run) is the only column ignored; run ids are
deterministic hashes of the rules, method, scenario and period, so they are compared like any key.
"""

from __future__ import annotations

import pytest

from .compare import assert_same_table

# What the demo payment stage stores (the what-if case rows are a session work table, not stored).
TABLES = ("ops_budget", "ops_budget_execution", "ops_efficiency", "ops_revenue_structure", "payment_capitation",
          "payment_runs", "payment_settlements", "payment_standard_excess", "payment_standards",
          "performance_scores")
IGNORE = {"payment_runs": ("created_at",)}


def test_payment_runs_on_spark(pipeline):
    pipeline.assert_ran("payment")


def test_payment_writes_the_expected_tables(pipeline):
    assert tuple(pipeline.tables("payment")) == TABLES


@pytest.mark.parametrize("name", TABLES)
def test_payment_table_is_the_same_on_spark(pipeline, name):
    assert "spark" not in pipeline.errors.get("payment", {}), "payment failed on Spark (see the test above)"
    duck = pipeline.duck.to_arrow(name)
    assert duck.num_rows > 0, f"{name} is empty on DuckDB: nothing would be compared"
    assert_same_table(duck, pipeline.spark.to_arrow(name), name=name, ignore=IGNORE.get(name, ()))


def test_whatif_and_rollups_are_the_same_on_spark(pipeline):
    """The what-if comparison and the rollups the stage exports, recomputed on both engines."""
    from hospeval.payment.settle import compare, rollup, run_ids

    duck, spark = pipeline.duck, pipeline.spark
    ids = run_ids(duck)
    assert sorted(ids) == sorted(run_ids(spark))
    for rid in ids:
        for level in ("hospital", "dept", "doctor", "group", "case_type"):
            assert_same_table(duck.to_arrow(rollup(duck, rid, level)), spark.to_arrow(rollup(spark, rid, level)),
                              name=f"rollup {level} of {rid}")
    runs = [r for r in duck.to_arrow("payment_runs").to_pylist() if r["method"] == "drg"]
    assert len(runs) == 2, "expected the DRG baseline and its what-if"
    base, scen = sorted(runs, key=lambda r: r["payment"])  # the what-if raises the base rate
    for level in ("hospital", "dept", "group"):
        assert_same_table(duck.to_arrow(compare(duck, base["run_id"], scen["run_id"], level)),
                          spark.to_arrow(compare(spark, base["run_id"], scen["run_id"], level)),
                          name=f"compare {level}")
