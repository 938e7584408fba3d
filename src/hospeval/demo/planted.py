"""Front-page errors planted on purpose, at each hospital's own rate and of its own kinds.

Every hospital makes some errors (0.3-2 % of its stays); one makes about 10 %, of every kind. The kinds
follow the 住院病案首页数据填写质量规范 checks the quality stage runs (see :data:`ERROR_KIND_FIELDS`).
Each planted error is returned as (stay index, kind index) so the truth can list it.
"""

from __future__ import annotations

import numpy as np

from hospeval.demo.costs import TOP
from hospeval.demo.roster import ERROR_KINDS
from hospeval.demo.stays import Batch
from hospeval.demo.world import World

# Front-page fields the 质量规范 requires but the canonical schema leaves nullable; a
# missing_mandatory_field error blanks one of them (the planted-error row names which).
MANDATORY_FIELDS = ("admission_count", "admission_route", "attending_doctor")
# kind -> (table, field) the error shows in (for missing_mandatory_field: the first of MANDATORY_FIELDS).
ERROR_KIND_FIELDS = {
    "missing_mandatory_field": ("stays", "admission_count"),
    "cost_sum_mismatch": ("stays", "cost_total"),
    "cost_subitem_exceeds_parent": ("stays", "cost_antibiotics"),
    "missing_external_cause": ("stays", "external_cause_code"),
    "missing_admission_condition": ("stay_diagnoses", "admission_condition"),
    "wrong_surgery_level": ("stay_procedures", "surgery_level"),
    "procedure_date_outside_stay": ("stay_procedures", "procedure_date"),
    "missing_receiving_institution": ("stays", "receiving_institution"),
    "missing_autopsy": ("stays", "autopsy"),
    "missing_birth_weight": ("stays", "birth_weight_g"),
    "los_mismatch": ("stays", "los_days"),
}
_K = {k: i for i, k in enumerate(ERROR_KINDS)}
# Categories that may be zeroed for a sum mismatch (no sub-items, so parents stay consistent).
_LEAF_TOP = [c for c in TOP if c not in ("cost_nonsurgical_treatment", "cost_surgical_treatment",
                                         "cost_western_drugs")]


def plant_errors(world: World, b: Batch, dx: dict[str, np.ndarray], px: dict[str, np.ndarray],
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Apply planted errors in place; return (stay index, kind index) of each."""
    h = b.hospital
    has_px = px["count"] > 0
    principal_px = np.where(has_px, px["first"], 0)
    graded = has_px & (px["level"][principal_px] > 0) if len(px["level"]) else np.zeros(b.n, bool)
    applicable = np.ones((b.n, len(ERROR_KINDS)), bool)
    applicable[:, _K["missing_external_cause"]] = b["external_cause"] >= 0
    applicable[:, _K["wrong_surgery_level"]] = graded
    applicable[:, _K["procedure_date_outside_stay"]] = has_px
    applicable[:, _K["missing_receiving_institution"]] = np.isin(b["disposition"], (2, 3))
    applicable[:, _K["missing_autopsy"]] = b["disposition"] == 5
    applicable[:, _K["missing_birth_weight"]] = b["newborn"]
    candidates = applicable & world.error_kinds[h]
    erroneous = (rng.random(b.n) < world.error_rate[h]) & candidates.any(axis=1)
    kind = np.argmax(rng.random((b.n, len(ERROR_KINDS))) * candidates, axis=1)
    stays = np.flatnonzero(erroneous)
    kinds = kind[stays]
    for name, k in _K.items():
        sel = stays[kinds == k]
        if len(sel):
            _APPLY[name](b, dx, px, sel, principal_px[sel], rng)
    return stays, kinds


def _missing_mandatory(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    choice = rng.integers(0, len(MANDATORY_FIELDS), len(sel))
    b["mandatory_field"][sel] = choice
    for j, name in enumerate(MANDATORY_FIELDS):
        b[f"{name}_valid"][sel[choice == j]] = False


def _cost_sum(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    leaves = np.stack([b[c][sel] for c in _LEAF_TOP], axis=1)
    biggest = np.argmax(leaves, axis=1)
    for j, name in enumerate(_LEAF_TOP):
        rows = sel[biggest == j]
        b[name][rows] = 0


def _subitem(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["cost_antibiotics"][sel] = b["cost_western_drugs"][sel] + rng.integers(1000, 50000, len(sel))


def _external_cause(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["external_cause"][sel] = -1


def _admission_condition(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    dx["condition_valid"][dx["first"][sel] + dx["count"][sel] - 1] = False


def _surgery_level(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    px["level"][ppx] = np.where(px["level"][ppx] >= 3, 1, 4)


def _procedure_date(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    px["date"][ppx] = b["discharge_date"][sel] + rng.integers(2, 6, len(sel)).astype("timedelta64[D]")


def _receiving(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["receiver_valid"][sel] = False


def _autopsy(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["autopsy"][sel] = 0


def _birth_weight(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["newborn_weight_valid"][sel] = False


def _los(b, dx, px, sel, ppx, rng):  # noqa: D103, ANN001, ANN202
    b["los"][sel] += rng.integers(1, 4, len(sel)).astype(b["los"].dtype)


_APPLY = {
    "missing_mandatory_field": _missing_mandatory, "cost_sum_mismatch": _cost_sum,
    "cost_subitem_exceeds_parent": _subitem, "missing_external_cause": _external_cause,
    "missing_admission_condition": _admission_condition, "wrong_surgery_level": _surgery_level,
    "procedure_date_outside_stay": _procedure_date, "missing_receiving_institution": _receiving,
    "missing_autopsy": _autopsy, "missing_birth_weight": _birth_weight, "los_mismatch": _los,
}
