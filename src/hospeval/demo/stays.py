"""One batch of demo stays, drawn with vectorised numpy (no Python loop per stay).

A :class:`Batch` holds the stays of the batch as numpy columns; :func:`draw_batch` fills it in clinical
order: hospital and case template, patient, calendar and length of stay, outcome, costs. The diagnosis and
procedure rows, the planted front-page errors and the Arrow conversion live in sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospeval.demo.costs import self_pay_share, split_costs
from hospeval.demo.templates import MCC, MEDICAL, NON_OR, SURGICAL
from hospeval.demo.world import World

DAY = np.timedelta64(1, "D")
# Payer mix (codes 1-9) for urban districts and for counties.
_PAYER_URBAN = np.array([0.46, 0.36, 0.0, 0.01, 0.02, 0.03, 0.09, 0.02, 0.01])
_PAYER_COUNTY = np.array([0.22, 0.60, 0.06, 0.03, 0.01, 0.01, 0.05, 0.01, 0.01])
EXTERNAL_CAUSES = np.array(["W19.x00", "V89.900", "W20.x00", "W01.x00", "X59.x00", "V43.500", "W18.x00"])
# ICD-O-3 morphology codes (adenocarcinoma, squamous cell, neoplasm NOS, ductal, carcinoma NOS, naevus)
# combined with the behaviour digit of the principal diagnosis.
MORPHOLOGY = np.array([f"M{m}/{b}" for m in ("8140", "8070", "8000", "8500", "8010", "8720") for b in range(4)])


@dataclass
class Batch:
    """Numpy columns of one batch of stays (index ``i`` = stay ``start + i`` of the run)."""

    start: int
    n: int
    hospital: np.ndarray = field(default=None)  # type: ignore[assignment]
    template: np.ndarray = field(default=None)  # type: ignore[assignment]
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = value


def draw_batch(world: World, start: int, n: int, rng: np.random.Generator) -> Batch:
    """Draw ``n`` stays (run indexes ``start .. start+n-1``)."""
    b = Batch(start, n)
    _cases(world, b, rng)
    _patients(world, b, rng)
    _calendar(world, b, rng)
    _outcomes(world, b, rng)
    _costs(world, b, rng)
    _staff_and_details(world, b, rng)
    return b


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def _cases(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Hospital by size, then case template from the hospital's case mix (one flat inverse-CDF lookup)."""
    b.hospital = _pick(world.hospital_cdf, rng.random(b.n)).astype(np.int32)
    n_templates = len(world.templates)
    flat = np.searchsorted(world.mix_cdf_flat, b.hospital + rng.random(b.n), side="right")
    b.template = np.clip(flat - b.hospital.astype(np.int64) * n_templates, 0, n_templates - 1).astype(np.int32)


