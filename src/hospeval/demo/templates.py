"""Case templates: the real code combinations the demo stays are drawn from, with their clinical traits.

Each template is one record of ``demo_data/case_templates.csv`` (derived from the CHS-DRG 1.1 golden
sample, see that folder's README): sex, age, department, diagnosis and procedure codes and the MDC / ADRG /
DRG the reference grouper gives it. From the ADRG this module derives the *clinical world* the generator
samples from: the kind of case (ADRG second letter A-J surgical, K-Q non-OR procedure, R-Z medical), the
complication level (DRG last digit 1 = MCC, 3 = CC), a typical length of stay and cost, an in-hospital
death risk, the principal operation's surgery level and whether the case suits day surgery.

The per-ADRG factors come from a fixed random stream keyed by the ADRG code, so the clinical world is the
same for every generation seed; the seed only changes which stays are drawn.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from hospeval.paths import data_dir

MEDICAL, SURGICAL, NON_OR = 0, 1, 2
KIND_NAMES = {MEDICAL: "medical", SURGICAL: "surgical", NON_OR: "non_or"}
NO_CC, CC, MCC = 0, 1, 2

# Relative volume of an ADRG by MDC (deliveries, respiratory, circulatory and digestive cases dominate a
# real province's discharges; transplants and HIV are rare).
_MDC_VOLUME = {"A": 0.05, "B": 1.4, "C": 0.9, "D": 0.9, "E": 2.0, "F": 2.0, "G": 1.6, "H": 1.0, "I": 1.4,
               "J": 0.8, "K": 1.0, "L": 0.9, "M": 0.6, "N": 1.0, "O": 2.2, "P": 1.0, "Q": 0.3, "R": 1.3,
               "S": 0.3, "T": 0.4, "U": 0.3, "V": 0.4, "W": 0.2, "X": 0.5, "Y": 0.05, "Z": 0.2}
_KIND_VOLUME = {MEDICAL: 1.5, SURGICAL: 1.0, NON_OR: 0.7}
_SEVERITY_VOLUME = {NO_CC: 1.0, CC: 1.3, MCC: 0.9}
# Median length of stay (days) by kind and the multipliers of complication level and MDC.
_LOS_KIND = {MEDICAL: 6.5, SURGICAL: 8.0, NON_OR: 6.0}
_LOS_SEVERITY = {NO_CC: 1.0, CC: 1.25, MCC: 1.7}
_LOS_MDC = {"A": 2.5, "C": 0.55, "O": 0.55, "P": 0.9, "X": 0.8, "Z": 0.9}
# Cost per day (yuan) and fixed cost of the principal operation by surgery level.
_DAILY_COST = {MEDICAL: 950.0, SURGICAL: 1250.0, NON_OR: 1100.0}
_OPERATION_COST = {1: 2500.0, 2: 7000.0, 3: 16000.0, 4: 38000.0}
# In-hospital death risk by kind and complication level; MDC multipliers.
_DEATH_RISK = {(MEDICAL, NO_CC): 0.002, (MEDICAL, CC): 0.008, (MEDICAL, MCC): 0.035,
               (SURGICAL, NO_CC): 0.0005, (SURGICAL, CC): 0.003, (SURGICAL, MCC): 0.02,
               (NON_OR, NO_CC): 0.0015, (NON_OR, CC): 0.005, (NON_OR, MCC): 0.025}
_DEATH_MDC = {"A": 3.0, "B": 1.6, "C": 0.05, "E": 1.5, "F": 1.5, "M": 0.3, "N": 0.3, "O": 0.01, "P": 0.5,
              "R": 1.8, "T": 1.3, "W": 1.5, "X": 0.3, "Z": 0.2}
# Codes the 住院病案首页数据填写质量规范 does not allow as principal diagnosis; templates with one (and other
# records of the grouper test sample no front page would show) get no volume, so that the demo's only
# front-page errors are the planted ones.
_NOT_PRINCIPAL = ("Z37", "Z38", "B95", "B96", "B97", "T31", *(f"Z{n}" for n in range(85, 93)))
# Sex-specific ICD-10 categories (pregnancy, female / male genital organs and their neoplasms ...).
_FEMALE_ONLY = ("O", "N7", "N8", "N9", "C51", "C52", "C53", "C54", "C55", "C56", "C57", "C58", "D06", "D25",
                "D26", "D27", "D28", "D39", "E28", "Z32", "Z33", "Z34", "Z35", "Z36", "Z37", "Z39", "Q50", "Q51",
                "Q52")
_MALE_ONLY = ("N40", "N41", "N42", "N43", "N44", "N45", "N46", "N47", "N48", "N49", "N50", "N51", "C60", "C61",
              "C62", "C63", "D29", "D40", "E29", "Q53", "Q54", "Q55")
# Share of templates (by death risk) that form the "low-risk conditions" of the truth.
LOW_RISK_QUANTILE = 0.35


@dataclass(frozen=True)
class CaseTemplates:
    """Columnar case templates (one entry per template) and their flattened code lists.

    ``dx_start[t]:dx_start[t]+dx_count[t]`` indexes ``dx_code`` for template ``t`` (principal first);
    the same for procedures. Codes are stored as indexes into ``dx_codes`` / ``px_codes``.
    """

    template_id: np.ndarray
    mdc: np.ndarray
    adrg: np.ndarray
    drg: np.ndarray
    dept_code: np.ndarray
    sex: np.ndarray
    age_years: np.ndarray
    age_days: np.ndarray
    birth_weight_g: np.ndarray
    kind: np.ndarray
    severity: np.ndarray
    volume: np.ndarray
    los_median: np.ndarray
    cost_median: np.ndarray
    death_risk: np.ndarray
    low_risk: np.ndarray
    surgery_level: np.ndarray
    day_surgery_eligible: np.ndarray
    injury: np.ndarray
    neoplasm: np.ndarray
    neoplasm_behaviour: np.ndarray
    dx_start: np.ndarray
    dx_count: np.ndarray
    dx_code: np.ndarray
    px_start: np.ndarray
    px_count: np.ndarray
    px_code: np.ndarray
    dx_codes: np.ndarray
    px_codes: np.ndarray

    def __len__(self) -> int:
        return len(self.template_id)

    @property
    def relative_weight(self) -> np.ndarray:
        """Cost of the template relative to the volume-weighted mean (a CMI proxy)."""
        share = self.volume / self.volume.sum()
        return self.cost_median / float((share * self.cost_median).sum())

    def signature(self) -> np.ndarray:
        """Per template, the text ``dx1|dx2..#px1|px2..`` that identifies a stay's template."""
        out = []
        for t in range(len(self)):
            dx = self.dx_codes[self.dx_code[self.dx_start[t]:self.dx_start[t] + self.dx_count[t]]]
            px = self.px_codes[self.px_code[self.px_start[t]:self.px_start[t] + self.px_count[t]]]
            out.append("|".join(dx) + "#" + "|".join(px))
        return np.array(out, dtype=object)


