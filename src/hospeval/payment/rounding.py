"""Rounding and exact percentiles that give the same bits on DuckDB and Spark.

SQL ``ROUND(x, d)`` on a double differs between the engines: DuckDB rounds ``x * 10^d`` in binary
(``std::round``), Spark rounds the shortest decimal form of ``x`` half-up (``BigDecimal``), so a cost
stored as 1.005 (binary 1.00499...) is 1.0 on DuckDB and 1.01 on Spark. Rounding ``x * 10^d`` to a whole
number agrees on both engines (the shortest decimal form of a double never lies across a .5 from it), and
it is exactly what DuckDB's ``ROUND(x, d)`` computes, so DuckDB results do not change.

The exact continuous percentile is compiled from ranks instead of ``quantile_cont`` / ``percentile``:
both interpolate linearly between the order statistics at ``(n - 1) x q`` (Hyndman-Fan type 7), but with
different formulas (Spark ``(ceil(pos) - pos) x lo + (pos - floor(pos)) x hi``), whose last bits differ,
so half-cent results round differently. The one formula here, ``lo x (1 - d) + hi x d`` with
``d = pos - floor(pos)``, is DuckDB's, so DuckDB results do not change either.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def round_to(value: ir.NumericValue, digits: int) -> ir.FloatingValue:
    """``value`` rounded half away from zero to ``digits`` decimals (|value| x 10^digits below 9.2e18)."""
    scale = 10.0 ** digits
    return (value * scale).round().cast("float64") / scale


def ranked(t: ir.Table, columns: list[str], by: str) -> ir.Table:
    """``t`` with ``<column>__rank`` (0-based, NULLs last) and ``<column>__n`` (non-NULL count) per ``by``."""
    extra = {}
    for c in columns:
        extra[f"{c}__rank"] = ibis.row_number().over(group_by=by, order_by=[t[c].isnull(), t[c]])
        extra[f"{c}__n"] = t[c].count().over(group_by=by)
    return t.mutate(**extra)


def exact_quantile_parts(t: ir.Table, column: str, q: float, name: str) -> dict[str, ir.Scalar]:
    """Aggregates of a :func:`ranked` table from which :func:`exact_quantile` interpolates."""
    pos = (t[f"{column}__n"] - 1).cast("float64") * q
    rank = t[f"{column}__rank"]
    return {f"{name}__lo": t[column].max(where=rank == pos.floor()),
            f"{name}__hi": t[column].max(where=rank == pos.ceil()),
            f"{name}__frac": (pos - pos.floor()).max()}


def exact_quantile(a: ir.Table, name: str) -> ir.FloatingValue:
    """The percentile from the aggregates of :func:`exact_quantile_parts`."""
    lo, hi, frac = a[f"{name}__lo"], a[f"{name}__hi"], a[f"{name}__frac"]
    return lo * (1.0 - frac) + hi * frac
