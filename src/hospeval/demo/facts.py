"""``hospital_facts`` of the demo province, consistent with the generated stays.

Finance report lines, staff, beds, visits, referrals, surveys and energy.

Per-hospital, per-month totals of the stays are accumulated batch by batch (:class:`StayTotals`), from
the true values before front-page errors are planted, as a finance department would report them. Facts are
derived from those totals: inpatient revenue is the stays' total cost, occupied bed days are their LOS
sum, beds follow from bed days and a typical occupancy, staff from beds, doctor:nurse about 1:1.5-1:2.2.
Annual lines ('YYYY') for the year and the year before, monthly lines ('YYYY-MM') for visits, bed days
and revenues, each month summing to the annual line.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from hospeval.demo.procedures import SURGERY
from hospeval.demo.roster import Hospital
from hospeval.demo.stays import Batch
from hospeval.demo.world import MONTH_WEIGHT, World
from hospeval.model import metrics, table_spec

_DRUGS = ("cost_western_drugs", "cost_chinese_patent_drugs", "cost_chinese_herbal_drugs")
_CONSUMABLES = ("cost_consumables_exam", "cost_consumables_treatment", "cost_consumables_surgery")
_EXAM_LAB = ("cost_pathology", "cost_lab", "cost_imaging", "cost_clinical_diagnosis")
_SERVICE = ("cost_general_service", "cost_general_treatment", "cost_nursing", "cost_nonsurgical_treatment",
            "cost_surgical_treatment", "cost_rehabilitation", "cost_tcm_treatment")
_INSURED_PAYERS = (1, 2, 3, 4, 6, 8)
TOTALS = ("stays", "los", "cost", "drugs", "consumables", "exam_lab", "service", "surgical_consumables",
          "insured", "elective_operations", "day_surgery", "deaths", "referred_down", "referred_up")
MONTHLY_METRICS = ("outpatient_visits", "emergency_visits", "bed_days_occupied", "revenue_inpatient",
                   "revenue_outpatient")


@dataclass
class StayTotals:
    """Running totals per hospital and discharge month (arrays ``[hospital, 12]``, yuan or counts)."""

    n_hospitals: int
    totals: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.totals = {k: np.zeros((self.n_hospitals, 12)) for k in TOTALS}

    def add(self, world: World, b: Batch, px: dict[str, np.ndarray]) -> None:
        """Add one batch (call before errors are planted)."""
        month = b["discharge_date"].astype("datetime64[M]").astype(np.int64) % 12
        cell = b.hospital.astype(np.int64) * 12 + month
        size = self.n_hospitals * 12
        principal = px["seq"] == 0
        operative = principal & (px["kind"] == SURGERY) & (px["urgency"] != 2)
        elective = np.zeros(b.n, bool)
        elective[px["stay"][operative]] = True
        level = world.level
        values = {
            "stays": np.ones(b.n), "los": b["los"], "cost": b["cost_total"] / 100,
            "drugs": sum(b[c] for c in _DRUGS) / 100, "consumables": sum(b[c] for c in _CONSUMABLES) / 100,
            "exam_lab": sum(b[c] for c in _EXAM_LAB) / 100, "service": sum(b[c] for c in _SERVICE) / 100,
            "surgical_consumables": b["cost_consumables_surgery"] / 100,
            "insured": np.where(np.isin(b["payer"], _INSURED_PAYERS), b["cost_total"] - b["cost_self_pay"], 0) / 100,
            "elective_operations": elective, "day_surgery": b["day_surgery"], "deaths": b["disposition"] == 5,
            "referred_down": b["disposition"] == 3,
            "referred_up": (b["disposition"] == 2) & (level[b["receiver"]] > level[b.hospital]),
        }
        for k, v in values.items():
            self.totals[k] += np.bincount(cell, weights=np.asarray(v, float), minlength=size).reshape(-1, 12)

    def annual(self, name: str) -> np.ndarray:
        """Yearly total per hospital."""
        return self.totals[name].sum(axis=1)


_LEVEL = {"3": 0, "2": 1, "1": 2}


def _by_level(h: Hospital, tertiary: float, secondary: float, primary: float) -> float:
    return (tertiary, secondary, primary)[_LEVEL[h.level]]


def _split_monthly(total: float, weights: np.ndarray, integer: bool) -> np.ndarray:
    """Split ``total`` over 12 months by weight; integer splits keep the exact total."""
    raw = total * weights / weights.sum()
    if not integer:
        return np.round(raw, 2)
    out = np.floor(raw)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: int(round(total - out.sum()))]] += 1
    return out


def hospital_metrics(h: Hospital, i: int, totals: StayTotals, days: int, rng: np.random.Generator,
                     consortium_lead: bool) -> dict[str, float]:
    """Annual metric values of one hospital for the generated year."""
    stays, los = totals.annual("stays")[i], totals.annual("los")[i]
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    occupancy = _by_level(h, 0.93, 0.86, 0.66) * u(0.95, 1.05)
    beds = max(3.0, float(np.ceil(los / (days * occupancy))))
    visit_ratio = _by_level(h, 14, 12, 55) * {"tcm": 1.5, "maternal_child": 0.9}.get(h.category, 1.0)
    outpatient = round(stays * visit_ratio * u(0.9, 1.1))
    emergency = round(outpatient * _by_level(h, 0.11, 0.09, 0.03) * (0.4 if h.category == "specialty" else 1))
    per_visit = _by_level(h, 420, 280, 120) * (0.85 if h.category == "tcm" else 1.0)
    rev_outpatient = round((outpatient + emergency) * per_visit * u(0.95, 1.05), 2)
    rev_inpatient = round(totals.annual("cost")[i], 2)
    medical = rev_inpatient + rev_outpatient
    out_drugs = rev_outpatient * _by_level(h, 0.40, 0.45, 0.55)
    techs = round(beds * _by_level(h, 1.6, 1.35, 1.9) * u(0.9, 1.1))
    doctors = round(techs * u(0.30, 0.35))
    nurses = min(round(doctors * u(1.5, 2.2)), techs - doctors)
    business = medical * u(0.92, 1.02)
    personnel = business * _by_level(h, 0.36, 0.40, 0.48) * u(0.9, 1.1)
    revenue_total = medical / u(0.86, 0.93)
    assets = revenue_total * u(1.1, 1.8)
    research = revenue_total * _by_level(h, u(0.003, 0.01), u(0, 0.001), 0)
    return {
        "revenue_total": revenue_total, "revenue_medical": medical, "revenue_outpatient": rev_outpatient,
        "revenue_inpatient": rev_inpatient, "revenue_outpatient_insurance": rev_outpatient * u(0.35, 0.55),
        "revenue_inpatient_insurance": totals.annual("insured")[i],
        "revenue_medical_service": totals.annual("service")[i] + rev_outpatient * u(0.15, 0.22),
        "revenue_drugs": totals.annual("drugs")[i] + out_drugs, "revenue_outpatient_drugs": out_drugs,
        "revenue_inpatient_drugs": totals.annual("drugs")[i],
        "revenue_consumables": totals.annual("consumables")[i] + rev_outpatient * 0.04,
        "revenue_high_value_consumables_monitored": totals.annual("surgical_consumables")[i] * u(0.3, 0.5),
        "revenue_exam_lab": totals.annual("exam_lab")[i] + rev_outpatient * u(0.25, 0.33),
        "expense_business": business, "expense_personnel": personnel,
        "expense_energy": beds * _by_level(h, 10500, 7500, 4500) * u(0.85, 1.15),
        "expense_training": personnel * u(0.005, 0.02), "assets_total": assets,
        "liabilities_total": assets * u(0.25, 0.55), "research_funding": research,
        "research_transfer_amount": research * u(0, 0.1),
        "staff_health_technicians": techs, "staff_doctors": doctors, "staff_nurses": nurses,
        "staff_pharmacists": round(techs * u(0.035, 0.05)),
        "staff_senior_title": round(techs * _by_level(h, 0.2, 0.12, 0.06) * u(0.85, 1.15)),
        "staff_doctors_shortage_specialties": round(doctors * (u(0.35, 0.5) if h.category == "tcm" else u(0.1, 0.2))),
        "beds_open": beds, "bed_days_open": beds * days, "bed_days_occupied": los,
        "outpatient_visits": outpatient, "emergency_visits": emergency,
        "outpatient_appointments": round(outpatient * _by_level(h, u(0.6, 0.8), u(0.4, 0.6), u(0.2, 0.4))),
        "referrals_down_outpatient": round(outpatient * (u(0.003, 0.01) if h.level == "3" or consortium_lead else 0)),
        "referrals_down_inpatient": totals.annual("referred_down")[i],
        "referrals_up": totals.annual("referred_up")[i] + (round(outpatient * u(0.002, 0.006)) if h.level != "3" else 0),
        "antibiotic_ddds": round(los * u(0.32, 0.45), 1), "elective_surgeries": totals.annual("elective_operations")[i],
        "satisfaction_outpatient": round(u(84, 93), 1), "satisfaction_inpatient": round(u(88, 95), 1),
        "satisfaction_staff": round(u(78, 90), 1),
        "emr_level": float(_by_level(h, rng.integers(4, 6), rng.integers(3, 5), rng.integers(1, 4))),
        "eqa_passed_items": float(_by_level(h, rng.integers(80, 141), rng.integers(30, 71), rng.integers(0, 16))),
        "doctors_sent_to_primary": round(doctors * (u(0.05, 0.12) if consortium_lead else 0.02 if h.level == "3" else 0)),
    }


def _previous_year(current: dict[str, float], rng: np.random.Generator) -> dict[str, float]:
    """Derive the year before: volumes and money about 6 % lower, scores a little lower, levels the same or one less."""
    growth = 1 + float(rng.normal(0.06, 0.04))
    out = {}
    for name, value in current.items():
        if name.startswith("satisfaction"):
            out[name] = round(value - float(rng.uniform(-0.5, 1.5)), 1)
        elif name in ("emr_level", "eqa_passed_items") or metrics()[name]["unit"] in ("level", "flag", "score"):
            out[name] = max(0.0, value - float(rng.integers(0, 2)))
        elif name in ("beds_open", "bed_days_open") or name.startswith("staff_"):
            out[name] = float(round(value / (1 + (growth - 1) / 2)))
        else:
            out[name] = _round_like(name, value / growth)
    return out


def _round_like(name: str, value: float) -> float:
    """Round money to cents, DDDs to one decimal and counts (persons, visits, beds ...) to whole numbers."""
    unit = metrics()[name]["unit"]
    return round(value, 2) if unit in ("yuan", "score") else round(value, 1) if unit == "ddd" else float(round(value))


def facts_table(world: World, totals: StayTotals, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
    """All ``hospital_facts`` rows and the beds per hospital."""
    year, days = world.year, 366 if calendar.isleap(world.year) else 365
    leads = {c.lead for c in world.consortia}
    catalogue = list(metrics())
    hid, period, metric, value = [], [], [], []
    beds = np.zeros(world.n_hospitals, np.int32)
    for i, h in enumerate(world.hospitals):
        current = hospital_metrics(h, i, totals, days, rng, h.hospital_id in leads)
        monthly = _monthly(current, totals, i)
        current.update({m: float(v.sum()) for m, v in monthly.items()})
        current["revenue_medical"] = current["revenue_inpatient"] + current["revenue_outpatient"]
        current.update(_appraisal_metrics(current, h, h.hospital_id in leads, rng))
        beds[i] = int(current["beds_open"])
        for label, values in ((str(year), current), (str(year - 1), _previous_year(current, rng))):
            for m in catalogue:
                hid.append(h.hospital_id), period.append(label), metric.append(m)
                value.append(round(float(values[m]), 2))
        for m, v in monthly.items():
            for month in range(12):
                hid.append(h.hospital_id), period.append(f"{year}-{month + 1:02d}"), metric.append(m)
                value.append(float(v[month]))
    schema = table_spec("hospital_facts").arrow_schema()
    return pa.table([pa.array(hid), pa.array(period), pa.array(metric), pa.array(value, pa.float64())],
                    schema=schema), beds


# Self-reported and platform metrics of the appraisal sets: metric -> (base metric or None for a constant,
# low, high). value = base x uniform(low, high); whole numbers unless the unit is money or a score.
APPRAISAL_METRICS: dict[str, tuple[str | None, float, float]] = {
    "special_service_revenue": ("revenue_medical", 0.005, 0.03),
    "single_disease_qc_score": (None, 70, 95),
    "large_equipment_exams": ("outpatient_visits", 0.02, 0.06),
    "large_equipment_positive": ("large_equipment_exams", 0.5, 0.8),
    "large_equipment_management_score": (None, 75, 98),
    "wards_total": ("beds_open", 0.022, 0.028),
    "wards_quality_nursing": ("wards_total", 0.6, 1.0),
    "prescriptions_total": ("outpatient_visits", 0.9, 1.1),
    "prescriptions_reviewed": ("prescriptions_total", 0.03, 0.15),
    "outpatient_prescription_visits": ("outpatient_visits", 0.6, 0.8),
    "outpatient_essential_drug_visits": ("outpatient_prescription_visits", 0.4, 0.7),
    "inpatient_essential_drug_stays": ("bed_days_occupied", 0.09, 0.12),
    "drug_varieties_purchased": (None, 300, 1500),
    "essential_drug_varieties_purchased": ("drug_varieties_purchased", 0.3, 0.6),
    "drug_purchase_amount": ("revenue_drugs", 0.85, 0.95),
    "essential_drug_purchase_amount": ("drug_purchase_amount", 0.2, 0.5),
    "vbp_comparable_drug_volume": ("antibiotic_ddds", 3, 6),
    "vbp_drug_volume_used": ("vbp_comparable_drug_volume", 0.5, 0.9),
    "vbp_drug_purchase_amount": ("drug_purchase_amount", 0.05, 0.15),
    "appointment_wait_minutes_mean": (None, 10, 45),
    "revenue_auxiliary_drugs": ("revenue_drugs", 0.02, 0.08),
    "revenue_key_monitored_drugs": ("revenue_drugs", 0.03, 0.1),
    "budget_management_score": (None, 70, 98),
    "chief_accountant_appointed": (None, 0, 1.6),
    "trainees_received": ("staff_doctors", 0.02, 0.15),
    "trainees_returned_independent": ("trainees_received", 0.6, 0.95),
    "residents_exam_takers": ("staff_doctors", 0.02, 0.08),
    "residents_exam_passed": ("residents_exam_takers", 0.6, 0.95),
    "public_credit_grade": (None, 80, 100),
    "eqa_provincial_items_required": (None, 80, 200),
    "eqa_provincial_items_participated": ("eqa_provincial_items_required", 0.85, 1.0),
    "eqa_provincial_items_passed": ("eqa_provincial_items_participated", 0.85, 1.0),
    "specialty_capability_index": (None, 0.5, 1.5),
    "key_specialties": ("staff_doctors", 0.0, 0.03),
    "patents_transferred": ("staff_doctors", 0.0, 0.02),
    "county_resident_visits_total": ("outpatient_visits", 1.5, 3.0),
    "county_resident_visits_in_county": ("county_resident_visits_total", 0.8, 0.95),
    "primary_care_visits": ("outpatient_visits", 0.5, 1.5),
    "total_care_visits_in_area": ("primary_care_visits", 1.8, 3.0),
    "insurance_fund_budget": ("revenue_inpatient_insurance", 1.2, 1.45),
    "insurance_fund_paid": ("revenue_inpatient_insurance", 1.15, 1.4),
    "public_health_tasks_score": (None, 70, 98),
    "smart_hospital_service_level": (None, 0, 4.99),
    "smart_hospital_management_level": (None, 0, 4.99),
    "specialists_sent_to_members": ("staff_doctors", 0.02, 0.08),
    "beds_shared_with_members": ("beds_open", 0.01, 0.05),
    "telemedicine_services": ("outpatient_visits", 0.001, 0.01),
}
_CONSORTIUM_LEAD_ONLY = ("specialists_sent_to_members", "beds_shared_with_members")


def _appraisal_metrics(current: dict[str, float], h: Hospital, is_lead: bool,
                       rng: np.random.Generator) -> dict[str, float]:
    """Plausible values for the appraisal metrics that front pages and finance lines do not give."""
    known = set(metrics())
    out: dict[str, float] = {}
    for name, (base, low, high) in APPRAISAL_METRICS.items():
        if name not in known:
            continue
        factor = float(rng.uniform(low, high))
        value = factor if base is None else factor * {**current, **out}.get(base, 0.0)
        if name in _CONSORTIUM_LEAD_ONLY and not is_lead:
            value = 0.0
        unit = metrics()[name]["unit"]
        out[name] = round(value, 2) if unit in ("yuan", "score", "index") else float(int(value))
    return out


def _monthly(current: dict[str, float], totals: StayTotals, i: int) -> dict[str, np.ndarray]:
    """Monthly lines; visits follow the seasonal calendar, bed days and inpatient revenue the stays."""
    return {
        "outpatient_visits": _split_monthly(current["outpatient_visits"], MONTH_WEIGHT, True),
        "emergency_visits": _split_monthly(current["emergency_visits"], MONTH_WEIGHT, True),
        "bed_days_occupied": totals.totals["los"][i].copy(),
        "revenue_inpatient": np.round(totals.totals["cost"][i], 2),
        "revenue_outpatient": _split_monthly(current["revenue_outpatient"], MONTH_WEIGHT, False),
    }
