"""Rounding that gives the same bits on DuckDB and Spark, and the decimal answer at a half.

SQL ``ROUND(x, d)`` on a double differs between the engines: DuckDB rounds ``x * 10^d`` in binary
(``std::round``), Spark rounds the shortest decimal form of ``x`` half-up (``BigDecimal``), so a cost
stored as 1.005 (binary 1.00499...) is 1.0 on DuckDB and 1.01 on Spark. Rounding ``x * 10^d`` to a whole
number agrees on both engines (the shortest decimal form of a double never lies across a .5 from it).

A decimal half such as 1.005 or 0.285 x 100 reaches the engine a few units in the last place below the
half (100.49999999999999), and a payment computed from weights and rates carries a few more such units,
so ``x * 10^d`` is first scaled up by ``1 + 2^-48`` (16 to 32 units in the last place): a value within that
hair of a half moves past it and is rounded away from zero, as ``decimal.ROUND_HALF_UP`` rounds the
decimal. No other value crosses a half: a decimal of at most 14 significant digits that is not a half
lies at least 1e-14 of its size away from one. So ``round_to`` is the decimal half-up rounding of any
value written with at most 14 significant digits (e.g. up to 6 decimals below 1e8), on both engines,
bit for bit.
:func:`round_half_up` does the same operations in Python, for amounts computed outside the engine.
"""

from __future__ import annotations

import math

import ibis.expr.types as ir

NUDGE = 1.0 + 2.0 ** -48  # exactly representable; moves a value by 16 to 32 units in its last place


def round_to(value: ir.NumericValue, digits: int) -> ir.FloatingValue:
    """``value`` rounded half away from zero to ``digits`` decimals (|value| x 10^digits below 9.2e18).

    Examples
    --------
    >>> import ibis
    >>> from hospeval.payment.rounding import round_to
    >>> t = ibis.memtable({"x": [1.005, 0.285, -2.675, 0.125, 1.0049999]})
    >>> ibis.duckdb.connect().to_pyarrow(t.select(r=round_to(t.x, 2))).column("r").to_pylist()
    [1.01, 0.29, -2.68, 0.13, 1.0]
    """
    scale = 10.0 ** digits
    # whole number through BIGINT: Spark's ROUND(-0.4) is 0.0 where DuckDB's is -0.0
    return (value.cast("float64") * scale * NUDGE).round().cast("float64") / scale


def round_half_up(value: float, digits: int) -> float:
    """Python's twin of :func:`round_to`: the same floating-point operations, the same result.

    >>> round_half_up(1.005, 2), round(1.005, 2)
    (1.01, 1.0)
    """
    scaled = value * 10.0 ** digits * NUDGE
    whole = math.floor(abs(scaled))
    whole += abs(scaled) - whole >= 0.5  # exact: the fraction of a double below 2^52 is a double
    return float(int(math.copysign(whole, scaled))) / 10.0 ** digits

