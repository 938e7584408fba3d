"""Typed, immutable declarations of indicator sets, read from ``indicators/*.yaml``.

One YAML file per set (``indicators/<set>.yaml``); the shared vocabulary of stay flags and derived fields
lives in ``indicators/_fields.yaml``. This module only reads and validates; :mod:`hospeval.indicators.compile`
turns the declarations into Ibis expressions.

Examples
--------
>>> from hospeval.indicators.spec import load_set
>>> drg = load_set("drg")
>>> drg.indicator("drg_cmi").direction
'higher'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hospeval.errors import SchemaError
from hospeval.indicators import expr
from hospeval.model import metrics
from hospeval.paths import data_dir, read_yaml_mapping

AGGREGATES = ("count", "sum", "mean", "count_distinct", "min", "max", "fact")
BASES = ("stays", "procedures", "diagnoses")
DIRECTIONS = ("higher", "lower", "monitor", "qualitative")
DATA_SOURCES = ("front_page", "finance", "staff", "report", "survey", "platform", "grouper")
TRANSFORMS = ("growth",)
LEVELS = ("hospital", "dept", "doctor", "consortium", "district", "drg")
ROLLUPS = ("sum", "mean")


@dataclass(frozen=True)
class Measure:
    """One aggregate: ``agg`` of field ``of`` over ``base`` rows matching ``where``; or a fact expression.

    For ``agg: fact``, ``of`` is an expression over ``hospital_facts`` metrics (e.g.
    ``revenue_total - expense_business``), evaluated per hospital and period; above hospital level each
    metric is first rolled up with ``rollup`` (sum or mean) over the member hospitals.
    """

    agg: str
    base: str = "stays"
    of: str | None = None
    where: str | None = None
    rollup: str = "sum"

    @property
    def key(self) -> str:
        """Canonical text identifying the measure (equal measures share one computed column)."""
        if self.agg == "fact":
            return f"fact[{self.rollup}]({self.of})"
        return f"{self.agg}({self.base}.{self.of or '*'} | {self.where or 'all'})"

    @property
    def is_fact(self) -> bool:
        """True for a measure taken from ``hospital_facts``."""
        return self.agg == "fact"


@dataclass(frozen=True)
class Target:
    """A policy target, e.g. ``{op: ">=", value: 90}`` or ``{op: trend, value: rising}``."""

    op: str
    value: Any
    note: str = ""

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` meets a numeric target (None for trend targets or a missing value)."""
        if value is None or self.op not in (">=", "<=", ">", "<", "=="):
            return None
        v, t = float(value), float(self.value)
        return {">=": v >= t, "<=": v <= t, ">": v > t, "<": v < t, "==": v == t}[self.op]


@dataclass(frozen=True)
class Indicator:
    """One indicator of a set."""

    id: str
    name_zh: str
    name_en: str
    dimension: str
    numerator: Measure | None
    denominator: Measure | None
    unit: str
    direction: str
    data_source: str
    source_document: str
    scale: float = 1.0
    national_monitor: bool = False
    target: Target | None = None
    transform: str | None = None
    weight: float = 1.0
    shrink: bool = False
    expected: Measure | None = None
    number: str = ""
    subdimension: str = ""
    notes: str = ""
    levels: tuple[str, ...] | None = None  # where the indicator is evaluated (None = every level)

    def measures(self) -> list[Measure]:
        """Measures this indicator needs."""
        return [m for m in (self.numerator, self.denominator, self.expected) if m is not None]

    @property
    def computable(self) -> bool:
        """False for qualitative indicators declared without a formula."""
        return self.numerator is not None


