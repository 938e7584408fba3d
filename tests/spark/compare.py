"""Table comparison for the engine-equivalence suite: exact for counts and text, 1e-9 relative for ratios."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc

REL = 1e-9


def _is_float(t: pa.DataType) -> bool:
    return pa.types.is_floating(t)


def _normalise(table: pa.Table, ignore: tuple[str, ...]) -> pa.Table:
    keep = [c for c in table.column_names if c not in ignore]
    table = table.select(keep)
    cols = {}
    for name in keep:
        col = table[name]
        if pa.types.is_decimal(col.type):  # engines may widen decimals; compare the values
            col = pc.cast(col, pa.float64())
        elif pa.types.is_integer(col.type):
            col = pc.cast(col, pa.int64())
        elif pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        elif pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.timestamp("us"))
        cols[name] = col
    return pa.table(cols)


def _rows(table: pa.Table, keys: list[str]) -> list[dict]:
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: tuple((r[k] is None, str(r[k])) for k in keys))


def assert_same_table(duck: pa.Table, spark: pa.Table, *, name: str, ignore: tuple[str, ...] = (),
                      keys: list[str] | None = None) -> None:
    """Assert two engines' results hold the same rows: same columns, same counts, same values.

    Rows are matched by sorting on ``keys`` (default: every non-float column); floats agree within 1e-9
    relative (1e-9 absolute near zero), everything else exactly.
    """
    duck, spark = _normalise(duck, ignore), _normalise(spark, ignore)
    assert sorted(duck.column_names) == sorted(spark.column_names), f"{name}: columns differ"
    assert duck.num_rows == spark.num_rows, f"{name}: {duck.num_rows} rows on DuckDB, {spark.num_rows} on Spark"
    keys = keys or [c for c in duck.column_names if not _is_float(duck[c].type)]
    floats = {c for c in duck.column_names if _is_float(duck[c].type) or _is_float(spark[c].type)}
    for i, (a, b) in enumerate(zip(_rows(duck, keys), _rows(spark, keys), strict=True)):
        for column in duck.column_names:
            x, y = a[column], b[column]
            if column in floats and x is not None and y is not None:
                same = (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=REL, abs_tol=REL)
            else:
                same = x == y
            assert same, f"{name}: row {i} column {column}: DuckDB {x!r} != Spark {y!r} (row {a})"
