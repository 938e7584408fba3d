"""The generation world: everything fixed for one demo province that every batch of stays reads.

Templates, hospitals as arrays, the case-mix sampling table, calendars, identifier vocabularies.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hospeval.demo.procedures import ProcedureTraits, procedure_traits
from hospeval.demo.roster import ERROR_KINDS, Consortium, Hospital, case_mix_weights
from hospeval.demo.templates import CaseTemplates, load_templates

# Relative discharges by month: fewer around the Spring Festival (Feb) and National Day (Oct), a winter peak.
MONTH_WEIGHT = np.array([1.06, 0.80, 1.02, 1.00, 1.00, 0.97, 1.00, 1.01, 0.98, 0.90, 1.04, 1.12])
RESPIRATORY_MONTH_WEIGHT = np.array([1.5, 1.1, 1.1, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 0.9, 1.2, 1.6])
WEEKDAY_WEIGHT = np.array([1.1, 1.1, 1.1, 1.1, 1.15, 0.8, 0.55])  # Monday .. Sunday
EXTRA_DEPTS = ("02", "03", "0401", "20", "50")
DOCTORS_MAX = 6
ANAESTHETISTS = 8


@dataclass
class World:
    """Fixed inputs of a generation run."""

    seed: int
    year: int
    templates: CaseTemplates
    traits: ProcedureTraits
    hospitals: list[Hospital]
    consortia: list[Consortium]
    hospital_cdf: np.ndarray
    mix_cdf_flat: np.ndarray
    level: np.ndarray
    tcm: np.ndarray
    community: np.ndarray
    urban: np.ndarray
    los_factor: np.ndarray
    cost_factor: np.ndarray
    death_factor: np.ndarray
    low_risk_death_factor: np.ndarray
    day_surgery_rate: np.ndarray
    error_rate: np.ndarray
    error_kinds: np.ndarray
    up_target: np.ndarray
    down_target: np.ndarray
    hospital_ids: pa.Array
    hospital_names: pa.Array
    depts: pa.Array
    template_dept: np.ndarray
    doctor_slot: np.ndarray
    doctors_per_dept: np.ndarray
    doctor_ids: pa.Array
    anaesthetist_ids: pa.Array
    day_cdf: np.ndarray
    respiratory_day_cdf: np.ndarray
    first_day: np.datetime64

    @property
    def n_hospitals(self) -> int:
        """Number of hospitals."""
        return len(self.hospitals)


def build_world(seed: int, year: int, hospitals: list[Hospital], consortia: list[Consortium],
                rng: np.random.Generator) -> World:
    """Turn the roster into the arrays the batch generator indexes."""
    t = load_templates()
    mix = case_mix_weights(hospitals, t)
    cdf = np.cumsum(mix, axis=1)
    cdf[:, -1] = 1.0
    size = np.array([h.size for h in hospitals])
    hospital_cdf = np.cumsum(size / size.sum())
    hospital_cdf[-1] = 1.0
    depts = sorted(set(t.dept_code.tolist()) | set(EXTRA_DEPTS))
    dept_index = {d: i for i, d in enumerate(depts)}
    template_dept = np.array([dept_index[d] for d in t.dept_code], dtype=np.int32)
    dept_share = np.stack([np.bincount(template_dept, weights=row, minlength=len(depts)) for row in mix])
    dept_share[:, [dept_index[d] for d in EXTRA_DEPTS]] += 1e-3
    doctor_slot = np.argsort(np.argsort(-dept_share, axis=1, kind="stable"), axis=1).astype(np.int32)
    dpd = np.array([h.doctors_per_dept for h in hospitals], dtype=np.int32)
    up, down = _referral_targets(hospitals, consortia, rng)
    first = np.datetime64(f"{year}-01-01")
    return World(
        seed=seed, year=year, templates=t, traits=procedure_traits(), hospitals=hospitals, consortia=consortia,
        hospital_cdf=hospital_cdf, mix_cdf_flat=(cdf + np.arange(len(hospitals))[:, None]).ravel(),
        level=np.array([int(h.level) for h in hospitals], dtype=np.int8),
        tcm=np.array([h.category == "tcm" for h in hospitals]),
        community=np.array([h.category == "community" for h in hospitals]),
        urban=np.array([h.district.endswith("区") for h in hospitals]),
        los_factor=np.array([h.los_factor for h in hospitals]),
        cost_factor=np.array([h.cost_factor for h in hospitals]),
        death_factor=np.array([h.death_factor for h in hospitals]),
        low_risk_death_factor=np.array([h.low_risk_death_factor for h in hospitals]),
        day_surgery_rate=np.array([h.day_surgery_rate for h in hospitals]),
        error_rate=np.array([h.error_rate for h in hospitals]),
        error_kinds=np.array([[k in h.error_kinds for k in ERROR_KINDS] for h in hospitals]),
        up_target=up, down_target=down,
        hospital_ids=pa.array([h.hospital_id for h in hospitals], pa.string()),
        hospital_names=pa.array([h.name for h in hospitals], pa.string()),
        depts=pa.array(depts, pa.string()), template_dept=template_dept, doctor_slot=doctor_slot,
        doctors_per_dept=dpd, doctor_ids=_doctor_ids(hospitals, len(depts)),
        anaesthetist_ids=pa.array([f"{h.hospital_id}-A{k + 1:02d}" for h in hospitals for k in range(ANAESTHETISTS)]),
        day_cdf=_day_cdf(year, MONTH_WEIGHT), respiratory_day_cdf=_day_cdf(year, RESPIRATORY_MONTH_WEIGHT),
        first_day=first,
    )


def _doctor_ids(hospitals: list[Hospital], n_depts: int) -> pa.Array:
    """``H001-D017`` style ids; index ``(hospital * n_depts + slot) * DOCTORS_MAX + k``."""
    return pa.array([f"{h.hospital_id}-D{slot * h.doctors_per_dept + k + 1:03d}"
                     for h in hospitals for slot in range(n_depts) for k in range(DOCTORS_MAX)], pa.string())


def _day_cdf(year: int, month_weight: np.ndarray) -> np.ndarray:
    days = 366 if calendar.isleap(year) else 365
    dates = np.datetime64(f"{year}-01-01") + np.arange(days)
    months = dates.astype("datetime64[M]").astype(int) % 12
    weekday = (dates.astype(int) - 4) % 7  # 1970-01-01 was a Thursday
    w = month_weight[months] * WEEKDAY_WEIGHT[weekday]
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return cdf


def _referral_targets(hospitals: list[Hospital], consortia: list[Consortium],
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per hospital: where it transfers patients up (index) and three places it sends them down to."""
    index = {h.hospital_id: i for i, h in enumerate(hospitals)}
    tertiary = [i for i, h in enumerate(hospitals) if h.level == "3" and h.category == "general"]
    by_id = {c.consortium_id: c for c in consortia}
    up = np.empty(len(hospitals), np.int32)
    down = np.empty((len(hospitals), 3), np.int32)
    for i, h in enumerate(hospitals):
        c = by_id.get(h.consortium_id or "")
        lead = index[c.lead] if c else None
        up[i] = lead if lead is not None and lead != i else tertiary[int(rng.integers(len(tertiary)))]
        if up[i] == i:
            up[i] = tertiary[(tertiary.index(i) + 1) % len(tertiary)]
        local = [index[m] for m in (c.members if c else ()) if hospitals[index[m]].level == "1"]
        local = local or [j for j, o in enumerate(hospitals) if o.level == "1" and o.district == h.district]
        local = local or [j for j, o in enumerate(hospitals) if o.level == "1"]
        down[i] = rng.choice(local, size=3)
    return up, down
