"""Versioned writes of the reference stage's result tables, through the engine-neutral warehouse verbs.

Result tables hold several schemes and versions side by side; writing one (scheme, version) replaces
only its own rows, atomically (``Warehouse.replace_rows``: one transaction on DuckDB, one staged swap of
the table on Spark). Column types are fixed here (docs/contracts.md) as Ibis schemas, so the table has
the same shape whatever the first writer produced and on whichever engine it was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import ibis
import pyarrow as pa

from hospeval.warehouse import Warehouse

# table -> ordered schema; the contract columns first.
RESULT_TABLES: dict[str, ibis.Schema] = {
    "drg_reference": ibis.schema({
        "scheme": "string", "version": "string", "drg": "string", "n_stays": "int64",
        "n_trimmed": "int64", "relative_weight": "float64", "mean_cost": "float64",
        "mean_los": "float64", "mortality": "float64", "risk_grade": "int32",
    }),
    "drg_reference_versions": ibis.schema({
        "scheme": "string", "version": "string", "built_at": "timestamp",
        "population": "string", "policy": "string", "n_stays": "int64", "n_drgs": "int64",
        "mean_cost_all": "float64", "n_death_drgs": "int64",
    }),
    "dip_reference": ibis.schema({
        "scheme": "string", "version": "string", "dip_group": "string", "n_stays": "int64",
        "mean_cost": "float64", "points": "float64",
    }),
    "dip_catalogue": ibis.schema({
        "scheme": "string", "version": "string", "dip_group": "string", "dip_kind": "string",
        "dip_name": "string", "diagnosis": "string", "procedures": "string",
        "treatment": "string", "n_stays": "int64", "mean_cost": "float64", "points": "float64",
    }),
    "stay_dip_groups": ibis.schema({
        "stay_id": "string", "scheme": "string", "status": "string", "reason": "string",
        "dip_group": "string", "dip_kind": "string", "dip_name": "string",
    }),
}


def ensure_table(wh: Warehouse, name: str) -> None:
    """Create result table ``name`` with its fixed columns when it does not exist."""
    wh.ensure_table(name, RESULT_TABLES[name])


def replace_rows(wh: Warehouse, name: str, data: ibis.Table | pa.Table, where: dict[str, str]) -> int:
    """Replace the rows of ``name`` matching ``where`` (column -> value) with ``data``; return rows written.

    ``data`` is an Ibis expression over the warehouse or an Arrow table; its columns are matched by
    name and cast to the table's types (missing ones are NULL, extra ones dropped).
    """
    return wh.replace_rows(name, data, where, schema=RESULT_TABLES[name])


def count_rows(wh: Warehouse, name: str, where: dict[str, str]) -> int:
    """Count the rows of ``name`` matching ``where``."""
    return wh.count(name, where)


@contextmanager
def materialised(wh: Warehouse, expr: ibis.Table, purpose: str) -> Iterator[ibis.Table]:
    """Compute ``expr`` once into a work table and yield it as an Ibis table; drop it afterwards.

    Used where one intermediate result is read several times (a reference population, keyed stays).
    Ibis' own ``Table.cache()`` fails to drop its table on a DuckDB backend made from a connection.
    """
    name = f"__hospeval_{purpose}_{uuid.uuid4().hex[:12]}"
    table = wh.scratch(name, expr)
    try:
        yield table
    finally:
        wh.drop(name)
