"""The reference stage gives the same tables on Spark as on DuckDB (3000-stay demo province).

Ignored column: ``drg_reference_versions.built_at`` (the wall-clock time of the build).
"""

from __future__ import annotations

import math
import random

import ibis
import pyarrow as pa
import pytest

from hospeval.reference.trim import group_quantiles

from .compare import assert_same_table

STAGE = "reference"
IGNORED = {"drg_reference_versions": ("built_at",)}
EXPECTED = {"drg_reference", "drg_reference_versions", "dip_catalogue", "dip_reference", "stay_dip_groups"}


def test_reference_runs_on_spark(pipeline):
    pipeline.assert_ran(STAGE)
    assert EXPECTED <= set(pipeline.tables(STAGE)), pipeline.tables(STAGE)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_table_is_the_same_on_spark(pipeline, name):
    pipeline.assert_ran(STAGE)  # otherwise the Spark copy is DuckDB's and the comparison proves nothing
    duck = pipeline.duck.to_arrow(name)
    assert duck.num_rows > 0, f"{name} is empty on DuckDB: the comparison would prove nothing"
    assert_same_table(duck, pipeline.spark.to_arrow(name), name=name, ignore=IGNORED.get(name, ()))


def test_every_table_the_stage_writes_is_compared(pipeline):
    assert set(pipeline.tables(STAGE)) == EXPECTED


def _costs() -> pa.Table:
    """Groups built to hit interpolation between equal order statistics (equal costs, repeated values)."""
    rng = random.Random(7)
    drg, cost = [], []
    for g in range(240):
        base = round(rng.uniform(100, 50000), 2)
        for _ in range(rng.randint(1, 40)):
            drg.append(f"G{g}")
            cost.append((base, round(rng.uniform(1, 1e5), 2), rng.choice([base, base * 1.1, 0.1, 1234.56]),
                         rng.random() * 10 ** rng.randint(-3, 8))[g % 4])
    return pa.table({"drg": drg, "cost": cost})


QUANTILES = {"p025": 0.025, "q1": 0.25, "median": 0.5, "q3": 0.75, "p975": 0.975, "p33": 0.33}


def test_exact_percentiles_are_bit_identical_on_both_engines(spark):
    data = _costs()
    duck = ibis.duckdb.connect()
    on_spark = ibis.pyspark.from_connection(spark)
    expr = group_quantiles(ibis.memtable(data), ["drg"], "cost", QUANTILES, "exact")
    a = duck.to_pyarrow(expr).sort_by("drg").to_pylist()
    b = on_spark.to_pyarrow(expr).sort_by("drg").to_pylist()
    assert a == b  # exactly, not within a tolerance: the same operations in the same order
    # The definition is quantile_cont's (numpy 'linear'): equal to DuckDB's native quantile up to rounding.
    native = duck.to_pyarrow(group_quantiles(ibis.memtable(data), ["drg"], "cost", QUANTILES, "native"))
    for x, y in zip(a, native.sort_by("drg").to_pylist(), strict=True):
        assert all(math.isclose(x[k], y[k], rel_tol=1e-12) for k in QUANTILES), (x, y)
    # Equal neighbours interpolate to the value itself: a group of one repeated cost has it as every quantile.
    repeated = [r for r in a if r["drg"] == "G0"][0]
    assert {repeated[k] for k in QUANTILES} == {data["cost"][0].as_py()}
