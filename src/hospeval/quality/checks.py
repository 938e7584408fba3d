"""Registered check kinds: each turns one rule's check into Ibis boolean expressions over a row table.

A kind is a plain function ``(rule, env) -> Compiled`` registered with :func:`kind`; it reads its
parameters from ``rule.check`` and the row table from ``env.t``. ``Compiled.violation`` is TRUE on the
rows that break the rule (never NULL); ``Compiled.applies`` marks the rows the rule is about (its
denominator); ``field`` and ``value`` say what to show a coder.

The ``when`` / ``expect`` predicates compile through :func:`predicate`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from hospeval.quality.spec import (
    AllOf,
    AnyOf,
    FieldCompare,
    FieldFilled,
    FieldIn,
    FieldInDictionary,
    FieldPrefix,
    Not,
    Predicate,
    RelatedExists,
    Rule,
)


class RuleCompileError(Exception):
    """A rule cannot be compiled (unknown kind, missing parameter or field); the rule gets status error."""


@dataclass
class Env:
    """What a kind may read: the row table, its name, and the helper columns prepared for it."""

    t: ir.Table
    table: str
    codesets: dict[str, dict[str, tuple[str, str]]]
    features: dict[RelatedExists, str] = field(default_factory=dict)
    lookups: dict[tuple[str, str], str] = field(default_factory=dict)
    duplicates: dict[tuple[str, ...], str] = field(default_factory=dict)
    display: bool = False  # compiling only to show field / value: helper columns are absent

    def col(self, name: str) -> ir.Column:
        """Column ``name`` of the row table, or :class:`RuleCompileError`."""
        if name not in self.t.columns:
            raise RuleCompileError(f"table {self.table} has no field {name!r}")
        return self.t[name]


@dataclass
class Compiled:
    """The expressions of one compiled rule."""

    violation: ir.BooleanValue
    field: ir.StringValue
    value: ir.StringValue
    applies: ir.BooleanValue | None = None


Kind = Callable[[Rule, Env], Compiled]
KINDS: dict[str, Kind] = {}
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}


def kind(name: str) -> Callable[[Kind], Kind]:
    """Register a check kind under ``name``."""

    def deco(fn: Kind) -> Kind:
        KINDS[name] = fn
        return fn

    return deco


# -- helpers ----------------------------------------------------------------------------------------------
def need(rule: Rule, name: str) -> object:
    """Parameter ``name`` of the rule's check, or :class:`RuleCompileError`."""
    value = rule.check.get(name)
    if value is None:
        raise RuleCompileError(f"check kind {rule.check.kind!r} needs parameter {name!r}")
    return value


def as_list(value: object) -> list[str]:
    """Return a parameter given as one name or a list of names as a list."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


@ibis.udf.scalar.builtin(name="trim")
def sql_trim(value: str) -> str:
    """Call SQL ``trim`` (spaces): far cheaper on DuckDB than Ibis' ``strip()``, and the same name on Spark."""


def filled(c: ir.Value) -> ir.BooleanValue:
    """Return TRUE when ``c`` holds a value (for text: not NULL, not empty, not only spaces)."""
    if c.type().is_string():
        return c.notnull() & (sql_trim(c) != "")
    return c.notnull()


def as_code(c: ir.Value) -> ir.StringValue:
    """``c`` as recorded, as text (no trimming: a code with spaces is not a valid code)."""
    return c if c.type().is_string() else c.cast("string")


def text(c: ir.Value) -> ir.StringValue:
    """``c`` as text, for the finding's ``value`` column."""
    return c.cast("string")


def norm_code(c: ir.Value) -> ir.StringValue:
    """Code for prefix matching: trimmed, upper case, dots removed."""
    return as_code(c).upper().replace(".", "")


def prefix_match(c: ir.Value, prefixes: tuple[str, ...] | list[str], *, normalised: bool = False,
                 head3: ir.StringValue | None = None) -> ir.BooleanValue:
    """Return TRUE when the code ``c`` starts with one prefix; ``A-B`` ranges compare the leading characters.

    ``O80-O84`` matches O80 .. O84.9; ``D07.0-D07.3`` matches D07.0 .. D07.3x; ``V01-Y98`` every external
    cause code. ``head3`` (the normalised code's first three characters, when the caller has it) turns the
    common three-character prefixes and ranges into short-string comparisons.
    """
    code = c if normalised else norm_code(c)
    terms = []
    exact3: list[str] = []
    for raw in prefixes:
        item = str(raw).upper().replace(".", "")
        if "-" in item:
            lo, hi = item.split("-", 1)
            head = head3 if head3 is not None and len(lo) == 3 else code.substr(0, len(lo))
            terms.append(head.between(lo, hi))
        elif head3 is not None and len(item) == 3:
            exact3.append(item)
        else:
            terms.append(code.startswith(item))
    if exact3:
        terms.append(head3.isin(exact3))
    if not terms:
        raise RuleCompileError("empty prefix list")
    out = terms[0]
    for term in terms[1:]:
        out = out | term
    return out


