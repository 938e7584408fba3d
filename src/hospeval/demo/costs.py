"""Split each stay's total cost over the national front-page cost categories (住院费用分类).

Top-level categories add up to ``cost_total`` to the cent; the sub-items (临床物理治疗费 within 非手术治疗项目费,
麻醉费 + 手术费 within 手术治疗费, 抗菌药物费用 within 西药费) never exceed their parent.
"""

from __future__ import annotations

import numpy as np

from hospeval.demo.templates import MEDICAL, NON_OR, SURGICAL

TOP = ("cost_general_service", "cost_general_treatment", "cost_nursing", "cost_service_other", "cost_pathology",
       "cost_lab", "cost_imaging", "cost_clinical_diagnosis", "cost_nonsurgical_treatment",
       "cost_surgical_treatment", "cost_rehabilitation", "cost_tcm_treatment", "cost_western_drugs",
       "cost_chinese_patent_drugs", "cost_chinese_herbal_drugs", "cost_blood", "cost_albumin", "cost_globulin",
       "cost_coagulation_factor", "cost_cytokine", "cost_consumables_exam", "cost_consumables_treatment",
       "cost_consumables_surgery", "cost_other")
SUB_ITEMS = ("cost_physical_therapy", "cost_anaesthesia", "cost_surgery", "cost_antibiotics")
_IDX = {name: i for i, name in enumerate(TOP)}

# Typical shares (per cent of the total) by kind of case: medical, surgical, non-OR procedure.
_SHARES = {
    MEDICAL: [7, 5, 5, 2, 0.3, 14, 9, 4, 8, 0, 1, 1, 30, 3, 0.5, 0.5, 1, 0.3, 0.1, 0.2, 2, 5, 0, 3],
    SURGICAL: [5, 4, 4, 2, 1.5, 9, 6, 2, 3, 15, 0.5, 0.5, 20, 2, 0.2, 1, 1, 0.2, 0.1, 0.1, 1.5, 5, 17, 2],
    NON_OR: [6, 5, 4, 2, 0.5, 11, 8, 8, 10, 0, 0.5, 0.5, 22, 2, 0.2, 0.5, 1, 0.2, 0.1, 0.1, 4, 8, 4, 2.5],
}
# Probability that a stay has any cost in a category that many stays lack (blood products, TCM ...).
_PRESENCE = {"cost_pathology": 0.35, "cost_rehabilitation": 0.2, "cost_tcm_treatment": 0.3,
             "cost_chinese_herbal_drugs": 0.1, "cost_blood": 0.08, "cost_albumin": 0.12, "cost_globulin": 0.03,
             "cost_coagulation_factor": 0.01, "cost_cytokine": 0.03}
_TCM_PRESENCE = {"cost_tcm_treatment": 0.95, "cost_chinese_herbal_drugs": 0.8}
_TCM_BOOST = {"cost_tcm_treatment": 8.0, "cost_chinese_patent_drugs": 3.0, "cost_chinese_herbal_drugs": 10.0}


def split_costs(total_cents: np.ndarray, kind: np.ndarray, tcm: np.ndarray, severe: np.ndarray,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Return integer cents per category (top-level and sub-items) for each stay.

    Parameters
    ----------
    total_cents : numpy.ndarray
        Int64 cents of ``cost_total``.
    kind : numpy.ndarray
        Case kind per stay (medical / surgical / non-OR).
    tcm : numpy.ndarray
        True for stays of TCM hospitals (more TCM treatment and herbal drugs).
    severe : numpy.ndarray
        True for MCC stays (more blood products).
    rng : numpy.random.Generator
        The batch's random generator.
    """
    n = len(total_cents)
    base = np.array([_SHARES[k] for k in (MEDICAL, SURGICAL, NON_OR)], dtype=float)
    share = base[kind] * np.exp(rng.normal(0.0, 0.35, size=(n, len(TOP))))
    u = rng.random((n, len(_PRESENCE)))
    for j, (name, p) in enumerate(_PRESENCE.items()):
        prob = np.where(tcm, _TCM_PRESENCE.get(name, p), p) * np.where(severe & (name == "cost_blood"), 4.0, 1.0)
        share[:, _IDX[name]] *= u[:, j] < prob
    for name, boost in _TCM_BOOST.items():
        share[:, _IDX[name]] *= np.where(tcm, boost, 1.0)
    share /= share.sum(axis=1, keepdims=True)
    cents = np.floor(share * total_cents[:, None]).astype(np.int64)
    largest = np.argmax(cents, axis=1)
    cents[np.arange(n), largest] += total_cents - cents.sum(axis=1)
    out = {name: cents[:, i] for i, name in enumerate(TOP)}
    out.update(_sub_items(out, kind, rng))
    return out


def _sub_items(top: dict[str, np.ndarray], kind: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(kind)
    frac = rng.random((n, 4))
    surgical_treatment = top["cost_surgical_treatment"]
    anaesthesia = np.floor(surgical_treatment * (0.15 + 0.15 * frac[:, 1])).astype(np.int64)
    surgery = np.floor(surgical_treatment * (0.5 + 0.2 * frac[:, 2])).astype(np.int64)
    antibiotic_share = np.where(kind == SURGICAL, 0.05 + 0.25 * frac[:, 3], 0.15 * frac[:, 3])
    return {
        "cost_physical_therapy": np.floor(top["cost_nonsurgical_treatment"] * 0.3 * frac[:, 0]).astype(np.int64),
        "cost_anaesthesia": anaesthesia,
        "cost_surgery": surgery,
        "cost_antibiotics": np.floor(top["cost_western_drugs"] * antibiotic_share).astype(np.int64),
    }


def self_pay_share(payer: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Share of the total the patient pays, by payer code (1-9 as integers)."""
    lo = np.array([0, 0.12, 0.25, 0.30, 0.05, 1.0, 0.0, 1.0, 0.20, 0.30])
    hi = np.array([0, 0.25, 0.45, 0.50, 0.15, 1.0, 0.05, 1.0, 0.40, 1.00])
    return lo[payer] + (hi[payer] - lo[payer]) * rng.random(len(payer))
