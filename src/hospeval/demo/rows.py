"""Diagnosis and procedure rows of a batch (long format, seq 0 = principal), as numpy columns.

Each stay gets its template's codes in order; the row arrays are built with ``np.repeat`` over the
stays, so the work is proportional to the number of rows with no Python loop per stay.
"""

from __future__ import annotations

import numpy as np

from hospeval.demo.procedures import INTERVENTIONAL, SURGERY
from hospeval.demo.stays import Batch
from hospeval.demo.world import World

# Anaesthesia method codes (麻醉方式, CV06.00.103 as used on the front page): 1 general, 21 intraspinal,
# 3 local, 4 combined.
ANAESTHESIA = np.array(["1", "21", "3", "4"])
HEALING = np.array(["A", "B", "C", "X"])


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row -> stay index, row -> seq, and each stay's first row."""
    first = np.cumsum(counts) - counts
    stay = np.repeat(np.arange(len(counts)), counts)
    seq = np.arange(len(stay)) - first[stay]
    return stay, seq, first


def diagnosis_rows(world: World, b: Batch, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Diagnosis rows with the admission condition (入院病情) of every diagnosis."""
    t = world.templates
    counts = t.dx_count[b.template]
    stay, seq, first = _expand(counts)
    code = t.dx_code[t.dx_start[b.template][stay] + seq]
    u = rng.random(len(stay))
    principal = np.select([u < 0.92, u < 0.97], [1, 2], 3)
    other = np.select([u < 0.82, u < 0.85, u < 0.87], [1, 2, 3], 4)
    condition = np.where(seq == 0, principal, other).astype(np.int8)
    return {"stay": stay, "seq": seq.astype(np.int16), "code": code, "condition": condition,
            "condition_valid": np.ones(len(stay), bool), "first": first, "count": counts}


def procedure_rows(world: World, b: Batch, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Procedure rows: date within the stay, surgery level, incision and healing, anaesthesia, urgency."""
    t, tr = world.templates, world.traits
    counts = t.px_count[b.template]
    stay, seq, first = _expand(counts)
    entry = t.px_start[b.template][stay] + seq
    n = len(stay)
    kind, level = tr.kind[entry], tr.surgery_level[entry].copy()
    operative = (kind == SURGERY) | (kind == INTERVENTIONAL)
    diff = b["date_diff"][stay]
    urgent = b["urgent_surgery"][stay]
    principal_offset = np.where(urgent | b["day_surgery"][stay], 0, np.minimum(diff, rng.integers(1, 3, n)))
    offset = np.where((seq == 0) & operative, principal_offset, rng.integers(0, diff + 1))
    incision = tr.incision_class[entry].copy()
    incision = np.where((incision == 2) & (rng.random(n) < 0.03), 3, incision)
    u = rng.random(n)
    healing = np.where(incision > 0, np.select([u < 0.97, u < 0.99, u < 0.995], [0, 1, 2], 3),
                       np.where(incision == 0, 3, -1))
    anaesthesia = _anaesthesia(kind, level, world.templates.mdc[b.template][stay], rng.random(n))
    neoplasm = t.neoplasm[b.template][stay]
    urgency = np.where(urgent, 2, np.where(neoplasm & (rng.random(n) < 0.4), 3, 1))
    return {
        "stay": stay, "seq": seq.astype(np.int16), "code": t.px_code[entry], "kind": kind, "level": level,
        "date": b["admit_date"][stay] + offset.astype("timedelta64[D]"), "incision": incision,
        "healing": healing, "anaesthesia": anaesthesia, "urgency": np.where(operative, urgency, 0),
        "minimally_invasive": tr.minimally_invasive[entry], "operator": b["attending"][stay],
        "anaesthetist": b["anaesthetist"][stay], "first": first, "count": counts,
    }


def _anaesthesia(kind: np.ndarray, level: np.ndarray, mdc: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index into :data:`ANAESTHESIA` (-1 none): general for major operations, local for catheter work."""
    by_level = np.select([level >= 3, level == 2], [np.where(u < 0.9, 0, 3), np.select([u < 0.5, u < 0.9], [0, 1], 2)],
                         np.select([u < 0.6, u < 0.8], [2, 1], 0))
    surgery = np.where(mdc == "O", 1, by_level)
    return np.select([kind == SURGERY, kind == INTERVENTIONAL], [surgery, 2], -1)