def _patients(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Sex and age follow the template (no male pregnancy, newborns for MDC P); payer by district."""
    t, tpl = world.templates, b.template
    age0 = t.age_years[tpl].astype(np.int32)
    jitter = np.rint(rng.normal(0, 5, b.n)).astype(np.int32)
    lo = np.where(age0 >= 18, 18, np.where(age0 >= 1, 1, 0))
    hi = np.where(age0 >= 18, 98, np.where(age0 >= 1, 17, 0))
    lo = np.where(t.mdc[tpl] == "O", 18, lo)
    hi = np.where(t.mdc[tpl] == "O", 46, hi)
    b["age_years"] = np.clip(age0 + jitter, lo, hi)
    newborn = t.mdc[tpl] == "P"
    infant_days = np.where(newborn, rng.integers(0, 28, b.n), rng.integers(29, 365, b.n))
    b["infant_days"] = np.where(b["age_years"] == 0, infant_days, -1)
    b["sex"] = t.sex[tpl].astype(np.int8)
    weight = t.birth_weight_g[tpl].astype(np.int32)
    drawn = np.clip(rng.normal(3250, 420, b.n), 1800, 4800).astype(np.int32)
    weight = np.where(weight > 0, weight + rng.integers(-120, 121, b.n), drawn)
    b["newborn"] = (b["infant_days"] >= 0) & (b["infant_days"] <= 28)
    b["birth_weight"] = np.clip(weight, 500, 6000)
    u = rng.random(b.n)
    payer = np.where(world.urban[b.hospital], _pick(np.cumsum(_PAYER_URBAN), u * _PAYER_URBAN.sum()),
                     _pick(np.cumsum(_PAYER_COUNTY), u * _PAYER_COUNTY.sum())) + 1
    b["payer"] = np.where((b["age_years"] < 18) & (payer == 1), 2, payer).astype(np.int8)
    b["admission_count"] = rng.geometric(0.72, b.n).astype(np.int16)


def _calendar(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Discharge dates with the seasonal calendar; LOS lognormal by condition and hospital; day surgery."""
    t, tpl, h = world.templates, b.template, b.hospital
    respiratory = t.mdc[tpl] == "E"
    u = rng.random(b.n)
    day = np.where(respiratory, _pick(world.respiratory_day_cdf, u), _pick(world.day_cdf, u))
    b["discharge_date"] = world.first_day + day.astype("timedelta64[D]")
    expected = t.los_median[tpl] * world.los_factor[h]
    los = expected * np.exp(rng.normal(0, 0.42, b.n))
    los = np.where(rng.random(b.n) < 0.004, los * 4, los)
    day_surgery = t.day_surgery_eligible[tpl] & (rng.random(b.n) < world.day_surgery_rate[h])
    b["los"] = np.where(day_surgery, 1, np.clip(np.rint(los), 1, 180)).astype(np.int32)
    b["expected_los"] = expected
    b["day_surgery"] = day_surgery
    # Date difference: equals LOS, except same-day stays (diff 0, LOS counted 1).
    same_day = day_surgery & (rng.random(b.n) < 0.75) | (b["los"] == 1) & (rng.random(b.n) < 0.3)
    b["date_diff"] = np.where(same_day, 0, b["los"])
    b["admit_date"] = b["discharge_date"] - b["date_diff"].astype("timedelta64[D]")
    emergency_p = np.select([t.injury[tpl], t.kind[tpl] == MEDICAL, t.mdc[tpl] == "P"], [0.6, 0.32, 0.45], 0.15)
    u = rng.random(b.n)
    transfer_in_p = np.select([world.level[h] == 3, world.level[h] == 2], [0.04, 0.02], 0.05)
    route = np.select([u < emergency_p, u < emergency_p + transfer_in_p, u < emergency_p + transfer_in_p + 0.01],
                      [1, 3, 9], 2)
    b["admission_route"] = np.where(day_surgery, 2, route).astype(np.int8)
    hour_admit = np.where(b["admission_route"] == 1, rng.integers(0, 24, b.n), rng.integers(8, 17, b.n))
    hour_admit = np.where(same_day, np.minimum(hour_admit, 17), hour_admit)  # same-day stays end by 23:59
    minute = rng.integers(0, 60, (2, b.n))
    b["admit_time"] = (b["admit_date"].astype("datetime64[m]") + (hour_admit * 60 + minute[0]).astype("timedelta64[m]"))
    hour_out = np.where(same_day, hour_admit + rng.integers(3, 7, b.n), rng.integers(8, 18, b.n))
    b["discharge_time"] = b["discharge_date"].astype("datetime64[m]") + (hour_out * 60 + minute[1]).astype(
        "timedelta64[m]")


def _outcomes(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Death, leaving against advice, transfers up and down, ICU and ventilator hours."""
    t, tpl, h = world.templates, b.template, b.hospital
    risk = t.death_risk[tpl] * world.death_factor[h]
    planted = world.low_risk_death_factor[h] > 1
    low = t.low_risk[tpl]
    risk = np.where(planted & low, risk * world.low_risk_death_factor[h] + 0.03, risk)
    risk = np.where(b["day_surgery"], 0.0, np.minimum(risk, 0.9))
    severe = t.severity[tpl] == MCC
    up_p = np.select([world.level[h] == 1, world.level[h] == 2], [0.05, 0.02], 0.006) * np.where(severe, 2.5, 1.0)
    down_p = np.select([world.level[h] == 3, world.level[h] == 2], [0.03, 0.012], 0.0) * np.where(
        (b["age_years"] >= 65) & (t.kind[tpl] != NON_OR), 2.0, 0.6)
    against_p = 0.012 + 0.4 * risk
    u = rng.random(b.n)
    cut = np.cumsum(np.stack([risk, against_p, up_p, down_p, np.full(b.n, 0.004)]), axis=0)
    disposition = np.select([u < cut[0], u < cut[1], u < cut[2], u < cut[3], u < cut[4]], [5, 4, 2, 3, 9], 1)
    disposition = np.where(b["day_surgery"], np.where(disposition == 5, 1, disposition), disposition)
    b["disposition"] = disposition.astype(np.int8)
    dead = disposition == 5
    b["los"] = np.where(dead, np.maximum(1, np.rint(b["los"] * rng.uniform(0.2, 1.1, b.n))), b["los"]).astype(np.int32)
    b["date_diff"] = np.where(dead, b["los"], b["date_diff"])
    shift = (b["discharge_date"] - b["date_diff"].astype("timedelta64[D]")) - b["admit_date"]
    b["admit_date"] = b["admit_date"] + shift
    b["admit_time"] = b["admit_time"] + shift.astype("timedelta64[m]")
    b["receiver"] = np.where(disposition == 2, world.up_target[h],
                             world.down_target[h, rng.integers(0, 3, b.n)])
    surgical_l4 = (t.kind[tpl] == SURGICAL) & (t.surgery_level[tpl] == 4)
    icu_p = np.where(dead, 0.6, np.select([t.mdc[tpl] == "A", severe & surgical_l4, severe, t.severity[tpl] == 1],
                                          [0.9, 0.5, 0.22, 0.05], 0.008))
    icu_p = np.where((world.level[h] == 1) | b["day_surgery"], 0.0, icu_p)
    icu = rng.random(b.n) < icu_p
    hours = np.minimum(np.exp(rng.normal(np.log(40), 0.8, b.n)), b["los"] * 24.0)
    b["icu_hours"] = np.where(icu, np.round(hours, 1), 0.0)
    vent = icu & (rng.random(b.n) < np.where(dead, 0.7, 0.35))
    b["ventilator_hours"] = np.where(vent, np.round(b["icu_hours"] * rng.uniform(0.3, 0.9, b.n), 1), 0.0)


def _costs(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Total cost from the template's typical cost, the hospital's price and efficiency, the LOS; split."""
    t, tpl, h = world.templates, b.template, b.hospital
    elasticity = np.select([t.kind[tpl] == MEDICAL, t.kind[tpl] == SURGICAL], [0.6, 0.4], 0.5)
    los_ratio = np.where(b["day_surgery"], 1.0, b["los"] / b["expected_los"])
    cost = t.cost_median[tpl] * world.cost_factor[h] * los_ratio ** elasticity * np.exp(rng.normal(0, 0.2, b.n))
    cost = np.where(b["day_surgery"], cost * 0.7, cost) + b["icu_hours"] * 280.0 * world.cost_factor[h]
    cost = np.where(b["disposition"] == 5, cost * 1.3, cost)
    total = np.rint(np.maximum(cost, 300.0) * 100).astype(np.int64)
    b["cost_total"] = total
    parts = split_costs(total, t.kind[tpl], world.tcm[h], t.severity[tpl] == MCC, rng)
    for name, cents in parts.items():
        b[name] = cents
    b["cost_self_pay"] = np.floor(total * self_pay_share(b["payer"], rng)).astype(np.int64)


def _staff_and_details(world: World, b: Batch, rng: np.random.Generator) -> None:
    """Departments, doctors, external causes, pathology, autopsy, readmission plan."""
    t, tpl, h = world.templates, b.template, b.hospital
    depts = world.depts.to_pylist()
    tcm = depts.index("50")
    dept = np.where(world.tcm[h] & (rng.random(b.n) < 0.4), tcm, world.template_dept[tpl])
    dept = world.dept_map[h, dept]
    b["discharge_dept"] = dept.astype(np.int32)
    moved = rng.random(b.n) < 0.04
    b["admit_dept"] = np.where(moved, world.dept_map[h, depts.index("03")], dept).astype(np.int32)
    base = world.doctor_offset[h] + world.doctor_slot[h, dept].astype(np.int64) * world.doctors_per_dept[h]
    b["attending"] = base + rng.integers(0, world.doctors_per_dept[h])
    b["director"] = base
    b["external_cause"] = np.where(t.injury[tpl], rng.integers(0, len(EXTERNAL_CAUSES), b.n), -1)
    has_pathology = t.neoplasm[tpl] & (t.kind[tpl] == SURGICAL)
    morphology = rng.integers(0, len(MORPHOLOGY) // 4, b.n) * 4 + t.neoplasm_behaviour[tpl]
    b["pathology"] = np.where(has_pathology, morphology, -1)
    dead = b["disposition"] == 5
    b["autopsy"] = np.where(dead, np.where(rng.random(b.n) < 0.04, 1, 2), 0).astype(np.int8)
    plan_p = np.where(t.mdc[tpl] == "R", 0.45, 0.03)
    b["readmission_plan"] = np.where(rng.random(b.n) < plan_p, 2, 1).astype(np.int8)
    b["anaesthetist"] = h.astype(np.int64) * 8 + rng.integers(0, 8, b.n)
    b["urgent_surgery"] = b["admission_route"] == 1

