"""Typed, immutable declarations of the front-page quality rules (the *spec*), read from ``rules/*.yaml``.

Nothing here knows Ibis: :mod:`hospeval.quality.compile` turns these specs into expressions.

A rule is one catalogue row: a stable id, bilingual message and fix, severity, category, the fields it
reads, its source, an optional threshold, an optional ``when`` predicate (the rows it applies to) and one
*check*: a registered kind with its parameters (see :data:`CHECK_KINDS`).

Examples
--------
>>> from hospeval.quality.spec import load_catalogue
>>> catalogue = load_catalogue()
>>> catalogue.rule("FP-C001").severity
'error'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir

TABLES = ("stays", "stay_diagnoses", "stay_procedures")
SEVERITIES = ("error", "warning")
CATEGORIES = ("completeness", "validity", "consistency", "plausibility", "coding")
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")


# -- predicates (the ``when`` / ``expect`` mini-language) -------------------------------------------------
@dataclass(frozen=True)
class FieldIn:
    """``field`` (as text) is one of ``values``."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FieldCompare:
    """``field <op> value`` for a number or ``field <op> other`` for another field."""

    field: str
    op: str
    value: float | None = None
    other: str | None = None


@dataclass(frozen=True)
class FieldFilled:
    """``field`` is filled (not NULL, not blank) when ``filled``; missing otherwise."""

    field: str
    filled: bool = True


@dataclass(frozen=True)
class FieldPrefix:
    """``field`` is a code starting with one of ``prefixes`` (ranges such as ``O80-O84`` allowed)."""

    field: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class FieldInDictionary:
    """``field`` (a code) is listed in dictionary ``dictionary`` (see :mod:`hospeval.quality.reference`)."""

    field: str
    dictionary: str


@dataclass(frozen=True)
class RelatedExists:
    """The stay has a diagnosis / procedure row of ``scope`` matching ``prefixes`` and ``kinds``.

    Only usable in rules over ``stays``; compiled to one aggregate per related table.
    """

    related: str  # "stay_diagnoses" | "stay_procedures"
    scope: str = "any"  # "principal" (seq 0) | "other" (seq > 0) | "any"
    prefixes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # procedure_kind values (procedures only)


@dataclass(frozen=True)
class AllOf:
    """Every one of ``items`` holds."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``items`` holds."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class Not:
    """``item`` does not hold."""

    item: Predicate


Predicate = FieldIn | FieldCompare | FieldFilled | FieldPrefix | FieldInDictionary | RelatedExists | AllOf | AnyOf | Not


# -- checks -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One check: a registered ``kind`` and its parameters (validated by the kind's compiler)."""

    kind: str
    params: tuple[tuple[str, Any], ...]

    def get(self, name: str, default: Any = None) -> Any:
        """Parameter ``name`` or ``default``."""
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class Rule:
    """One front-page quality rule of the catalogue."""

    id: str
    table: str
    check: Check
    severity: str
    category: str
    fields: tuple[str, ...]
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    source: str
    when: Predicate | None = None
    threshold: tuple[tuple[str, float], ...] = ()
    deduction: float | None = None
    tags: tuple[str, ...] = ()

    def dictionaries(self) -> tuple[str, ...]:
        """Names of the reference dictionaries the rule needs (its check and its predicates)."""
        found: list[str] = []
        if self.check.get("dictionary"):
            found.append(self.check.get("dictionary"))
        for pred in (self.when, self.check.get("expect")):
            found.extend(_predicate_dictionaries(pred))
        return tuple(dict.fromkeys(found))


def _predicate_dictionaries(pred: Predicate | None) -> list[str]:
    if pred is None:
        return []
    if isinstance(pred, FieldInDictionary):
        return [pred.dictionary]
    if isinstance(pred, AllOf | AnyOf):
        return [d for item in pred.items for d in _predicate_dictionaries(item)]
    if isinstance(pred, Not):
        return _predicate_dictionaries(pred.item)
    return []


@dataclass(frozen=True)
class Catalogue:
    """The rule catalogue: version, rules in file order, and where it was read from."""

    version: str
    rules: tuple[Rule, ...]
    dictionaries: tuple[tuple[str, str], ...] = ()
    path: str = ""
    text: str = field(default="", compare=False, repr=False)

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with id ``rule_id``."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def for_table(self, table: str) -> tuple[Rule, ...]:
        """Rules evaluated over ``table``."""
        return tuple(r for r in self.rules if r.table == table)


