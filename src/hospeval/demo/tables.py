"""Turn a drawn batch into Arrow tables with exactly the canonical schemas of ``schema/*.yaml``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hospeval.demo.arrowkit import concat_strings, decimal_from_cents, hex_ids, masked, take_strings
from hospeval.demo.costs import SUB_ITEMS, TOP
from hospeval.demo.planted import ERROR_KIND_FIELDS, MANDATORY_FIELDS
from hospeval.demo.roster import ERROR_KINDS
from hospeval.demo.rows import ANAESTHESIA, HEALING
from hospeval.demo.stays import EXTERNAL_CAUSES, MORPHOLOGY, Batch
from hospeval.demo.world import World
from hospeval.model import table_spec

DIGITS = pa.array([str(i) for i in range(10)], pa.string())
PLANTED_ERRORS_SCHEMA = pa.schema([("stay_id", pa.string()), ("hospital_id", pa.string()), ("kind", pa.string()),
                                   ("table_name", pa.string()), ("field", pa.string())])


def init_validity(b: Batch) -> None:
    """Initialise the validity masks of nullable columns that planted errors may blank."""
    for name in MANDATORY_FIELDS:
        b[f"{name}_valid"] = np.ones(b.n, bool)
    b["mandatory_field"] = np.full(b.n, -1, np.int8)
    b["receiver_valid"] = np.isin(b["disposition"], (2, 3))
    b["newborn_weight_valid"] = b["newborn"].copy()


def stay_ids(world: World, b: Batch) -> pa.Array:
    """``H001-<16 hex>``: hospital id and a seeded, collision-free hash of the run index."""
    index = np.arange(b.start, b.start + b.n, dtype=np.uint64)
    return concat_strings(world.hospital_ids.take(pa.array(b.hospital)), hex_ids(index, salt=world.seed * 7 + 1), "-")


def _birth_and_age(b: Batch, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Birth date consistent with the age; age recomputed from the dates."""
    admit = b["admit_date"]
    infant = b["infant_days"] >= 0
    alive = np.where(infant, b["infant_days"], np.floor(b["age_years"] * 365.25 + rng.integers(0, 364, b.n)))
    birth = admit - alive.astype("timedelta64[D]")
    years = admit.astype("datetime64[Y]").astype(int) - birth.astype("datetime64[Y]").astype(int)
    month_a, month_b = (admit.astype("datetime64[M]").astype(int) % 12, birth.astype("datetime64[M]").astype(int) % 12)
    day_a = (admit - admit.astype("datetime64[M]")).astype(int)
    day_b = (birth - birth.astype("datetime64[M]")).astype(int)
    before = (month_a < month_b) | ((month_a == month_b) & (day_a < day_b))
    return birth, (years - before).astype(np.int16)


def patient_ids(world: World, b: Batch, birth: np.ndarray, pool: int, rng: np.random.Generator) -> pa.Array:
    """Return a 32-hex keyed hash of (birth date, sex, one of ``pool`` people sharing them).

    Repeat patients are consistent in sex and birth date by construction.
    """
    k = rng.integers(0, pool, b.n).astype(np.uint64)
    days = (birth.astype(np.int64) + 200_000).astype(np.uint64)
    key = (days * np.uint64(4) + b["sex"].astype(np.uint64)) * np.uint64(pool) + k
    return hex_ids(key, words=2, salt=world.seed * 7 + 2)


def stays_table(world: World, b: Batch, ids: pa.Array, pool: int, rng: np.random.Generator) -> pa.Table:
    """Build the batch's ``stays`` rows."""
    birth, age = _birth_and_age(b, rng)
    infant = age == 0
    weight = b["birth_weight"]
    admit_weight = np.clip(weight + b["infant_days"].clip(0) * 25 - 120, 500, 9999)
    dead = b["disposition"] == 5
    cols = {
        "stay_id": ids,
        "hospital_id": world.hospital_ids.take(pa.array(b.hospital)),
        "patient_id": patient_ids(world, b, birth, pool, rng),
        "admission_count": masked(b["admission_count"], b["admission_count_valid"], pa.int16()),
        "payer": take_strings(DIGITS, b["payer"]),
        "sex": take_strings(DIGITS, b["sex"]),
        "birth_date": pa.array(birth, pa.date32()),
        "age_years": pa.array(age, pa.int16()),
        "age_days": masked((b["admit_date"] - birth).astype(np.int64).clip(0, 365), infant, pa.int16()),
        "birth_weight_g": masked(weight, b["newborn_weight_valid"], pa.int32()),
        "admission_weight_g": masked(admit_weight, b["newborn"], pa.int32()),
        "admission_route": take_strings(DIGITS, b["admission_route"], b["admission_route_valid"]),
        "admit_time": pa.array(b["admit_time"].astype("datetime64[us]"), pa.timestamp("us")),
        "admit_dept": world.depts.take(pa.array(b["admit_dept"])),
        "discharge_time": pa.array(b["discharge_time"].astype("datetime64[us]"), pa.timestamp("us")),
        "discharge_dept": world.depts.take(pa.array(b["discharge_dept"])),
        "los_days": pa.array(b["los"], pa.int32()),
        "attending_doctor": take_strings(world.doctor_ids, b["attending"], b["attending_doctor_valid"]),
        "director_doctor": world.doctor_ids.take(pa.array(b["director"])),
        "external_cause_code": take_strings(pa.array(EXTERNAL_CAUSES), b["external_cause"].clip(0),
                                            b["external_cause"] >= 0),
        "pathology_code": take_strings(pa.array(MORPHOLOGY), b["pathology"].clip(0), b["pathology"] >= 0),
        "discharge_disposition": take_strings(DIGITS, b["disposition"]),
        "receiving_institution": take_strings(world.hospital_names, b["receiver"], b["receiver_valid"]),
        "autopsy": take_strings(DIGITS, b["autopsy"], dead & (b["autopsy"] > 0)),
        "readmission_plan_31d": take_strings(DIGITS, b["readmission_plan"]),
        "day_surgery": pa.array(b["day_surgery"], pa.bool_()),
        "icu_hours": pa.array(b["icu_hours"], pa.float64()),
        "ventilator_hours": pa.array(b["ventilator_hours"], pa.float64()),
        "cost_total": decimal_from_cents(b["cost_total"]),
        "cost_self_pay": decimal_from_cents(b["cost_self_pay"]),
    }
    for name in (*TOP, *SUB_ITEMS):
        cols[name] = decimal_from_cents(b[name])
    cols["source_file"] = pa.array([f"demo:seed={world.seed}"]).take(pa.array(np.zeros(b.n, np.int32)))
    cols["source_row"] = pa.array(np.arange(b.start + 1, b.start + b.n + 1, dtype=np.int64))
    cols["load_id"] = pa.array([f"demo-{world.seed}-{world.year}"]).take(pa.array(np.zeros(b.n, np.int32)))
    schema = table_spec("stays").arrow_schema()
    return pa.table([cols[f.name] for f in schema], schema=schema)


