"""Outlier trimming as a set operation: per-group bounds (aggregate), then a join back (never a loop).

Percentiles follow an explicit policy: ``exact`` compiles to the backend's exact continuous quantile
(DuckDB ``quantile_cont``, linear interpolation between order statistics, as numpy's default), and
``approximate`` to its approximate quantile (DuckDB t-digest ``approx_quantile``), for backends where exact
percentiles are slow or missing.

Examples
--------
>>> import ibis
>>> from hospeval.reference.spec import TrimPolicy
>>> from hospeval.reference.trim import flag_kept
>>> t = ibis.memtable({"drg": ["A"] * 6, "cost": [10.0, 11, 12, 13, 14, 1000]})
>>> kept = flag_kept(t, ["drg"], "cost", TrimPolicy(method="iqr", iqr_k=3.0, min_stays=5), "exact")
>>> sorted(kept.filter(~kept.kept).cost.to_list())
[1000.0]
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hospeval.reference.spec import TrimPolicy


def without(table: ir.Table, *names: str) -> ir.Table:
    """Return ``table`` without the columns ``names``, keeping column order (deterministic SQL)."""
    return table.select([c for c in table.columns if c not in names])


def quantile(column: ir.NumericColumn, q: float, percentiles: str) -> ir.NumericScalar:
    """Quantile ``q`` of ``column`` under the percentile policy (``exact`` / ``approximate``)."""
    if percentiles == "approximate":
        return column.approx_quantile(q)
    return column.quantile(q)


def trim_bounds(table: ir.Table, keys: list[str], value: str, trim: TrimPolicy,
                percentiles: str) -> ir.Table:
    """Per-group lower and upper bounds of ``value`` (NULL bounds = the group is not trimmed).

    Only rows with a positive ``value`` take part; groups with fewer than ``trim.min_stays`` such rows
    get NULL bounds.
    """
    valid = table.filter(table[value].notnull() & (table[value] > 0))
    col = valid[value]
    if trim.method == "iqr":
        stats = valid.group_by(keys).aggregate(
            _n=valid.count(), _q1=quantile(col, 0.25, percentiles), _q3=quantile(col, 0.75, percentiles)
        )
        k = ibis.literal(trim.iqr_k)
        low = stats._q1 - k * (stats._q3 - stats._q1)
        high = stats._q3 + k * (stats._q3 - stats._q1)
    else:
        stats = valid.group_by(keys).aggregate(
            _n=valid.count(),
            _lo=quantile(col, trim.lower_percentile, percentiles),
            _hi=quantile(col, trim.upper_percentile, percentiles),
        )
        low, high = stats._lo, stats._hi
    enough = stats._n >= trim.min_stays
    null = ibis.null("float64")
    return stats.select(
        *keys,
        trim_lower=ibis.ifelse(enough, low.cast("float64"), null),
        trim_upper=ibis.ifelse(enough, high.cast("float64"), null),
    )


def flag_kept(table: ir.Table, keys: list[str], value: str, trim: TrimPolicy,
              percentiles: str) -> ir.Table:
    """Add ``trim_lower``, ``trim_upper`` and ``kept`` to ``table``.

    ``kept`` is true when ``value`` is positive and, if the group is trimmed, within the bounds
    (bounds included). Rows with a NULL, zero or negative ``value`` are never kept. A group whose
    bounds would keep none of its rows is left untrimmed (NULL bounds).
    """
    valid = valid_of(table, value)
    if trim.method == "none":
        null = ibis.null("float64")
        return table.mutate(trim_lower=null, trim_upper=null, kept=valid)
    bounds = trim_bounds(table, keys, value, trim, percentiles)
    joined = without(table.left_join(bounds, keys), *[f"{k}_right" for k in keys])
    inside = joined.trim_lower.isnull() | joined[value].between(joined.trim_lower, joined.trim_upper)
    flagged = joined.mutate(_inside=(valid_of(joined, value) & inside).fill_null(False))
    # A group whose bounds would leave no stay (tiny groups, narrow percentiles) is not trimmed.
    emptied = flagged.group_by(keys).aggregate(_n_inside=flagged.count(where=flagged._inside))
    flagged = without(flagged.left_join(emptied, keys), *[f"{k}_right" for k in keys])
    untrimmed = flagged._n_inside == 0
    kept = flagged._inside | (valid_of(flagged, value) & untrimmed)
    flagged = flagged.mutate(
        trim_lower=ibis.ifelse(untrimmed, ibis.null("float64"), flagged.trim_lower),
        trim_upper=ibis.ifelse(untrimmed, ibis.null("float64"), flagged.trim_upper),
        kept=kept.fill_null(False),
    )
    return without(flagged, "_inside", "_n_inside")


def valid_of(table: ir.Table, value: str) -> ir.BooleanValue:
    """Return true where ``value`` is a positive number (the only costs that enter a mean)."""
    return table[value].notnull() & (table[value] > 0)