# -- parsing ----------------------------------------------------------------------------------------------
def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_predicate(raw: Any, *, where: str) -> Predicate:
    """Turn one YAML predicate mapping into a :data:`Predicate`."""
    if not isinstance(raw, Mapping):
        raise SchemaError(f"predicate must be a mapping, got {raw!r}", file=where)
    if "all" in raw:
        return AllOf(tuple(parse_predicate(x, where=where) for x in raw["all"]))
    if "any" in raw:
        return AnyOf(tuple(parse_predicate(x, where=where) for x in raw["any"]))
    if "not" in raw:
        return Not(parse_predicate(raw["not"], where=where))
    for related, key in (("stay_diagnoses", "diagnosis"), ("stay_procedures", "procedure")):
        if key in raw:
            scope = str(raw[key])
            if scope not in ("principal", "other", "any"):
                raise SchemaError(f"{key} scope must be principal/other/any, got {scope!r}", file=where)
            return RelatedExists(related, scope, _tuple(raw.get("prefixes")), _tuple(raw.get("kinds")))
    if "field" not in raw:
        raise SchemaError(f"predicate needs 'field', 'all', 'any', 'not', 'diagnosis' or 'procedure': {raw!r}",
                          file=where)
    name = str(raw["field"])
    if "in" in raw:
        return FieldIn(name, _tuple(raw["in"]))
    if "prefixes" in raw:
        return FieldPrefix(name, _tuple(raw["prefixes"]))
    if "in_dictionary" in raw:
        return FieldInDictionary(name, str(raw["in_dictionary"]))
    if "filled" in raw:
        return FieldFilled(name, bool(raw["filled"]))
    if "op" in raw:
        if raw["op"] not in OPERATORS:
            raise SchemaError(f"unknown operator {raw['op']!r}", file=where, field=name)
        if "other" in raw:
            return FieldCompare(name, raw["op"], other=str(raw["other"]))
        return FieldCompare(name, raw["op"], value=float(raw["value"]))
    raise SchemaError(f"predicate on {name!r} needs in / prefixes / in_dictionary / filled / op", file=where)


_REQUIRED = ("id", "table", "check", "severity", "category", "fields", "message_zh", "message_en",
             "fix_zh", "fix_en", "source")


def parse_rule(raw: Mapping[str, Any], *, where: str) -> Rule:
    """Turn one YAML catalogue row into a :class:`Rule` (structure only; the compiler checks the kind)."""
    missing = [k for k in _REQUIRED if k not in raw]
    rid = raw.get("id", "?")
    if missing:
        raise SchemaError(f"rule {rid} lacks {', '.join(missing)}", file=where)
    if raw["table"] not in TABLES:
        raise SchemaError(f"rule {rid}: table must be one of {TABLES}", file=where, field="table")
    if raw["severity"] not in SEVERITIES:
        raise SchemaError(f"rule {rid}: severity must be one of {SEVERITIES}", file=where, field="severity")
    if raw["category"] not in CATEGORIES:
        raise SchemaError(f"rule {rid}: category must be one of {CATEGORIES}", file=where, field="category")
    if not isinstance(raw["check"], Mapping):
        raise SchemaError(f"rule {rid}: check must be a mapping with a 'kind'", file=where, field="check")
    check_raw = dict(raw["check"])
    kind = check_raw.pop("kind", None)
    if not kind:
        raise SchemaError(f"rule {rid}: check lacks 'kind'", file=where, field="check")
    for key in ("expect",):
        if key in check_raw:
            check_raw[key] = parse_predicate(check_raw[key], where=f"{where} ({rid}.check.{key})")
    params = tuple(sorted((k, _freeze(v)) for k, v in check_raw.items()))
    when = parse_predicate(raw["when"], where=f"{where} ({rid}.when)") if raw.get("when") else None
    threshold = tuple(sorted((str(k), float(v)) for k, v in (raw.get("threshold") or {}).items()))
    return Rule(
        id=str(rid), table=raw["table"], check=Check(str(kind), params), severity=raw["severity"],
        category=raw["category"], fields=_tuple(raw["fields"]), message_zh=raw["message_zh"],
        message_en=raw["message_en"], fix_zh=raw["fix_zh"], fix_en=raw["fix_en"], source=raw["source"],
        when=when, threshold=threshold,
        deduction=float(raw["deduction"]) if raw.get("deduction") is not None else None,
        tags=_tuple(raw.get("tags")),
    )


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def parse_catalogue(text: str, *, path: str = "<string>") -> Catalogue:
    """Parse catalogue YAML text; rule ids must be unique."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemaError(f"rule catalogue is not valid YAML: {exc}", file=path) from exc
    if not isinstance(doc, Mapping) or "rules" not in doc:
        raise SchemaError("a rule catalogue needs a top-level 'rules' list", file=path)
    if not all(isinstance(r, Mapping) for r in doc["rules"] or []):
        raise SchemaError("every rule must be a mapping", file=path)
    rules = tuple(parse_rule(r, where=path) for r in doc["rules"] or [])
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise SchemaError(f"duplicate rule id {rule.id}", file=path)
        seen.add(rule.id)
    dictionaries = tuple(sorted((str(k), str(v)) for k, v in (doc.get("dictionaries") or {}).items()))
    return Catalogue(version=str(doc.get("version", "0")), rules=rules, dictionaries=dictionaries,
                     path=path, text=text)


def default_catalogue_path() -> Path:
    """``rules/front_page.yaml`` in the data folder."""
    return data_dir("rules") / "front_page.yaml"


@cache
def _load(path: str) -> Catalogue:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SchemaError("rule catalogue not found", file=path) from exc
    return parse_catalogue(text, path=path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load the rule catalogue (default ``rules/front_page.yaml``)."""
    return _load(str(path or default_catalogue_path()))


