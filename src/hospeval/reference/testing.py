"""Small helpers to put hand-made rows into a warehouse (tests, examples, benchmarks).

``stay_groups`` belongs to the group stage; :func:`add_stay_groups` creates it with the contract columns
(docs/contracts.md) when absent, so the reference stage can be exercised before the grouper runs.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.reference.testing import add_stays
>>> with Warehouse(":memory:") as wh:
...     wh.ensure_schema()
...     add_stays(wh, [{"stay_id": "s1", "cost_total": 100.0, "los_days": 3}])
1
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from hospeval.warehouse import Warehouse

STAY_GROUPS_SCHEMA = ibis.schema({
    "stay_id": "string", "scheme": "string", "status": "string", "reason": "string", "mdc": "string",
    "adrg": "string", "drg": "string", "drg_name": "string", "cc_level": "string", "explanation": "string",
})

STAY_DEFAULTS: dict[str, Any] = {
    "hospital_id": "H1", "patient_id": "P", "sex": "1", "age_years": 50,
    "admit_time": datetime(2024, 3, 1), "discharge_time": datetime(2024, 3, 5),
    "discharge_dept": "03", "los_days": 4, "discharge_disposition": "1", "cost_total": 1000.0,
}


def _insert(wh: Warehouse, table: str, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    names = list(dict.fromkeys(k for row in rows for k in row))
    wh.append(table, pa.table({n: [row.get(n) for row in rows] for n in names}))  # matched by name, cast
    return len(rows)


def add_stays(wh: Warehouse, rows: list[dict[str, Any]]) -> int:
    """Insert stays; missing required columns take :data:`STAY_DEFAULTS`."""
    return _insert(wh, "stays", [{**STAY_DEFAULTS, **row} for row in rows])


def add_diagnoses(wh: Warehouse, rows: list[dict[str, Any]]) -> int:
    """Insert ``stay_diagnoses`` rows (stay_id, seq, code ...)."""
    return _insert(wh, "stay_diagnoses", rows)


def add_procedures(wh: Warehouse, rows: list[dict[str, Any]]) -> int:
    """Insert ``stay_procedures`` rows (stay_id, seq, code, procedure_kind ...)."""
    return _insert(wh, "stay_procedures", rows)


def ensure_stay_groups(wh: Warehouse) -> None:
    """Create ``stay_groups`` with the contract columns when it does not exist."""
    wh.ensure_table("stay_groups", STAY_GROUPS_SCHEMA)


def add_stay_groups(wh: Warehouse, rows: list[dict[str, Any]], scheme: str = "chs-drg-1.1") -> int:
    """Insert ``stay_groups`` rows; ``scheme`` and status ``grouped`` are defaults."""
    ensure_stay_groups(wh)
    return _insert(wh, "stay_groups", [{"scheme": scheme, "status": "grouped", **row} for row in rows])
