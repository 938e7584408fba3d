"""How the payment stage writes: result tables, per-run rows and session work tables, on either engine.

Everything goes through the warehouse verbs (``replace``, ``replace_rows``, ``scratch``), so the stage
runs unchanged on DuckDB and on Spark. The one engine difference this module absorbs is where what-if
case rows live (``temp=True``): DuckDB keeps them in a TEMP table, Spark in a work table checkpointed in
the executors (:meth:`~hospeval.spark.SparkWarehouse.scratch`); both last for the session only and are
never written to the warehouse, which is what :func:`hospeval.payment.settle.whatif` promises.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.warehouse import Warehouse


def write_table(wh: Warehouse, name: str, data: ir.Table | pa.Table) -> int:
    """Create or replace ``name`` with ``data``; return its row count."""
    return wh.replace(name, data)


def write_scratch(wh: Warehouse, name: str, data: ir.Table | pa.Table) -> ir.Table:
    """Materialise a session work table (intermediate results: prepared cases, weights, points)."""
    return wh.scratch(name, data)


def replace_run(wh: Warehouse, name: str, run_id: str, data: ir.Table | pa.Table, *, temp: bool = False) -> int:
    """Replace the rows of ``run_id`` in result table ``name`` (created on first use) with ``data``.

    Returns the run's row count. ``temp`` keeps the table for the session only (what-if case rows): the
    other runs' rows are kept and the whole work table is rematerialised, which is cheap because only
    what-if runs land there.
    """
    if not temp:
        return wh.replace_rows(name, data, {"run_id": run_id})
    new = data if isinstance(data, ir.Table) else ibis.memtable(data)
    if wh.has_table(name):
        old = wh.table(name)
        new = old.filter(old.run_id != run_id).union(
            new.select(*[new[c].cast(t).name(c) for c, t in old.schema().items()]), distinct=False)
    t = wh.scratch(name, new)
    wh.session_tables.add(name)  # a result for the session: run_stage must not drop it with the intermediates
    return int(t.filter(t.run_id == run_id).count().to_pyarrow().as_py())


def replace_run_arrow(wh: Warehouse, name: str, run_id: str, data: pa.Table) -> int:
    """Like :func:`replace_run` for a small Arrow table (run headers)."""
    return wh.replace_rows(name, data, {"run_id": run_id})


def scalars(expr: ir.Table) -> dict[str, object]:
    """Execute a one-row aggregate and return it as a dict."""
    row = expr.to_pyarrow().to_pylist()
    return row[0] if row else {}
