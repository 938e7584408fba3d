"""Snapshots of the generated settlement SQL, so that changes to the compiled rules show in review.

Regenerate with ``HOSPEVAL_UPDATE_SNAPSHOTS=1 pytest tests/payment/test_sql_snapshot.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis

from hospeval.payment.cases import prepare_cases
from hospeval.payment.dip import case_points
from hospeval.payment.drg import build_weights, settle_drg
from hospeval.payment.scenario import Scenario

SNAP = Path(__file__).parent / "snapshots"


def _check(name: str, sql: str) -> None:
    path = SNAP / name
    if os.environ.get("HOSPEVAL_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(sql + "\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == sql + "\n", f"{name} changed; review and regenerate"


def test_drg_settlement_sql(drg_wh, rules):
    cases = prepare_cases(drg_wh, rules, "drg")
    expr = settle_drg(cases, build_weights(drg_wh, rules.drg, Scenario()), rules, "RUN")
    _check("drg_settlement.sql", ibis.to_sql(expr, dialect="duckdb"))


def test_dip_points_sql(dip_wh, rules):
    cases = prepare_cases(dip_wh, rules, "dip")
    ref = dip_wh.table("dip_reference").select("dip_group", n_ref="n_stays", mean_cost="mean_cost",
                                               group_points="points")
    _check("dip_points.sql", ibis.to_sql(case_points(cases, ref, rules, 100.0), dialect="duckdb"))
