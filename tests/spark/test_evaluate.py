"""The evaluate stage gives the same scores, ranks, grades, points and pilots on Spark as on DuckDB.

Nothing is ignored in the comparison: the run id is a hash of the set version, year and methods (the
same on both engines) and the evaluate tables carry no timestamps.
"""

from __future__ import annotations

from .compare import assert_same_table

STAGE = "evaluate"
KEYS = {  # rows matched on their natural keys (floats are compared within 1e-9, never used to sort)
    "evaluation_scores": ["indicator_set", "period", "method", "hospital_id"],
    "evaluation_points": ["indicator_set", "period", "method", "hospital_id", "indicator_id"],
    "evaluation_indicator_scores": ["indicator_set", "period", "hospital_id", "indicator_id"],
    "evaluation_pilots": ["period", "category", "category_rank"],
}


def test_evaluate_runs_on_spark(pipeline):
    pipeline.assert_ran(STAGE)


def test_evaluate_tables_are_the_same_on_both_engines(pipeline):
    written = pipeline.tables(STAGE)
    assert set(KEYS) == set(written), f"evaluate wrote {written}"
    for name in written:
        duck, spark = pipeline.duck.to_arrow(name), pipeline.spark.to_arrow(name)
        assert duck.num_rows > 0, f"{name} is empty on DuckDB: the comparison would prove nothing"
        assert_same_table(duck, spark, name=name, keys=KEYS[name])


def test_evaluate_grades_and_ranks_agree_exactly(pipeline):
    """Ranks and grades come from comparing float scores: any engine drift would show here first."""
    cols = ["indicator_set", "method", "hospital_id", "rank", "grade", "percentile"]
    duck = pipeline.duck.to_arrow("evaluation_scores").select(cols).sort_by([(c, "ascending") for c in cols[:3]])
    spark = pipeline.spark.to_arrow("evaluation_scores").select(cols).sort_by([(c, "ascending") for c in cols[:3]])
    assert duck.to_pylist() == spark.to_pylist()
    assert len(set(duck["grade"].to_pylist())) > 1, "every hospital got the same grade: nothing is compared"
