from __future__ import annotations

import pyarrow as pa
import pytest

from hospeval.group.engine import group_stays
from hospeval.group.records import RECORD_COLUMNS, records_to_canonical
from hospeval.group.spec import load_scheme
from hospeval.warehouse import Warehouse


def record(record_id: str, diagnoses: str, procedures: str = "", *, sex: str = "1", age_years: str = "50",
           age_days: str = "", birth_weight_g: str = "", dept_code: str = "0301", los_days: str = "7",
           discharge_status: str = "1") -> dict[str, str]:
    """One record in the reference layout (every field a string, as read from the file)."""
    return {"record_id": record_id, "sex": sex, "age_years": age_years, "age_days": age_days,
            "birth_weight_g": birth_weight_g, "dept_code": dept_code, "los_days": los_days,
            "discharge_status": discharge_status, "diagnoses": diagnoses, "procedures": procedures}


@pytest.fixture(scope="session")
def scheme():
    return load_scheme("chs-drg-1.1")


@pytest.fixture
def group_records(scheme):
    """Group records (dicts from :func:`record`) and return stay_groups rows keyed by record id."""
    def run(rows: list[dict[str, str]], code_policy: str = "exact") -> dict[str, dict]:
        data = pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})
        with Warehouse(":memory:") as wh:
            stays, dx, px = records_to_canonical(wh.scratch("_records", data))
            out = group_stays(wh, scheme, stays, dx, px, code_policy=code_policy).to_pyarrow()
        result = {r["stay_id"]: r for r in out.to_pylist()}
        assert len(result) == len(rows) == out.num_rows  # never dropped, never duplicated
        return result
    return run