def first_failing_field(env: Env, checks: list[tuple[str, ir.BooleanValue]]) -> ir.StringValue:
    """Name of the first field whose check fails (for multi-field rules)."""
    if len(checks) == 1:
        return ibis.literal(checks[0][0])
    return ibis.cases(*[(bad, ibis.literal(name)) for name, bad in checks], else_=ibis.literal(checks[0][0]))


def first_failing_value(env: Env, checks: list[tuple[str, ir.BooleanValue]]) -> ir.StringValue:
    """Value of the first field whose check fails."""
    if len(checks) == 1:
        return text(env.col(checks[0][0]))
    return ibis.cases(*[(bad, text(env.col(name))) for name, bad in checks],
                      else_=text(env.col(checks[0][0])))


def any_of(items: list[ir.BooleanValue]) -> ir.BooleanValue:
    """OR of several conditions."""
    out = items[0]
    for item in items[1:]:
        out = out | item
    return out


def code_prefix(env: Env, name: str, prefixes: tuple[str, ...] | list[str]) -> ir.BooleanValue:
    """Prefix match on a code field, using the base's pre-normalised ``_norm_<field>`` column if present."""
    if f"_norm_{name}" in env.t.columns:
        head3 = env.t[f"_head3_{name}"] if f"_head3_{name}" in env.t.columns else None
        return prefix_match(env.t[f"_norm_{name}"], prefixes, normalised=True, head3=head3)
    return prefix_match(env.col(name), prefixes)


# -- predicates -------------------------------------------------------------------------------------------
def predicate(pred: Predicate, env: Env) -> ir.BooleanValue:
    """Compile a ``when`` / ``expect`` predicate.

    Membership tests (``in``, ``prefixes``, ``in_dictionary``, related rows) are FALSE on a missing value;
    a comparison with a missing value is NULL (unknown), which callers treat as not holding.
    """
    if isinstance(pred, FieldIn):
        return as_code(env.col(pred.field)).isin(list(pred.values)).fill_null(False)
    if isinstance(pred, FieldCompare):
        left = env.col(pred.field)
        right = env.col(pred.other) if pred.other else ibis.literal(pred.value)
        return _OPS[pred.op](left, right)
    if isinstance(pred, FieldFilled):
        ok = filled(env.col(pred.field))
        return ok if pred.filled else ~ok
    if isinstance(pred, FieldPrefix):
        return code_prefix(env, pred.field, pred.prefixes).fill_null(False)
    if isinstance(pred, FieldInDictionary | RelatedExists) and env.display:
        return ibis.literal(False)
    if isinstance(pred, FieldInDictionary):
        key = (pred.field, pred.dictionary)
        if key not in env.lookups:
            raise RuleCompileError(f"no look-up of {pred.field!r} in dictionary {pred.dictionary!r}")
        return env.t[env.lookups[key]].fill_null(False)
    if isinstance(pred, RelatedExists):
        if pred not in env.features:
            raise RuleCompileError(f"{pred.related} conditions are only available in rules over stays")
        return env.t[env.features[pred]].fill_null(False)
    if isinstance(pred, AllOf):
        parts = [predicate(p, env) for p in pred.items]
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out
    if isinstance(pred, AnyOf):
        return any_of([predicate(p, env) for p in pred.items])
    if isinstance(pred, Not):
        return ~predicate(pred.item, env)
    raise RuleCompileError(f"unknown predicate {pred!r}")


# -- kinds ------------------------------------------------------------------------------------------------
@kind("not_null")
def not_null(rule: Rule, env: Env) -> Compiled:
    """Every field in ``fields`` is filled (blank text counts as missing)."""
    names = as_list(need(rule, "fields"))
    checks = [(n, ~filled(env.col(n))) for n in names]
    return Compiled(any_of([c for _, c in checks]), first_failing_field(env, checks),
                    first_failing_value(env, checks))


@kind("conditional_required")
def conditional_required(rule: Rule, env: Env) -> Compiled:
    """``fields`` are filled on the rows where the rule's ``when`` holds."""
    if rule.when is None:
        raise RuleCompileError("conditional_required needs a 'when' predicate")
    return not_null(rule, env)


@kind("in_codeset")
def in_codeset(rule: Rule, env: Env) -> Compiled:
    """Check that a filled ``field`` holds a code of the schema code set ``codeset`` (schema/codes.yaml)."""
    name, codeset = str(need(rule, "field")), str(need(rule, "codeset"))
    if codeset not in env.codesets:
        raise RuleCompileError(f"unknown code set {codeset!r}")
    c = env.col(name)
    bad = filled(c) & ~as_code(c).isin(list(env.codesets[codeset]))
    return Compiled(bad, ibis.literal(name), text(c))


