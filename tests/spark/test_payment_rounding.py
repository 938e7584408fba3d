"""``round_to`` gives the same bits on Spark as on DuckDB, and the decimal half-up answer, at decimal halves.

Plain ``ROUND(x, 2)`` gives 1.0 on DuckDB and 1.01 on Spark for the double nearest 1.005.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import ibis

from hospeval.payment.rounding import round_to

# halves of a cent (binary just below, exact, just above), of a 4th decimal, and next to them
VALUES = ["1.005", "-1.005", "0.285", "2.675", "0.125", "-0.125", "4938.275", "2962.965", "6913.585",
          "99999999.995", "1.0049999", "1.0050001", "0.00005", "0.12345", "-0.00004", "12345678.90125"]


def test_round_to_is_the_same_on_spark_and_decimal_half_up(spark):
    t = ibis.memtable({"i": list(range(len(VALUES))), "x": [float(v) for v in VALUES]})
    expr = t.select("i", cents=round_to(t.x, 2), ten_thousandths=round_to(t.x, 4)).order_by("i")
    duck = ibis.duckdb.connect().to_pyarrow(expr).to_pylist()
    on_spark = ibis.pyspark.from_connection(spark).to_pyarrow(expr).to_pylist()
    assert on_spark == duck  # exactly, not within a tolerance
    for v, row in zip(VALUES, duck, strict=True):
        for col, digits in (("cents", 2), ("ten_thousandths", 4)):
            assert row[col] == float(Decimal(v).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)), (v, col)
