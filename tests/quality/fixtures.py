"""Small front-page fixtures: one clean baseline stay and patches that break or keep one rule."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from hospeval.model import table_spec
from hospeval.warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures"
DICTIONARIES = {
    "icd10": FIXTURES / "icd10.csv",
    "icd9cm3": FIXTURES / "icd9cm3.csv",
    "surgery_level4": FIXTURES / "surgery_level4.csv",
}

BASE_STAY = {
    "hospital_id": "H1", "admission_count": 1, "payer": "1", "sex": "2",
    "birth_date": dt.date(1990, 5, 10), "age_years": 33, "age_days": None, "admission_route": "2",
    "admit_time": dt.datetime(2024, 3, 1, 8), "admit_dept": "03", "discharge_time": dt.datetime(2024, 3, 5, 10),
    "discharge_dept": "03", "los_days": 4, "attending_doctor": "Dr A", "director_doctor": "Dr B",
    "discharge_disposition": "1", "readmission_plan_31d": "1", "day_surgery": False, "icu_hours": 0.0,
    "ventilator_hours": 0.0, "cost_total": 4000, "cost_self_pay": 500, "cost_nursing": 200,
    "cost_western_drugs": 1000, "cost_antibiotics": 300, "cost_surgical_treatment": 2000,
    "cost_anaesthesia": 500, "cost_surgery": 1200, "cost_lab": 800,
}
BASE_DIAGNOSES = [
    {"code": "K35.800", "name": "急性阑尾炎", "admission_condition": "1"},
    {"code": "E11.900", "name": "2型糖尿病", "admission_condition": "1"},
]
BASE_PROCEDURE = {
    "code": "47.0100", "name": "腹腔镜阑尾切除术", "procedure_date": dt.date(2024, 3, 2), "surgery_level": 2,
    "operator": "Dr A", "incision_class": "2", "healing_grade": "A", "anaesthesia_method": "全身麻醉",
    "anaesthetist": "Dr C", "procedure_kind": "1", "urgency": "2", "minimally_invasive": True,
}


def build_stay(stay_id: str, patch: dict | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of one stay (stays, diagnoses, procedures): the baseline with ``patch`` applied.

    ``patch`` keys: ``stay`` (field overrides), ``dx`` / ``proc`` (lists replacing the rows, each merged onto
    the baseline row; ``seq`` defaults to the position), ``twin`` (overrides for a copy of the stay, which
    gets ``<stay_id>-twin`` unless ``stay_id`` is given; ``$self`` repeats the id).
    """
    patch = patch or {}
    stay = {**copy.deepcopy(BASE_STAY), "stay_id": stay_id, "patient_id": f"P-{stay_id}",
            **patch.get("stay", {})}
    dx_rows = patch.get("dx", BASE_DIAGNOSES)
    proc_rows = patch.get("proc", [{}])
    diagnoses = [{"stay_id": stay_id, "seq": i, "name": "诊断", "admission_condition": "1", **row}
                 for i, row in enumerate(dx_rows)]
    procedures = [{"stay_id": stay_id, "seq": i, **BASE_PROCEDURE, **row} for i, row in enumerate(proc_rows)]
    stays = [stay]
    if "twin" in patch:
        twin = {**stay, "stay_id": f"{stay_id}-twin", **(patch["twin"] or {})}
        if twin["stay_id"] == "$self":
            twin["stay_id"] = stay_id
        stays.append(twin)
    return stays, diagnoses, procedures


def _coerce(value: object, typ: pa.DataType) -> object:
    if value is not None and pa.types.is_decimal(typ):
        return Decimal(str(value))
    return value


def load(wh: Warehouse, stays: list[dict], diagnoses: list[dict], procedures: list[dict]) -> None:
    """Append rows to the canonical tables (missing columns are NULL)."""
    for name, rows in (("stays", stays), ("stay_diagnoses", diagnoses), ("stay_procedures", procedures)):
        if not rows:
            continue
        schema = table_spec(name).arrow_schema()
        data = {f.name: [_coerce(r.get(f.name), f.type) for r in rows] for f in schema}
        table = pa.Table.from_pydict(data, schema=schema)
        wh.con.register("__fixture", table)
        wh.con.execute(f'INSERT INTO "{name}" SELECT * FROM __fixture')
        wh.con.unregister("__fixture")


def warehouse_with(cases: dict[str, dict | None]) -> Warehouse:
    """In-memory warehouse holding one stay per case id."""
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    all_rows: tuple[list, list, list] = ([], [], [])
    for stay_id, patch in cases.items():
        for bucket, rows in zip(all_rows, build_stay(stay_id, patch), strict=True):
            bucket.extend(rows)
    load(wh, *all_rows)
    return wh
