"""Small hand-made warehouses for the payment tests (tables follow docs/contracts.md).

A uniquely named module (not ``conftest``) so that ``import`` never picks another stage's helpers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from hospeval.model import table_spec
from hospeval.payment.spec import load_rules
from hospeval.warehouse import Warehouse

HOSPITALS = [
    {"hospital_id": "H3", "name": "三级医院", "level": "3", "category": "general", "consortium_id": "C1", "beds": 100},
    {"hospital_id": "H2", "name": "二级医院", "level": "2", "category": "general", "consortium_id": "C1", "beds": 50},
    {"hospital_id": "H9", "name": "独立医院", "level": "3", "category": "general", "consortium_id": None, "beds": 10},
]

RULES = {
    "id": "test-2024", "region": "test", "year": 2024, "payers": ["1", "2", "3"],
    "drg": {
        "scheme": "test-drg", "weights": "drg_reference", "base_rate": 10000,
        "level_coefficient": {"3": 1.0, "2": 0.8, "default": 1.0}, "outlier_reference": "mean_cost",
        "high_outlier": {"multiple": 3.0, "pay": {"method": "excess", "ratio": 0.9}},
        "low_outlier": {"multiple": 0.4, "pay": {"method": "cost", "ratio": 1.0}},
        "ungroupable": {"method": "cost", "ratio": 0.8},
        "transfer": {"dispositions": ["2", "3"], "max_los_ratio": 0.5, "pay": {"method": "per_diem"}},
        "death": {"dispositions": ["5"], "pay": {"method": "cost", "ratio": 1.0, "cap_multiple": 2.0}},
    },
    "dip": {
        "scheme": "test-dip", "budget": {"amount": 106500},
        "level_coefficient": {"3": 1.0, "2": 0.9}, "low_max_ratio": 0.5, "high_min_ratio": 2.0,
        "extreme_min_ratio": 5.0, "high_extra_factor": 1.0,
        "extreme": {"points": "high_formula", "ratio": 1.0, "review": True}, "ungroupable_ratio": 0.9,
    },
    "bed_day": [{"name": "psychiatry", "departments": ["15"], "min_los": 30,
                 "daily_rate": {"3": 400, "2": 300}}],
    "capitation": {"per_capita": 1000, "default_population": 100, "population": {"C1": 60},
                   "actual": "cost", "surplus_retained": 1.0,
                   "bands": [{"upto": 0.05, "fund_share": 0.7}, {"upto": 0.10, "fund_share": 0.5},
                             {"upto": None, "fund_share": 0.0}]},
}


def stay(stay_id, hospital_id, cost, los=5, disp="1", dept="03", payer="1", doctor="D1", month=3, **costs):
    base = dt.datetime(2024, month, 1)
    row = {"stay_id": stay_id, "hospital_id": hospital_id, "patient_id": "P" + stay_id, "sex": "1",
           "admit_time": base, "discharge_time": base + dt.timedelta(days=los), "discharge_dept": dept,
           "los_days": los, "attending_doctor": doctor, "discharge_disposition": disp, "payer": payer,
           "cost_total": cost}
    row.update(costs)
    return row


def _arrow(name: str, rows: list[dict]) -> pa.Table:
    schema = table_spec(name).arrow_schema()
    from decimal import Decimal

    cols = {}
    for f in schema:
        vals = [r.get(f.name) for r in rows]
        if pa.types.is_decimal(f.type):
            vals = [None if v is None else Decimal(str(round(v, 2))) for v in vals]
        cols[f.name] = pa.array(vals, f.type)
    return pa.table(cols, schema=schema)


def _strings(rows: list[dict]) -> pa.Table:
    """Arrow table of string columns (all-NULL columns stay strings, as in the contract)."""
    return pa.table({k: pa.array([r[k] for r in rows], pa.string()) for k in rows[0]})


def make_warehouse(stays, groups=(), dip_groups=(), drg_ref=(), dip_ref=(), hospitals=HOSPITALS,
                   facts=()) -> Warehouse:
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    wh.replace("stays", _arrow("stays", list(stays)))
    wh.replace("hospitals", _arrow("hospitals", list(hospitals)))
    if facts:
        wh.replace("hospital_facts", _arrow("hospital_facts", list(facts)))
    if groups:
        wh.replace("stay_groups", _strings([
            {"stay_id": s, "scheme": "test-drg", "status": st, "reason": None, "mdc": None, "adrg": None,
             "drg": d, "drg_name": None, "cc_level": "none", "explanation": ""} for s, st, d in groups]))
    if dip_groups:
        wh.replace("stay_dip_groups", _strings([
            {"stay_id": s, "scheme": "test-dip", "status": st, "reason": None, "dip_group": g,
             "dip_kind": "core", "dip_name": None} for s, st, g in dip_groups]))
    if drg_ref:
        wh.replace("drg_reference", pa.Table.from_pylist([
            {"scheme": "test-drg", "version": "1", "drg": d, "n_stays": 100, "n_trimmed": 0,
             "relative_weight": w, "mean_cost": c, "mean_los": los, "mortality": 0.0, "risk_grade": 1}
            for d, w, c, los in drg_ref]))
    if dip_ref:
        wh.replace("dip_reference", pa.Table.from_pylist([
            {"scheme": "test-dip", "version": "1", "dip_group": g, "n_stays": n, "mean_cost": c, "points": p}
            for g, n, c, p in dip_ref]))
    return wh


def write_rules(tmp_path: Path, doc: dict | None = None, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc or RULES, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def rules(tmp_path):
    return load_rules(write_rules(tmp_path))


DRG_REF = [("A", 1.0, 10000.0, 10.0), ("B", 2.0, 18000.0, 8.0)]

# (stay, expected case_type, expected payment) -- worked out by hand in test_drg.py's docstring
DRG_STAYS = [
    stay("s_normal", "H3", 9000, los=9),
    stay("s_level2", "H2", 15000, los=8),
    stay("s_high", "H3", 40000),
    stay("s_low", "H3", 3000),
    stay("s_ungroupable", "H3", 5000),
    stay("s_transfer", "H3", 6000, los=3, disp="2"),
    stay("s_transfer_long", "H3", 8000, los=6, disp="2"),
    stay("s_death", "H3", 50000, los=4, disp="5"),
    stay("s_bedday", "H3", 20000, los=40, dept="15"),
    stay("s_selfpay", "H3", 9999, payer="7"),
    stay("s_nogroup", "H9", 1000),
]
DRG_GROUPS = [
    ("s_normal", "grouped", "A"), ("s_level2", "grouped", "B"), ("s_high", "grouped", "A"),
    ("s_low", "grouped", "A"), ("s_ungroupable", "ungroupable", None), ("s_transfer", "grouped", "A"),
    ("s_transfer_long", "grouped", "A"), ("s_death", "grouped", "B"), ("s_bedday", "grouped", "A"),
    ("s_selfpay", "grouped", "A"),
]


@pytest.fixture
def drg_wh():
    wh = make_warehouse(DRG_STAYS, groups=DRG_GROUPS, drg_ref=DRG_REF)
    yield wh
    wh.close()


DIP_REF = [("G1", 10, 10000.0, 100.0), ("G2", 10, 20000.0, 200.0)]
DIP_STAYS = [
    stay("d_normal", "H3", 10000), stay("d_low", "H3", 4000), stay("d_high", "H3", 30000),
    stay("d_extreme", "H3", 60000), stay("d_level2", "H2", 20000), stay("d_ungroupable", "H3", 5000),
    stay("d_bedday", "H3", 20000, los=40, dept="15"),
]
DIP_GROUPS = [
    ("d_normal", "grouped", "G1"), ("d_low", "grouped", "G1"), ("d_high", "grouped", "G1"),
    ("d_extreme", "grouped", "G1"), ("d_level2", "grouped", "G2"), ("d_ungroupable", "ungroupable", None),
    ("d_bedday", "grouped", "G1"),
]


@pytest.fixture
def dip_wh():
    wh = make_warehouse(DIP_STAYS, dip_groups=DIP_GROUPS, dip_ref=DIP_REF)
    yield wh
    wh.close()