@kind("in_dictionary")
def in_dictionary(rule: Rule, env: Env) -> Compiled:
    """Check that a filled code ``field`` is listed in the reference dictionary ``dictionary``."""
    name, dictionary = str(need(rule, "field")), str(need(rule, "dictionary"))
    c = env.col(name)
    found = predicate(FieldInDictionary(name, dictionary), env)
    return Compiled(filled(c) & ~found, ibis.literal(name), text(c))


@kind("pattern")
def pattern(rule: Rule, env: Env) -> Compiled:
    """Check that a filled ``field`` matches the regular expression ``regex`` (anchor it with ^ and $)."""
    name, regex = str(need(rule, "field")), str(need(rule, "regex"))
    c = env.col(name)
    return Compiled(filled(c) & ~as_code(c).re_search(regex), ibis.literal(name), text(c))


@kind("range")
def value_range(rule: Rule, env: Env) -> Compiled:
    """Every filled field of ``fields`` lies in [``min``, ``max``] (either bound optional)."""
    names = as_list(need(rule, "fields"))
    lo, hi = rule.check.get("min"), rule.check.get("max")
    if lo is None and hi is None:
        raise RuleCompileError("range needs 'min' or 'max'")
    checks = []
    for n in names:
        c = env.col(n)
        bad = ibis.literal(False)
        if lo is not None:
            bad = bad | (c < lo)
        if hi is not None:
            bad = bad | (c > hi)
        checks.append((n, bad.fill_null(False)))
    return Compiled(any_of([c for _, c in checks]), first_failing_field(env, checks),
                    first_failing_value(env, checks))


@kind("compare_fields")
def compare_fields(rule: Rule, env: Env) -> Compiled:
    """``left <op> right * factor`` holds when both are filled; ``tolerance`` loosens < / <= / > / >=."""
    left, right = str(need(rule, "left")), str(need(rule, "right"))
    op = str(need(rule, "op"))
    if op not in _OPS:
        raise RuleCompileError(f"unknown operator {op!r}")
    tol = float(rule.check.get("tolerance", 0) or 0)
    factor = rule.check.get("factor")
    lc, rc = env.col(left), env.col(right)
    scaled = rc * float(factor) if factor is not None else rc
    shifted = scaled + tol if op in ("<", "<=") else (scaled - tol if op in (">", ">=") else scaled)
    ok = _OPS[op](lc, shifted)
    return Compiled((~ok).fill_null(False), ibis.literal(left), text(lc) + " / " + text(rc))


def _as_date(c: ir.Value) -> ir.Value:
    return c.date() if c.type().is_timestamp() else c


@kind("date_order")
def date_order(rule: Rule, env: Env) -> Compiled:
    """``earlier`` is not after ``later`` (compared as dates when either is a date)."""
    earlier, later = env.col(str(need(rule, "earlier"))), env.col(str(need(rule, "later")))
    if earlier.type().is_date() or later.type().is_date():
        earlier, later = _as_date(earlier), _as_date(later)
    bad = (earlier > later) if rule.check.get("allow_equal", True) else (earlier >= later)
    shown = str(rule.check.get("show", need(rule, "later")))
    return Compiled(bad.fill_null(False), ibis.literal(shown),
                    text(env.col(str(need(rule, "earlier")))) + " > " + text(env.col(str(need(rule, "later"))))
                    )


@kind("sum_equals")
def sum_equals(rule: Rule, env: Env) -> Compiled:
    """``total`` equals the sum of ``fields`` (missing parts count 0) within ``tolerance``."""
    total = env.col(str(need(rule, "total")))
    parts = [env.col(n).fill_null(0) for n in as_list(need(rule, "fields"))]
    tol = float(rule.check.get("tolerance", 0.01))
    summed = sum(parts[1:], parts[0])
    bad = ((total - summed).abs() > tol).fill_null(False)
    return Compiled(bad, ibis.literal(str(need(rule, "total"))), text(total) + " ≠ Σ " + text(summed))


@kind("sum_not_above")
def sum_not_above(rule: Rule, env: Env) -> Compiled:
    """Check that the sum of ``fields`` (sub-items) is not above ``limit`` (their parent) plus ``tolerance``."""
    limit_name = str(need(rule, "limit"))
    limit = env.col(limit_name).fill_null(0)
    parts = [env.col(n).fill_null(0) for n in as_list(need(rule, "fields"))]
    tol = float(rule.check.get("tolerance", 0.01))
    summed = sum(parts[1:], parts[0])
    return Compiled((summed > limit + tol).fill_null(False), ibis.literal(as_list(need(rule, "fields"))[0]),
                    text(summed) + " > " + text(limit))


