"""Traits of each procedure entry of the case templates.

Kind (手术 / 诊断性操作 / 治疗性操作 / 介入治疗), expected surgery level, minimally-invasive flag and incision class.

These are generation heuristics by ICD-9-CM-3 chapter, not a reference catalogue: the quality and
indicator stages judge surgery levels and minimally-invasive operations from their own code lists.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from hospeval.demo.templates import SURGICAL, CaseTemplates, load_templates

SURGERY, DIAGNOSTIC, THERAPEUTIC, INTERVENTIONAL = 1, 2, 3, 4
# ICD-9-CM-3 chapters 87-91 are imaging, lab and examinations; 92-99 other non-operative procedures.
_DIAGNOSTIC_CHAPTERS = {"87", "88", "89", "90", "91"}
_THERAPEUTIC_CHAPTERS = {"92", "93", "94", "95", "96", "97", "98", "99"}
# Catheter-based (interventional) procedures: PCI, stents, endovascular repair, embolisation.
_INTERVENTIONAL = ("00.66", "36.06", "36.07", "37.34", "39.7", "39.90", "00.45", "00.46", "00.47", "00.48",
                   "17.5", "37.90", "99.10")
_LEVEL_4_INTERVENTIONAL = ("00.66", "36.06", "36.07", "37.34", "39.7")
# Laparoscopic, thoracoscopic, arthroscopic and transurethral operations.
_MINIMALLY_INVASIVE = ("51.23", "47.01", "17.1", "17.2", "17.3", "53.42", "53.43", "68.41", "68.51", "68.61",
                       "68.71", "65.01", "65.25", "65.31", "65.41", "65.53", "65.63", "66.21", "66.22", "66.29",
                       "54.21", "45.81", "32.20", "32.25", "32.30", "32.41", "60.2", "57.4", "80.6", "80.2",
                       "81.82", "01.59x0", "07.6", "22.6", "28.2")
# Operations through natural orifices (transurethral, endoscopic, transvaginal): incision class 0.
_NATURAL_ORIFICE = ("60.2", "57.4", "45.3", "45.4", "42.33", "43.41", "51.85", "51.86", "51.88", "56.0", "56.2",
                    "68.12", "68.16", "69.0", "69.5", "21.3", "30.0", "28.2")
# MDCs where a share of the operations are done laparoscopically / thoracoscopically / arthroscopically.
_ENDOSCOPIC_MDCS = "EFGHIJKLMN"
# Incision class of open operations by MDC: clean (I) for eye, nervous system, bones, breast, heart,
# thyroid; clean-contaminated (II) for digestive, hepatobiliary, urinary, genital and obstetric surgery.
CLEAN_MDCS = "BCDFIJK"


@dataclass(frozen=True)
class ProcedureTraits:
    """Per flattened template-procedure entry (aligned with ``CaseTemplates.px_code``)."""

    kind: np.ndarray            # int8, 1-4
    surgery_level: np.ndarray   # int8, 0 = not graded
    minimally_invasive: np.ndarray  # int8: 1 yes, 0 no, -1 not applicable
    incision_class: np.ndarray  # int8: -1 not applicable, 0-3
    is_principal: np.ndarray    # bool


def _code_kind(code: str, template_kind: int) -> int:
    if code.startswith(_INTERVENTIONAL):
        return INTERVENTIONAL
    chapter = code[:2]
    if chapter in _DIAGNOSTIC_CHAPTERS:
        return DIAGNOSTIC
    if chapter in _THERAPEUTIC_CHAPTERS:
        return THERAPEUTIC
    return SURGERY if template_kind == SURGICAL else THERAPEUTIC


@cache
def procedure_traits() -> ProcedureTraits:
    """Traits of every procedure entry of :func:`load_templates` (computed once)."""
    return _traits(load_templates())


def _traits(t: CaseTemplates) -> ProcedureTraits:
    n = len(t.px_code)
    kind = np.zeros(n, np.int8)
    level = np.zeros(n, np.int8)
    mi = np.full(n, -1, np.int8)
    incision = np.full(n, -1, np.int8)
    principal = np.zeros(n, bool)
    for tpl in range(len(t)):
        first = int(t.px_start[tpl])
        for j in range(first, first + int(t.px_count[tpl])):
            code = str(t.px_codes[t.px_code[j]])
            k = _code_kind(code, int(t.kind[tpl]))
            kind[j], principal[j] = k, j == first
            if k == INTERVENTIONAL:
                level[j], mi[j], incision[j] = (4 if code.startswith(_LEVEL_4_INTERVENTIONAL) else 3), 1, 0
            elif k == SURGERY:
                expected = int(t.surgery_level[tpl]) or 2
                level[j] = expected if j == first else max(1, expected - 1)
                natural = code.startswith(_NATURAL_ORIFICE)
                scoped = t.mdc[tpl] in _ENDOSCOPIC_MDCS and zlib.crc32(code.encode()) % 100 < 25
                mi[j] = int(code.startswith(_MINIMALLY_INVASIVE) or natural or scoped)
                incision[j] = 0 if natural else (1 if t.mdc[tpl] in CLEAN_MDCS else 2)
    return ProcedureTraits(kind, level, mi, incision, principal)
