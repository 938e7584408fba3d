"""Snapshot of the SQL the compiler generates for a small catalogue, so that changes show in review.

Regenerate after an intended change with ``HOSPEVAL_UPDATE_SNAPSHOTS=1 pytest tests/quality/test_sql_snapshot.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis
import pytest

from hospeval.model import code_sets
from hospeval.quality.compile import build_plan
from hospeval.quality.spec import TABLES, parse_catalogue
from hospeval.warehouse import Warehouse

SNAPSHOTS = Path(__file__).parent / "snapshots"
CATALOGUE = """
version: snapshot
rules:
  - {id: S-1, table: stays, check: {kind: not_null, fields: [payer]}, severity: error, category: completeness,
     fields: [payer], source: t, message_zh: 缺, message_en: missing, fix_zh: 补, fix_en: fill}
  - {id: S-2, table: stays, check: {kind: conditional_required, fields: [autopsy]}, when: {field: discharge_disposition, in: ["5"]},
     severity: error, category: completeness, fields: [autopsy], source: t, message_zh: 缺, message_en: missing, fix_zh: 补, fix_en: fill}
  - {id: S-3, table: stays, check: {kind: requires_companion_code, expect: {diagnosis: other, prefixes: [Z37]}},
     when: {diagnosis: any, prefixes: ["O80-O84"]}, severity: error, category: coding, fields: [x], source: t,
     message_zh: 缺, message_en: missing, fix_zh: 补, fix_en: fill}
  - {id: S-4, table: stays, check: {kind: duplicate_key, keys: [hospital_id, patient_id, admit_time]}, severity: error,
     category: consistency, fields: [x], source: t, message_zh: 重, message_en: dup, fix_zh: 删, fix_en: drop}
"""


@pytest.mark.parametrize("part", ["flags", "hits"])
def test_generated_sql_matches_snapshot(part):
    with Warehouse(":memory:") as wh:
        wh.ensure_schema()
        cat = parse_catalogue(CATALOGUE)
        tables = {t: wh.table(t) for t in TABLES}
        plan = build_plan("stays", list(enumerate(cat.rules)), tables=tables, dictionaries={}, codesets=code_sets())
        assert plan.errors == {}
        expr = plan.flags() if part == "flags" else plan.hits(plan.flags())
        sql = ibis.to_sql(expr, dialect="duckdb").strip() + "\n"
        wh.con.execute(f"EXPLAIN {sql}")  # it is valid DuckDB SQL
    path = SNAPSHOTS / f"{part}_stays.sql"
    if os.environ.get("HOSPEVAL_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8")
