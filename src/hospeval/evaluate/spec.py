"""Evaluation settings (``indicators/_evaluation.yaml``): grade bands, peer groups, pilot categories.

Examples
--------
>>> cfg = load_config()
>>> cfg.grade_for(99.5), cfg.grade_for(5)
('A++', 'D')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from hospeval.errors import SchemaError
from hospeval.indicators import expr
from hospeval.paths import data_dir

METHODS = ("national", "weighted", "entropy", "topsis", "rsr")


@dataclass(frozen=True)
class GradeBand:
    """A grade and the lowest peer percentile (100 = best) that earns it."""

    grade: str
    min_percentile: float


@dataclass(frozen=True)
class PilotCategory:
    """A pilot category: which hospitals (filter on ``hospitals``) and the set that ranks them."""

    id: str
    label_zh: str
    where: str
    indicator_set: str


@dataclass(frozen=True)
class EvaluationConfig:
    """All evaluation settings."""

    grades: tuple[GradeBand, ...]
    peer_group: tuple[str, ...]
    national_total_points: float
    pilot_categories: tuple[PilotCategory, ...]

    def grade_for(self, percentile: float) -> str:
        """Grade of a peer percentile."""
        for band in self.grades:
            if percentile >= band.min_percentile:
                return band.grade
        return self.grades[-1].grade

    def pilot_category(self, category_id: str) -> PilotCategory:
        """One pilot category by id."""
        for cat in self.pilot_categories:
            if cat.id == category_id:
                return cat
        raise SchemaError(f"unknown pilot category {category_id!r}")


def load_config(path: Path | None = None) -> EvaluationConfig:
    """Read and validate the evaluation settings."""
    path = path or data_dir("indicators") / "_evaluation.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        grades = tuple(sorted((GradeBand(g["grade"], float(g["min_percentile"])) for g in doc["grades"]),
                              key=lambda b: -b.min_percentile))
        cats = tuple(PilotCategory(id=k, label_zh=v.get("label_zh", k), where=v["where"],
                                   indicator_set=v["indicator_set"])
                     for k, v in (doc.get("pilot_categories") or {}).items())
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise SchemaError(f"bad evaluation settings: {exc}", file=str(path)) from exc
    if not grades or grades[-1].min_percentile > 0:
        raise SchemaError("grade bands must end with a band at min_percentile 0", file=str(path), field="grades")
    for cat in cats:
        expr.parse(cat.where)
    return EvaluationConfig(grades=grades, peer_group=tuple(doc.get("peer_group", ["level", "category"])),
                            national_total_points=float(doc.get("national_total_points", 1000)),
                            pilot_categories=cats)