@dataclass(frozen=True)
class IndicatorSet:
    """A versioned set of indicators (one YAML file)."""

    id: str
    version: str
    name_zh: str
    name_en: str
    source_documents: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    path: str = ""

    def indicator(self, indicator_id: str) -> Indicator:
        """Return one indicator by id."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise SchemaError(f"indicator set {self.id!r} has no indicator {indicator_id!r}", file=self.path)


@dataclass(frozen=True)
class Fields:
    """The shared vocabulary: derived fields of stays / procedures and per-stay flags."""

    stay_fields: dict[str, str] = field(default_factory=dict)
    procedure_fields: dict[str, str] = field(default_factory=dict)
    diagnosis_fields: dict[str, str] = field(default_factory=dict)
    stay_flags: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (from, where)


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "indicator file")


def known_metrics(folder: str | None = None) -> frozenset[str]:
    """Metrics an indicator may take from ``hospital_facts`` (the catalogue ``schema/metrics.yaml``)."""
    return frozenset(metrics())


def _measure(raw: Any, where: str) -> Measure | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: expected a mapping like {{agg: count, where: ...}}")
    if "fact" in raw:
        m = Measure(agg="fact", base="facts", of=str(raw["fact"]), rollup=raw.get("rollup", "sum"))
        if m.rollup not in ROLLUPS:
            raise SchemaError(f"{where}: rollup must be one of {ROLLUPS}")
        return m
    agg = raw.get("agg")
    if agg not in AGGREGATES:
        raise SchemaError(f"{where}: agg must be one of {AGGREGATES}, not {agg!r}")
    m = Measure(agg=agg, base=raw.get("base", "stays"), of=raw.get("of"), where=raw.get("where"))
    if m.base not in BASES:
        raise SchemaError(f"{where}: base must be one of {BASES}, not {m.base!r}")
    if agg != "count" and not m.of:
        raise SchemaError(f"{where}: agg {agg!r} needs a field 'of'")
    for text in (m.of, m.where):
        if text:
            expr.parse(text)
    return m


def _levels(raw: Any, where: str, path: Path) -> tuple[str, ...] | None:
    if raw is None:
        return None
    levels = tuple(raw)
    unknown = set(levels) - set(LEVELS)
    if unknown:
        raise SchemaError(f"{where}: unknown levels {sorted(unknown)}; choose from {LEVELS}", file=str(path),
                          field="levels")
    return levels


def _indicator(raw: dict[str, Any], path: Path, metric_names: frozenset[str],
               set_levels: tuple[str, ...] | None = None) -> Indicator:
    iid = raw.get("id")
    if not iid:
        raise SchemaError("indicator without id", file=str(path))
    here = f"indicator {iid}"
    try:
        target = Target(**raw["target"]) if raw.get("target") else None
    except TypeError as exc:
        raise SchemaError(f"{here}: bad target {raw['target']!r}", file=str(path)) from exc
    try:
        ind = Indicator(
            id=str(iid), name_zh=raw["name_zh"], name_en=raw["name_en"], dimension=raw["dimension"],
            numerator=_measure(raw.get("numerator"), f"{here} numerator"),
            denominator=_measure(raw.get("denominator"), f"{here} denominator"),
            expected=_measure(raw.get("expected"), f"{here} expected"),
            unit=raw.get("unit", ""), direction=raw["direction"], data_source=raw["data_source"],
            source_document=raw["source_document"], scale=float(raw.get("scale", 1)),
            national_monitor=bool(raw.get("national_monitor", False)), target=target,
            transform=raw.get("transform"), weight=float(raw.get("weight", 1)),
            shrink=bool(raw.get("shrink", False)), number=str(raw.get("number", "")),
            subdimension=raw.get("subdimension", ""), notes=raw.get("notes", ""),
            levels=_levels(raw.get("levels"), here, path) or set_levels,
        )
    except KeyError as exc:
        raise SchemaError(f"{here}: missing key {exc.args[0]!r}", file=str(path), field=exc.args[0]) from exc
    except SchemaError as exc:
        raise SchemaError(str(exc), file=str(path)) from exc
    _check(ind, path, metric_names)
    return ind


def _check(ind: Indicator, path: Path, metric_names: frozenset[str]) -> None:
    here = f"indicator {ind.id}"
    if ind.direction not in DIRECTIONS:
        raise SchemaError(f"{here}: direction must be one of {DIRECTIONS}", file=str(path), field="direction")
    if ind.data_source not in DATA_SOURCES:
        raise SchemaError(f"{here}: data_source must be one of {DATA_SOURCES}", file=str(path),
                          field="data_source")
    if ind.transform not in (None, *TRANSFORMS):
        raise SchemaError(f"{here}: transform must be one of {TRANSFORMS}", file=str(path), field="transform")
    if ind.numerator is None and ind.direction != "qualitative":
        raise SchemaError(f"{here}: only qualitative indicators may omit the numerator", file=str(path))
    for m in ind.measures():
        if m.is_fact:
            unknown = expr.names(expr.parse(m.of)) - metric_names
            if unknown:
                raise SchemaError(f"{here}: unknown hospital_facts metric(s) {sorted(unknown)}; add them to "
                                  "schema/metrics.yaml", file=str(path))


def load_set_file(path: Path) -> IndicatorSet:
    """Read and validate one indicator-set file."""
    doc = _read_yaml(path)
    metric_names = known_metrics(str(path.parent))
    set_levels = _levels(doc.get("levels"), "set", path)
    inds = tuple(_indicator(raw, path, metric_names, set_levels) for raw in doc.get("indicators") or [])
    ids = [i.id for i in inds]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SchemaError(f"duplicate indicator ids {sorted(dupes)}", file=str(path))
    try:
        return IndicatorSet(id=doc["set"], version=str(doc["version"]), name_zh=doc.get("name_zh", ""),
                            name_en=doc.get("name_en", ""),
                            source_documents=tuple(doc.get("source_documents", [])),
                            indicators=inds, path=str(path))
    except KeyError as exc:
        raise SchemaError(f"missing key {exc.args[0]!r}", file=str(path), field=exc.args[0]) from exc


def set_files(folder: Path | None = None) -> dict[str, Path]:
    """Indicator-set files by set id (file stem); files starting with ``_`` are vocabulary, not sets."""
    folder = folder or data_dir("indicators")
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if not p.name.startswith("_")}


def load_set(set_id: str, folder: Path | None = None) -> IndicatorSet:
    """Load one set by id."""
    files = set_files(folder)
    if set_id not in files:
        raise SchemaError(f"unknown indicator set {set_id!r}; available: {', '.join(files)}")
    return load_set_file(files[set_id])


def load_sets(set_ids: list[str] | tuple[str, ...] | None = None, folder: Path | None = None
              ) -> list[IndicatorSet]:
    """Load the named sets (all when ``None``)."""
    return [load_set(s, folder) for s in (set_ids or list(set_files(folder)))]


def load_fields(folder: Path | None = None) -> Fields:
    """Read the shared vocabulary ``_fields.yaml``."""
    path = (folder or data_dir("indicators")) / "_fields.yaml"
    doc = _read_yaml(path)
    flags = {}
    for name, raw in (doc.get("stay_flags") or {}).items():
        if raw.get("from") not in ("procedures", "diagnoses"):
            raise SchemaError(f"stay flag {name}: 'from' must be procedures or diagnoses", file=str(path))
        expr.parse(raw["where"])
        flags[name] = (raw["from"], raw["where"])
    return Fields(stay_fields=dict(doc.get("stay_fields") or {}),
                  procedure_fields=dict(doc.get("procedure_fields") or {}),
                  diagnosis_fields=dict(doc.get("diagnosis_fields") or {}),
                  stay_flags=flags)
