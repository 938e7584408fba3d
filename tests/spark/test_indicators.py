"""The indicators stage gives the same tables on Spark as on DuckDB (3000-stay demo province).

Ignored columns: ``indicator_runs.started_at`` / ``finished_at`` (wall-clock times). ``run_id`` is a hash of
the sets, levels, grains and scope, so it is compared too.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from hospeval.indicators.spec import load_sets

from .compare import assert_same_table

STAGE = "indicators"
IGNORED = {"indicator_runs": ("started_at", "finished_at")}
EXPECTED = {"indicator_values", "indicator_runs"}
KEYS = ["indicator_set", "indicator_id", "level", "unit_id", "hospital_id", "period"]


def test_indicators_run_on_spark(pipeline):
    pipeline.assert_ran(STAGE)
    assert set(pipeline.tables(STAGE)) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_indicator_table_is_the_same_on_spark(pipeline, name):
    pipeline.assert_ran(STAGE)  # otherwise the Spark copy is DuckDB's and the comparison proves nothing
    duck = pipeline.duck.to_arrow(name)
    assert duck.num_rows > 0, f"{name} is empty on DuckDB: the comparison would prove nothing"
    assert_same_table(duck, pipeline.spark.to_arrow(name), name=name, ignore=IGNORED.get(name, ()),
                      keys=KEYS if name == "indicator_values" else None)


def _by_key(table: pa.Table) -> dict[tuple, dict]:
    return {tuple(r[k] for k in KEYS): r for r in table.to_pylist()}


COUNTS = ("count", "count_distinct")


def _counted(indicator, column: str) -> bool:
    measure = indicator.numerator if column == "numerator" else indicator.denominator
    return measure is not None and measure.agg in COUNTS and indicator.transform != "growth"


def test_counted_numerators_and_denominators_are_exact(pipeline):
    # Counts must match exactly. Sums of fractional values (relative weights, costs, facts in yuan) depend
    # on the summation order, which differs between engines: those agree within 1e-9 relative (test above).
    pipeline.assert_ran(STAGE)
    indicators = {(s.id, i.id): i for s in load_sets() for i in s.indicators}
    duck = _by_key(pipeline.duck.to_arrow("indicator_values"))
    spark = _by_key(pipeline.spark.to_arrow("indicator_values"))
    assert duck.keys() == spark.keys()
    counted = [(k, c) for k in duck for c in ("numerator", "denominator") if _counted(indicators[k[:2]], c)]
    differ = [(k, c, duck[k][c], spark[k][c]) for k, c in counted
              if duck[k][c] != spark[k][c] and not (duck[k][c] is None and spark[k][c] is None)]
    assert len(counted) > 1000
    assert not differ, f"{len(differ)} of {len(counted)} counted numerators / denominators differ: {differ[:5]}"


def test_every_computable_indicator_is_evaluated_on_spark(pipeline):
    pipeline.assert_ran(STAGE)
    values = pipeline.spark.to_arrow("indicator_values")
    evaluated = set(zip(values["indicator_set"].to_pylist(), values["indicator_id"].to_pylist(), strict=True))
    computable = {(s.id, i.id): i for s in load_sets() for i in s.indicators if i.computable}
    # The demo province covers one year: growth indicators have no previous year and give no row.
    missing = {key for key in computable.keys() - evaluated if computable[key].transform != "growth"}
    assert missing == set()
    assert len(evaluated) > len(computable) / 2


# One use of every function of the indicator expression language, with a comparison and arithmetic.
SAMPLES = {
    "in_codelist": "in_codelist(code, 'complications')",
    "startswith": "startswith(code, 'T8', 'i1')",
    "isnull": "isnull(code) or n > 2",
    "notnull": "notnull(code) and not n in (1, 4)",
    "coalesce": "coalesce(n, 0) * 2 + 1",
    "year": "year(t) == 2024",
    "month": "month(t) - 1",
}


def test_every_expression_function_gives_the_same_values_on_spark(spark):
    from datetime import datetime

    import ibis

    from hospeval.indicators.codelists import codelist
    from hospeval.indicators.expr import FUNCTIONS, compile_expr

    assert set(SAMPLES) == set(FUNCTIONS), "a function of the expression language has no sample here"
    data = ibis.memtable({
        "row": [1, 2, 3, 4],
        "code": ["T81.401", "I10.x00", None, " t81.4 "],
        "n": [1, None, 3, 4],
        "t": [datetime(2024, 3, 1), datetime(2023, 12, 31, 23, 59), None, datetime(2024, 1, 1)],
    })
    expr = data.select("row", **{name: compile_expr(text, data, codelist) for name, text in SAMPLES.items()})
    duck = ibis.duckdb.connect().to_pyarrow(expr).sort_by("row").to_pylist()
    on_spark = ibis.pyspark.from_connection(spark).to_pyarrow(expr).sort_by("row").to_pylist()
    assert on_spark == duck
    assert [r["in_codelist"] for r in duck] == [True, False, False, True]  # upper-cased, spaces removed
    assert [r["month"] for r in duck] == [2, 11, None, 0]
