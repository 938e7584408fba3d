"""A small hand-made province: 2 hospitals in one consortium, 7 stays, DRG groups and reference weights.

Every figure the tests expect is worked out by hand in the tests from the rows below.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from hospeval.model import table_spec
from hospeval.warehouse import Warehouse


def _table(name: str, rows: list[dict]) -> pa.Table:
    spec = table_spec(name)
    cols = {c.name: [r.get(c.name) for r in rows] for c in spec.columns}
    return pa.table(cols, schema=spec.arrow_schema())


def stay(sid, hosp, dept, doctor, when, cost, los, disp="1", **kw):
    return {"stay_id": sid, "hospital_id": hosp, "patient_id": "p" + sid, "sex": "1", "age_years": 50,
            "admit_time": datetime.fromisoformat(when), "discharge_time": datetime.fromisoformat(when),
            "discharge_dept": dept, "attending_doctor": doctor, "los_days": los,
            "discharge_disposition": disp, "cost_total": cost, **kw}


STAYS = [
    # H1, 2024
    stay("s1", "H1", "D1", "A", "2024-01-10", 1000, 5, cost_western_drugs=100),
    stay("s2", "H1", "D1", "A", "2024-01-20", 3000, 10, disp="5", cost_western_drugs=300),
    stay("s3", "H1", "D2", "B", "2024-02-05", 2000, 4, cost_western_drugs=200, day_surgery=True),
    stay("s4", "H1", "D2", "B", "2024-02-15", 500, 2),
    # H2, 2024
    stay("s5", "H2", "D1", "C", "2024-03-01", 4000, 8),
    stay("s6", "H2", "D1", "C", "2024-03-02", 2000, 5),
    # H1, 2023
    stay("s7", "H1", "D1", "A", "2023-06-01", 1500, 5, cost_western_drugs=150),
]
DIAGNOSES = [
    {"stay_id": s, "seq": 0, "code": "I10.x00", "admission_condition": "1"} for s in
    ("s1", "s2", "s3", "s4", "s5", "s6", "s7")
] + [{"stay_id": "s3", "seq": 1, "code": "T81.401", "admission_condition": "4"}]
PROCEDURES = [
    {"stay_id": "s1", "seq": 0, "code": "36.1001", "procedure_kind": "1", "surgery_level": 4, "urgency": "1",
     "incision_class": "1", "healing_grade": "A"},
    {"stay_id": "s3", "seq": 0, "code": "51.2300", "procedure_kind": "1", "surgery_level": 2, "urgency": "1",
     "incision_class": "1", "healing_grade": "C"},
    {"stay_id": "s3", "seq": 1, "code": "88.0100", "procedure_kind": "2"},
    {"stay_id": "s5", "seq": 0, "code": "47.0100", "procedure_kind": "1", "surgery_level": 3, "urgency": "2",
     "incision_class": "2", "healing_grade": "A"},
]
HOSPITALS = [
    {"hospital_id": "H1", "name": "一院", "level": "3", "category": "general", "district": "X",
     "consortium_id": "K1", "consortium_role": "lead", "beds": 500},
    {"hospital_id": "H2", "name": "二院", "level": "2", "category": "general", "district": "X",
     "consortium_id": "K1", "consortium_role": "member", "beds": 200},
]
FACTS = [
    ("H1", "2024", "revenue_medical_service", 300.0), ("H1", "2024", "revenue_medical", 1000.0),
    ("H1", "2024", "expense_energy", 50.0), ("H1", "2024", "revenue_total", 2000.0),
    ("H1", "2024", "expense_business", 900.0), ("H1", "2023", "revenue_medical", 800.0),
    ("H1", "2024", "staff_doctors", 10.0), ("H1", "2024", "staff_nurses", 25.0),
    ("H2", "2024", "staff_doctors", 5.0), ("H2", "2024", "staff_nurses", 5.0),
    ("H1", "2024", "satisfaction_inpatient", 90.0), ("H2", "2024", "satisfaction_inpatient", 80.0),
    ("H1", "2024", "antibiotic_ddds", 8.4),
]
GROUPS = [
    ("s1", "G1"), ("s2", "G1"), ("s3", "G2"), ("s5", "G2"), ("s6", "G1"), ("s7", "G1"),
]


def build_warehouse(wh: Warehouse) -> Warehouse:
    wh.ensure_schema()
    wh.con.execute("DELETE FROM stays; DELETE FROM stay_diagnoses; DELETE FROM stay_procedures; "
                   "DELETE FROM hospitals; DELETE FROM hospital_facts")
    for name, rows in (("stays", STAYS), ("stay_diagnoses", DIAGNOSES), ("stay_procedures", PROCEDURES),
                       ("hospitals", HOSPITALS)):
        wh.con.register("_rows", _table(name, rows))
        wh.con.execute(f"INSERT INTO {name} SELECT * FROM _rows")
        wh.con.unregister("_rows")
    wh.con.executemany("INSERT INTO hospital_facts VALUES (?, ?, ?, ?)", FACTS)
    wh.con.execute("CREATE OR REPLACE TABLE stay_groups (stay_id VARCHAR, scheme VARCHAR, status VARCHAR, "
                   "reason VARCHAR, mdc VARCHAR, adrg VARCHAR, drg VARCHAR, drg_name VARCHAR, "
                   "cc_level VARCHAR, explanation VARCHAR)")
    rows = [(s, "chs-drg-1.1", "grouped", None, "F", g[:2], g, g, "none", "") for s, g in GROUPS]
    rows.append(("s4", "chs-drg-1.1", "ungroupable", "no principal", None, None, None, None, None, ""))
    wh.con.executemany("INSERT INTO stay_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    wh.con.execute("CREATE OR REPLACE TABLE drg_reference (scheme VARCHAR, version VARCHAR, drg VARCHAR, "
                   "n_stays BIGINT, n_trimmed BIGINT, relative_weight DOUBLE, mean_cost DOUBLE, mean_los DOUBLE, "
                   "mortality DOUBLE, risk_grade INTEGER)")
    wh.con.executemany("INSERT INTO drg_reference VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("chs-drg-1.1", "2024", "G1", 100, 0, 1.0, 2000.0, 5.0, 0.01, 1),
        ("chs-drg-1.1", "2024", "G2", 100, 0, 2.0, 4000.0, 8.0, 0.05, 2),
        # an older version that must be ignored
        ("chs-drg-1.1", "2023", "G1", 100, 0, 9.0, 9.0, 9.0, 0.9, 4),
    ])
    return wh

