"""The quality stage gives the same findings, rule results and scores on Spark as on DuckDB."""

from __future__ import annotations

from .compare import assert_same_table

STAGE = "quality"


def test_quality_runs_on_spark(pipeline):
    pipeline.assert_ran(STAGE)


def test_quality_tables_are_the_same_on_both_engines(pipeline):
    """quality_findings, quality_rule_results and quality_scores hold the same rows (run ids aside)."""
    written = pipeline.tables(STAGE)
    assert {"quality_findings", "quality_rule_results", "quality_scores"} <= set(written)
    for name in written:
        duck, spark = pipeline.duck.to_arrow(name), pipeline.spark.to_arrow(name)
        assert duck.num_rows > 0, f"{name} is empty on DuckDB: the comparison would prove nothing"
        # run_id fingerprints the data version, which includes the ingest load ids; the fixture copies
        # only the canonical tables to Spark (no ingest_loads), so the ids legitimately differ there.
        assert_same_table(duck, spark, name=name, ignore=("run_id",))
