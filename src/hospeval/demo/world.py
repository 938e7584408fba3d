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
# Number of wards (clinical departments) by (level, category); a template's department outside them is
# mapped to the hospital's ward of the same specialty prefix, else to its largest ward.
WARDS = {("3", "general"): 18, ("3", "tcm"): 14, ("3", "specialty"): 5, ("3", "maternal_child"): 8,
         ("2", "general"): 12, ("2", "tcm"): 9, ("2", "maternal_child"): 6, ("1", "community"): 1}
DISCHARGES_PER_DOCTOR = 180
DOCTORS_MAX = 60
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
    dept_map: np.ndarray
    doctor_slot: np.ndarray
    doctors_per_dept: np.ndarray
    doctor_offset: np.ndarray
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
                rng: np.random.Generator, stays: int = 20_000) -> World:
    """Turn the roster into the arrays the batch generator indexes."""
    t = load_templates()
    mix = case_mix_weights(hospitals, t)
    cdf = np.cumsum(mix, axis=1)
    cdf[:, -1] = 1.0
    hospital_cdf = np.cumsum(hospital_share(hospitals))
    hospital_cdf[-1] = 1.0
    depts = sorted(set(t.dept_code.tolist()) | set(EXTRA_DEPTS))
    dept_index = {d: i for i, d in enumerate(depts)}
    template_dept = np.array([dept_index[d] for d in t.dept_code], dtype=np.int32)
    dept_share = np.stack([np.bincount(template_dept, weights=row, minlength=len(depts)) for row in mix])
    dept_map, doctor_slot, n_wards = _wards(hospitals, depts, dept_share)
    expected = stays * hospital_share(hospitals)
    dpd = np.clip(np.rint(expected / (n_wards * DISCHARGES_PER_DOCTOR)),
                  [h.doctors_per_dept for h in hospitals], DOCTORS_MAX).astype(np.int32)
    offset = np.concatenate([[0], np.cumsum(n_wards * dpd)[:-1]]).astype(np.int64)
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
        depts=pa.array(depts, pa.string()), template_dept=template_dept, dept_map=dept_map,
        doctor_slot=doctor_slot, doctors_per_dept=dpd, doctor_offset=offset,
        doctor_ids=_doctor_ids(hospitals, n_wards, dpd),
        anaesthetist_ids=pa.array([f"{h.hospital_id}-A{k + 1:02d}" for h in hospitals for k in range(ANAESTHETISTS)]),
        day_cdf=_day_cdf(year, MONTH_WEIGHT), respiratory_day_cdf=_day_cdf(year, RESPIRATORY_MONTH_WEIGHT),
        first_day=first,
    )


def hospital_share(hospitals: list[Hospital]) -> np.ndarray:
    """Return each hospital's expected share of the province's stays."""
    size = np.array([h.size for h in hospitals])
    return size / size.sum()


def _wards(hospitals: list[Hospital], depts: list[str], share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hospital its wards (largest departments of its case mix) and the mapping of every department to one.

    Returns ``dept_map[h, d]`` (ward index into ``depts``), ``slot[h, d]`` (ward rank within the hospital,
    -1 for non-wards) and the number of wards per hospital.
    """
    n_h, n_d = share.shape
    dept_map = np.zeros((n_h, n_d), np.int32)
    slot = np.full((n_h, n_d), -1, np.int32)
    n_wards = np.zeros(n_h, np.int64)
    for i, h in enumerate(hospitals):
        order = [int(d) for d in np.argsort(-share[i], kind="stable")]
        wards = order[: WARDS.get((h.level, h.category), 6)]
        if h.category == "community":
            wards = [depts.index("02")]
        elif h.category == "tcm" and depts.index("50") not in wards:
            wards = [*wards[:-1], depts.index("50")]
        for rank, d in enumerate(wards):
            slot[i, d] = rank
        n_wards[i] = len(wards)
        for d in range(n_d):
            same = [w for w in wards if depts[w][:2] == depts[d][:2]]
            dept_map[i, d] = d if d in wards else (same[0] if same else wards[0])
    return dept_map, slot, n_wards


def _doctor_ids(hospitals: list[Hospital], n_wards: np.ndarray, dpd: np.ndarray) -> pa.Array:
    """``H001-D017`` style ids; index ``doctor_offset[h] + slot * doctors_per_dept[h] + k``."""
    return pa.array([f"{h.hospital_id}-D{j + 1:03d}" for i, h in enumerate(hospitals)
                     for j in range(int(n_wards[i] * dpd[i]))], pa.string())


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
