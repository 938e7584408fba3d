"""The only place of the payment stage that issues raw DuckDB SQL: create / append / delete result rows.

Everything else is Ibis; these statements (``INSERT INTO ... SELECT``, ``DELETE ... WHERE run_id``) have
no Ibis form on an existing table.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.warehouse import Warehouse


def write_table(wh: Warehouse, name: str, data: ir.Table | pa.Table) -> int:
    """Create or replace ``name`` with ``data``; return its row count."""
    return wh.replace(name, data)


def write_scratch(wh: Warehouse, name: str, data: ir.Table | pa.Table) -> None:
    """Create or replace a session-scoped TEMP table (intermediate results: prepared cases, points)."""
    if isinstance(data, pa.Table):
        wh.con.register("__payment_scratch", data)
        try:
            wh.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM __payment_scratch')
        finally:
            wh.con.unregister("__payment_scratch")
        return
    wh.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {ibis.to_sql(data, dialect="duckdb")}')


def replace_run(wh: Warehouse, name: str, run_id: str, data: ir.Table, *, temp: bool = False) -> int:
    """Replace the rows of ``run_id`` in result table ``name`` (created on first use) with ``data``.

    ``temp`` keeps the table for the session only (what-if case rows).
    """
    sql = ibis.to_sql(data, dialect="duckdb")
    with wh.transaction() as con:
        if not wh.has_table(name):
            con.execute(f'CREATE {"TEMP " if temp else ""}TABLE "{name}" AS {sql}')
        else:
            con.execute(f'DELETE FROM "{name}" WHERE run_id = ?', [run_id])
            con.execute(f'INSERT INTO "{name}" BY NAME {sql}')
    return wh.con.execute(f'SELECT count(*) FROM "{name}" WHERE run_id = ?', [run_id]).fetchone()[0]


def replace_run_arrow(wh: Warehouse, name: str, run_id: str, data: pa.Table) -> None:
    """Like :func:`replace_run` for a small Arrow table (run headers)."""
    wh.con.register("__payment_rows", data)
    try:
        with wh.transaction() as con:
            if not wh.has_table(name):
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __payment_rows')
            else:
                con.execute(f'DELETE FROM "{name}" WHERE run_id = ?', [run_id])
                con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM __payment_rows')
    finally:
        wh.con.unregister("__payment_rows")


def scalars(expr: ir.Table) -> dict[str, object]:
    """Execute a one-row aggregate and return it as a dict."""
    row = expr.to_pyarrow().to_pylist()
    return row[0] if row else {}