# -- scoring ----------------------------------------------------------------------------------------------
INDICATOR_KINDS = ("clean_share", "grouped_share", "score_mean", "score_share_at_least")
POPULATIONS = ("all_stays", "stays_with_procedures")


@dataclass(frozen=True)
class RuleSelector:
    """Findings an indicator counts: all conditions given must hold (empty = any)."""

    ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    field_prefix: str | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    """One front-page quality indicator of ``quality_scores``."""

    id: str
    label_zh: str
    label_en: str
    kind: str
    population: str = "all_stays"
    rules: tuple[RuleSelector, ...] = ()
    threshold: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class ScoringSpec:
    """Indicators and the per-stay deduction table of the 100-point score."""

    version: str
    start: float
    floor: float
    deductions: tuple[tuple[str, str, float], ...]
    indicators: tuple[IndicatorSpec, ...]
    text: str = field(default="", compare=False, repr=False)

    def deduction(self, rule: Rule) -> float:
        """Points a stay loses for breaking ``rule`` (the rule's own value first)."""
        if rule.deduction is not None:
            return rule.deduction
        for severity, category, points in self.deductions:
            if severity == rule.severity and category == rule.category:
                return points
        return 0.0


def parse_scoring(text: str, *, path: str = "<string>") -> ScoringSpec:
    """Parse ``rules/scoring.yaml`` text."""
    doc = yaml.safe_load(text)
    score = doc.get("stay_score", {})
    deductions = tuple((str(sev), str(cat), float(points))
                       for sev, cats in (score.get("deductions") or {}).items() for cat, points in cats.items())
    indicators = []
    for raw in doc.get("indicators", []):
        if raw.get("kind") not in INDICATOR_KINDS:
            raise SchemaError(f"indicator {raw.get('id')}: kind must be one of {INDICATOR_KINDS}", file=path)
        if raw.get("population", "all_stays") not in POPULATIONS:
            raise SchemaError(f"indicator {raw.get('id')}: population must be one of {POPULATIONS}", file=path)
        selectors = tuple(RuleSelector(ids=_tuple(s.get("ids")), categories=_tuple(s.get("categories")),
                                       severities=_tuple(s.get("severities")), field_prefix=s.get("field_prefix"))
                          for s in raw.get("rules") or [])
        indicators.append(IndicatorSpec(
            id=str(raw["id"]), label_zh=raw["label_zh"], label_en=raw["label_en"], kind=raw["kind"],
            population=raw.get("population", "all_stays"), rules=selectors,
            threshold=float(raw["threshold"]) if raw.get("threshold") is not None else None,
            doc=str(raw.get("doc", "")).strip()))
    return ScoringSpec(version=str(doc.get("version", "0")), start=float(score.get("start", 100)),
                       floor=float(score.get("floor", 0)), deductions=deductions,
                       indicators=tuple(indicators), text=text)


def load_scoring(path: str | Path | None = None) -> ScoringSpec:
    """Load ``rules/scoring.yaml`` (or ``path``)."""
    p = Path(path or data_dir("rules") / "scoring.yaml")
    try:
        return parse_scoring(p.read_text(encoding="utf-8"), path=str(p))
    except FileNotFoundError as exc:
        raise SchemaError("scoring file not found", file=str(p)) from exc
