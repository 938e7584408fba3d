"""Versioned writes of the reference stage's result tables: the one place with raw DuckDB SQL.

Result tables hold several schemes and versions side by side; writing one (scheme, version) replaces
only its own rows, inside one transaction. Column types are fixed here (docs/contracts.md), so the table
has the same shape whatever the first writer produced.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import ibis
import pyarrow as pa

from hospeval.warehouse import Warehouse

# table -> ordered (column, DuckDB type); the contract columns first.
RESULT_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "drg_reference": (
        ("scheme", "VARCHAR"), ("version", "VARCHAR"), ("drg", "VARCHAR"), ("n_stays", "BIGINT"),
        ("n_trimmed", "BIGINT"), ("relative_weight", "DOUBLE"), ("mean_cost", "DOUBLE"),
        ("mean_los", "DOUBLE"), ("mortality", "DOUBLE"), ("risk_grade", "INTEGER"),
    ),
    "drg_reference_versions": (
        ("scheme", "VARCHAR"), ("version", "VARCHAR"), ("built_at", "TIMESTAMP"),
        ("population", "VARCHAR"), ("policy", "VARCHAR"), ("n_stays", "BIGINT"), ("n_drgs", "BIGINT"),
        ("mean_cost_all", "DOUBLE"), ("n_death_drgs", "BIGINT"),
    ),
    "dip_reference": (
        ("scheme", "VARCHAR"), ("version", "VARCHAR"), ("dip_group", "VARCHAR"), ("n_stays", "BIGINT"),
        ("mean_cost", "DOUBLE"), ("points", "DOUBLE"),
    ),
    "dip_catalogue": (
        ("scheme", "VARCHAR"), ("version", "VARCHAR"), ("dip_group", "VARCHAR"), ("dip_kind", "VARCHAR"),
        ("dip_name", "VARCHAR"), ("diagnosis", "VARCHAR"), ("procedures", "VARCHAR"),
        ("treatment", "VARCHAR"), ("n_stays", "BIGINT"), ("mean_cost", "DOUBLE"), ("points", "DOUBLE"),
    ),
    "stay_dip_groups": (
        ("stay_id", "VARCHAR"), ("scheme", "VARCHAR"), ("status", "VARCHAR"), ("reason", "VARCHAR"),
        ("dip_group", "VARCHAR"), ("dip_kind", "VARCHAR"), ("dip_name", "VARCHAR"),
    ),
}


def ensure_table(wh: Warehouse, name: str) -> None:
    """Create result table ``name`` with its fixed columns when it does not exist."""
    cols = ", ".join(f'"{c}" {t}' for c, t in RESULT_TABLES[name])
    wh.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})')


def replace_rows(wh: Warehouse, name: str, data: ibis.Table | pa.Table, where: dict[str, str]) -> int:
    """Replace the rows of ``name`` matching ``where`` (column -> value) with ``data``; return rows written.

    ``data`` is an Ibis expression over the warehouse or an Arrow table; its columns are matched by
    name and cast to the table's types. Delete and insert run in one transaction.
    """
    ensure_table(wh, name)
    columns = [c for c, _ in RESULT_TABLES[name]]
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in RESULT_TABLES[name])
    condition = " AND ".join(f'"{c}" = ?' for c in where) or "TRUE"
    registered = isinstance(data, pa.Table)
    if registered:
        wh.con.register("__hospeval_rows", data)
        source = "SELECT * FROM __hospeval_rows"
    else:
        source = ibis.to_sql(data, dialect="duckdb")
    try:
        with wh.transaction() as con:
            con.execute(f'DELETE FROM "{name}" WHERE {condition}', list(where.values()))
            con.execute(
                f'INSERT INTO "{name}" ({", ".join(columns)}) SELECT {select} FROM ({source}) AS src'
            )
    finally:
        if registered:
            wh.con.unregister("__hospeval_rows")
    return count_rows(wh, name, where)


def count_rows(wh: Warehouse, name: str, where: dict[str, str]) -> int:
    """Count the rows of ``name`` matching ``where``."""
    condition = " AND ".join(f'"{c}" = ?' for c in where) or "TRUE"
    return wh.con.execute(f'SELECT count(*) FROM "{name}" WHERE {condition}', list(where.values())).fetchone()[0]


@contextmanager
def materialised(wh: Warehouse, expr: ibis.Table, purpose: str) -> Iterator[ibis.Table]:
    """Compute ``expr`` once into a temporary table and yield it as an Ibis table; drop it afterwards.

    Used where one intermediate result is read several times (a reference population, keyed stays).
    Ibis' own ``Table.cache()`` fails to drop its table on a DuckDB backend made from a connection.
    """
    name = f"__hospeval_{purpose}_{uuid.uuid4().hex[:12]}"
    wh.con.execute(f'CREATE TEMP TABLE "{name}" AS {ibis.to_sql(expr, dialect="duckdb")}')
    try:
        yield wh.ibis().table(name)
    finally:
        wh.con.execute(f'DROP TABLE IF EXISTS "{name}"')