@kind("expect")
def expect(rule: Rule, env: Env) -> Compiled:
    """On the rows where ``when`` holds, the ``expect`` predicate holds (unknown counts as not)."""
    ok = predicate(need(rule, "expect"), env).fill_null(False)
    name = rule.fields[0]
    shown = env.col(name) if name in env.t.columns else ibis.null("string")
    return Compiled(~ok, ibis.literal(name), text(shown))


@kind("requires_companion_code")
def requires_companion_code(rule: Rule, env: Env) -> Compiled:
    """When ``when`` holds (e.g. a delivery code O80-O84), a companion code is present (e.g. Z37)."""
    if rule.when is None:
        raise RuleCompileError("requires_companion_code needs a 'when' predicate")
    return expect(rule, env)


@kind("code_prefix_forbidden")
def code_prefix_forbidden(rule: Rule, env: Env) -> Compiled:
    """Check that the code ``field`` does not start with one of ``prefixes``."""
    name = str(need(rule, "field"))
    c = env.col(name)
    return Compiled(code_prefix(env, name, need(rule, "prefixes")).fill_null(False), ibis.literal(name), text(c))


@kind("sex_specific")
def sex_specific(rule: Rule, env: Env) -> Compiled:
    """Codes of ``prefixes`` only for patients of sex ``sex`` (unknown sex 0 / 9 not flagged)."""
    name, allowed = str(need(rule, "field")), str(need(rule, "sex"))
    c = env.col(name)
    sex = as_code(env.col("sex"))
    bad = code_prefix(env, name, need(rule, "prefixes")) & sex.isin(["1", "2"]) & (sex != allowed)
    return Compiled(bad.fill_null(False), ibis.literal(name), text(c) + " / sex=" + sex)


@kind("age_specific")
def age_specific(rule: Rule, env: Env) -> Compiled:
    """Codes of ``prefixes`` only for ages in [``min_days``, ``max_days``] (age in days, 1 year = 365)."""
    name = str(need(rule, "field"))
    c = env.col(name)
    age = env.col("age_in_days")
    lo, hi = rule.check.get("min_days"), rule.check.get("max_days")
    if lo is None and hi is None:
        raise RuleCompileError("age_specific needs 'min_days' or 'max_days'")
    out = ibis.literal(False)
    if lo is not None:
        out = out | (age < lo)
    if hi is not None:
        out = out | (age > hi)
    bad = code_prefix(env, name, need(rule, "prefixes")) & out
    return Compiled(bad.fill_null(False), ibis.literal(name), text(c) + " / age_days=" + text(age))


@kind("duplicate_key")
def duplicate_key(rule: Rule, env: Env) -> Compiled:
    """No two rows share the same filled ``keys`` (counted by one aggregate joined back, see compile)."""
    keys = tuple(as_list(need(rule, "keys")))
    if env.display:
        cols = [env.col(k) for k in keys]
        shown = text(cols[0])
        for c in cols[1:]:
            shown = shown + " | " + text(c)
        return Compiled(ibis.literal(False), ibis.literal(keys[-1]), shown)
    if keys not in env.duplicates:
        raise RuleCompileError(f"no duplicate count prepared for keys {keys}")
    cols = [env.col(k) for k in keys]
    shown = text(cols[0])
    for c in cols[1:]:
        shown = shown + " | " + text(c)
    return Compiled(env.t[env.duplicates[keys]].fill_null(False), ibis.literal(keys[-1]), shown)


@kind("los_matches_dates")
def los_matches_dates(rule: Rule, env: Env) -> Compiled:
    """``los`` equals date(``end``) - date(``start``), a same-day stay counting 1 (national convention)."""
    los = env.col(str(need(rule, "los")))
    start = _as_date(env.col(str(need(rule, "start"))))
    end = _as_date(env.col(str(need(rule, "end"))))
    days = end.delta(start, unit="day")
    expected = ibis.greatest(days, 1)
    return Compiled((los != expected).fill_null(False), ibis.literal(str(need(rule, "los"))),
                    text(los) + " ≠ " + text(expected))


@kind("age_matches_birth_date")
def age_matches_birth_date(rule: Rule, env: Env) -> Compiled:
    """``field`` (age in ``unit`` years or days) agrees with birth date and admission within ``tolerance``."""
    name = str(need(rule, "field"))
    unit = str(rule.check.get("unit", "years"))
    tol = float(rule.check.get("tolerance", 1))
    age = env.col(name)
    days = _as_date(env.col("admit_time")).delta(_as_date(env.col("birth_date")), unit="day")
    expected = (days / 365.25).floor() if unit == "years" else days
    return Compiled(((age - expected).abs() > tol).fill_null(False), ibis.literal(name),
                    text(age) + " ≠ " + text(expected))