def diagnoses_table(world: World, ids: pa.Array, dx: dict[str, np.ndarray]) -> pa.Table:
    """Build the batch's ``stay_diagnoses`` rows (names are left to the code dictionaries of the group stage)."""
    n = len(dx["stay"])
    cols = {
        "stay_id": ids.take(pa.array(dx["stay"])), "seq": pa.array(dx["seq"], pa.int16()),
        "code": pa.array(world.templates.dx_codes, pa.string()).take(pa.array(dx["code"])),
        "name": pa.nulls(n, pa.string()),
        "admission_condition": take_strings(DIGITS, dx["condition"], dx["condition_valid"]),
    }
    schema = table_spec("stay_diagnoses").arrow_schema()
    return pa.table([cols[f.name] for f in schema], schema=schema)


def procedures_table(world: World, ids: pa.Array, px: dict[str, np.ndarray]) -> pa.Table:
    """Build the batch's ``stay_procedures`` rows."""
    n = len(px["stay"])
    anaesthesia = px["anaesthesia"]
    with_anaesthetist = (anaesthesia == 0) | (anaesthesia == 1) | (anaesthesia == 3)
    cols = {
        "stay_id": ids.take(pa.array(px["stay"])), "seq": pa.array(px["seq"], pa.int16()),
        "code": pa.array(world.templates.px_codes, pa.string()).take(pa.array(px["code"])),
        "name": pa.nulls(n, pa.string()),
        "procedure_date": pa.array(px["date"], pa.date32()),
        "surgery_level": masked(px["level"], px["level"] > 0, pa.int8()),
        "operator": world.doctor_ids.take(pa.array(px["operator"])),
        "incision_class": take_strings(DIGITS, px["incision"].clip(0), px["incision"] >= 0),
        "healing_grade": take_strings(pa.array(HEALING), px["healing"].clip(0), px["healing"] >= 0),
        "anaesthesia_method": take_strings(pa.array(ANAESTHESIA), anaesthesia.clip(0), anaesthesia >= 0),
        "anaesthetist": take_strings(world.anaesthetist_ids, px["anaesthetist"], with_anaesthetist),
        "procedure_kind": take_strings(DIGITS, px["kind"]),
        "urgency": take_strings(DIGITS, px["urgency"], px["urgency"] > 0),
        "minimally_invasive": masked(px["minimally_invasive"] == 1, px["minimally_invasive"] >= 0, pa.bool_()),
    }
    schema = table_spec("stay_procedures").arrow_schema()
    return pa.table([cols[f.name] for f in schema], schema=schema)


def planted_errors_table(world: World, b: Batch, ids: pa.Array, stays: np.ndarray, kinds: np.ndarray) -> pa.Table:
    """One row per planted error: stay, hospital, kind and the table / field it shows in."""
    names = pa.array(ERROR_KINDS)
    tables = pa.array([ERROR_KIND_FIELDS[k][0] for k in ERROR_KINDS])
    fields = pa.array([ERROR_KIND_FIELDS[k][1] for k in ERROR_KINDS])
    k = pa.array(kinds.astype(np.int32))
    field = fields.take(k).to_numpy(zero_copy_only=False)
    mandatory = b["mandatory_field"][stays]
    field = np.where(mandatory >= 0, np.array(MANDATORY_FIELDS, dtype=object)[mandatory.clip(0)], field)
    return pa.table([ids.take(pa.array(stays)), world.hospital_ids.take(pa.array(b.hospital[stays])),
                     names.take(k), tables.take(k), pa.array(field, pa.string())], schema=PLANTED_ERRORS_SCHEMA)
