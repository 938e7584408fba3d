"""Every indicator of every shipped set compiles for Spark (the equivalence suite runs them there).

Compiling names the failing indicator and measure, which the end-to-end run on Spark does not; the derived
fields of ``indicators/_fields.yaml`` are compiled with the enriched stays.
"""

from __future__ import annotations

import ibis
import pytest
from indicator_province import build_warehouse

from hospeval.indicators.codelists import codelist
from hospeval.indicators.compile import LEVEL_KEYS, child_base, enriched_stays
from hospeval.indicators.engine import compute_values
from hospeval.indicators.expr import compile_expr
from hospeval.indicators.spec import load_fields, load_sets
from hospeval.warehouse import Warehouse

ibis.pyspark  # noqa: B018 - loading the backend registers ibis.options.pyspark, which its compiler reads
SETS = {s.id: s for s in load_sets()}


@pytest.fixture(scope="module")
def wh():
    with Warehouse(":memory:") as warehouse:
        build_warehouse(warehouse)
        yield warehouse


@pytest.fixture(scope="module")
def bases(wh):
    """The enriched stays and the child bases, compiled for Spark once, then as unbound tables of their schema
    (so that each measure compiles in milliseconds)."""
    fields = load_fields()
    stays = enriched_stays(wh, fields)
    exprs = {"stays": stays, **{b: child_base(wh, fields, stays, b) for b in ("procedures", "diagnoses")}}
    for expr in exprs.values():
        assert "SELECT" in spark_sql(expr)  # the derived fields of _fields.yaml
    return {name: ibis.table(expr.schema(), name=name) for name, expr in exprs.items()}


def spark_sql(expr: ibis.Table) -> str:
    return ibis.to_sql(expr, dialect="pyspark")


@pytest.mark.parametrize("set_id", sorted(SETS))
def test_every_measure_of_the_set_compiles_for_spark(bases, set_id):
    failures, compiled = [], 0
    for ind in SETS[set_id].indicators:
        for m in ind.measures() if ind.computable else []:
            if m.is_fact:  # fact expressions read the hospital_facts pivot: compiled with the set below
                continue
            table = bases[m.base]
            try:
                cols = {f"c{i}": compile_expr(text, table, codelist) for i, text in enumerate((m.where, m.of)) if text}
                if cols:
                    assert "SELECT" in spark_sql(table.select(**cols))
                    compiled += 1
            except Exception as exc:  # collected so that one run names every failing indicator
                failures.append(f"{set_id}/{ind.id} {m.key}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
    assert compiled > 0


@pytest.mark.parametrize("set_id", sorted(SETS))
def test_the_set_values_compile_for_spark_at_every_level(wh, set_id):
    # One grain: the grains differ only in the period column (compiling all three triples the time).
    stays = wh.scratch("_test_enriched_stays", enriched_stays(wh, load_fields()))
    outputs = compute_values(wh, [SETS[set_id]], levels=list(LEVEL_KEYS), grains=["year"], stays=stays)
    assert len(outputs) > 1
    for expr in outputs:
        assert "SELECT" in spark_sql(expr)