@cache
def _adrg_factor(adrg: str, salt: str, sigma: float) -> float:
    """Return a lognormal factor fixed by the ADRG code (same for every generation seed)."""
    rng = np.random.default_rng(zlib.crc32(f"{adrg}:{salt}".encode()))
    return float(np.exp(rng.normal(0.0, sigma)))


def _kind(adrg: str) -> int:
    letter = adrg[1]
    if "A" <= letter <= "J":
        return SURGICAL
    if "K" <= letter <= "Q":
        return NON_OR
    return MEDICAL


def _severity(drg: str) -> int:
    return {"1": MCC, "3": CC}.get(drg[-1], NO_CC)


def _surgery_level(kind: int, mdc: str, complexity: float) -> int:
    if kind != SURGICAL:
        return 0
    if mdc == "A":
        return 4
    return int(1 + np.searchsorted([0.8, 1.0, 1.45], complexity))


def _codes(values: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    vocabulary = sorted({c for v in values for c in v})
    index = {c: i for i, c in enumerate(vocabulary)}
    count = np.array([len(v) for v in values], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    flat = np.array([index[c] for v in values for c in v], dtype=np.int32)
    return start, count, flat, np.array(vocabulary, dtype=object)


@cache
def load_templates() -> CaseTemplates:
    """Read ``demo_data/case_templates.csv`` and derive each template's clinical traits."""
    with open(data_dir("demo_data") / "case_templates.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    traits = [_traits(r) for r in rows]
    dx_start, dx_count, dx_code, dx_codes = _codes([r["diagnoses"].split("|") for r in rows])
    px_start, px_count, px_code, px_codes = _codes([[p for p in r["procedures"].split("|") if p] for r in rows])
    col = {k: np.array([t[k] for t in traits]) for k in traits[0]}
    risk = col["death_risk"]
    return CaseTemplates(
        template_id=np.array([r["template_id"] for r in rows], dtype=object),
        mdc=np.array([r["mdc"] for r in rows], dtype=object),
        adrg=np.array([r["adrg"] for r in rows], dtype=object),
        drg=np.array([r["drg"] for r in rows], dtype=object),
        dept_code=np.array([r["dept_code"] for r in rows], dtype=object),
        sex=col["sex"].astype(np.int8), age_years=col["age_years"].astype(np.int16),
        age_days=col["age_days"].astype(np.int16), birth_weight_g=col["birth_weight_g"].astype(np.int32),
        kind=col["kind"].astype(np.int8), severity=col["severity"].astype(np.int8),
        volume=col["volume"], los_median=col["los_median"], cost_median=col["cost_median"],
        death_risk=risk, low_risk=risk <= np.quantile(risk, LOW_RISK_QUANTILE),
        surgery_level=col["surgery_level"].astype(np.int8),
        day_surgery_eligible=col["day_surgery_eligible"].astype(bool),
        injury=col["injury"].astype(bool), neoplasm=col["neoplasm_behaviour"] >= 0,
        neoplasm_behaviour=col["neoplasm_behaviour"].astype(np.int8),
        dx_start=dx_start, dx_count=dx_count, dx_code=dx_code, px_start=px_start, px_count=px_count,
        px_code=px_code, dx_codes=dx_codes, px_codes=px_codes,
    )


def _traits(row: dict[str, str]) -> dict[str, float]:
    """Clinical traits of one template row."""
    mdc, adrg, drg = row["mdc"], row["adrg"], row["drg"]
    kind, severity = _kind(adrg), _severity(drg)
    principal = row["diagnoses"].split("|")[0]
    complexity = _adrg_factor(adrg, "complexity", 0.35)
    level = _surgery_level(kind, mdc, complexity)
    los = _LOS_KIND[kind] * _LOS_SEVERITY[severity] * _LOS_MDC.get(mdc, 1.0) * _adrg_factor(adrg, "los", 0.25)
    cost = _DAILY_COST[kind] * los * complexity + _OPERATION_COST.get(level, 0.0) * complexity
    if kind == NON_OR:
        cost += 3000.0 * complexity
    if mdc == "A":
        cost *= 3.0
    risk = 0.6 * _DEATH_RISK[(kind, severity)] * _DEATH_MDC.get(mdc, 1.0) * _adrg_factor(adrg, "death", 0.8)
    volume = (_MDC_VOLUME.get(mdc, 0.5) * _KIND_VOLUME[kind] * _SEVERITY_VOLUME[severity]
              * _adrg_factor(adrg, "volume", 1.0)) * _plausible_front_page(row["diagnoses"].split("|"), mdc)
    sex = _sex(row["diagnoses"].split("|"), mdc, int(row["sex"]))
    volume *= sex > 0
    sex = sex or int(row["sex"])
    age = int(row["age_years"])
    if mdc == "O":
        age = min(max(age, 20), 44)
    age_days = int(row["age_days"]) if row["age_days"].isdigit() and age == 0 else 0
    if mdc == "P":
        age, age_days = 0, min(age_days, 27)
    weight = int(row["birth_weight_g"]) if row["birth_weight_g"].isdigit() else 0
    return {
        "sex": sex, "age_years": age, "age_days": age_days, "birth_weight_g": weight,
        "kind": kind, "severity": severity, "volume": volume, "los_median": max(los, 1.5),
        "cost_median": cost, "death_risk": min(risk, 0.5), "surgery_level": level,
        "day_surgery_eligible": kind == SURGICAL and severity == NO_CC and level <= 3 and los <= 9.5
        and mdc not in ("A", "O", "P"),
        "injury": principal[0] in "ST", "neoplasm_behaviour": _neoplasm_behaviour(principal),
    }


def _sex(diagnoses: list[str], mdc: str, recorded: int) -> int:
    """Sex the diagnoses and MDC imply (1 male, 2 female), the recorded one if free, 0 if contradictory."""
    female = mdc in "NO" or any(c.startswith(_FEMALE_ONLY) for c in diagnoses)
    male = mdc == "M" or any(c.startswith(_MALE_ONLY) for c in diagnoses)
    if female and male:
        return 0
    return 2 if female else 1 if male else recorded


def _plausible_front_page(diagnoses: list[str], mdc: str) -> bool:
    """Tell whether a sample record could be a valid front page.

    Not when Z37/Z38 ... is the principal diagnosis, an outcome of delivery (Z37) appears outside a
    pregnancy stay, or a delivery (O80-O84) lacks its outcome.
    """
    principal = diagnoses[0]
    has_outcome = any(c.startswith("Z37") for c in diagnoses)
    if principal.startswith(_NOT_PRINCIPAL) or (has_outcome and mdc != "O"):
        return False
    return not (principal[:3] in ("O80", "O81", "O82", "O83", "O84") and not has_outcome)


def _neoplasm_behaviour(code: str) -> int:
    """ICD-O behaviour of a neoplasm principal diagnosis: 3 malignant, 2 in situ, 0 benign, 1 uncertain."""
    if code[0] == "C":
        return 3
    if code[0] == "D" and code[1:3].isdigit():
        block = int(code[1:3])
        return 2 if block <= 9 else 0 if block <= 36 else 1 if block <= 48 else -1
    return -1
