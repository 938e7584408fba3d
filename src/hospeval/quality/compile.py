"""Compile the rules of one table into a single scan (DQD style).

For each row table (``stays``, ``stay_diagnoses``, ``stay_procedures``) the compiler builds one *base*
expression: the table, the stay columns the rules read (sex, age, dates), one aggregate per related table
for the diagnosis / procedure conditions of stay rules, and one left join per dictionary look-up. Every
rule then becomes a boolean column expression over that base, and

* :meth:`TablePlan.findings` turns all of them into one list of violated rule numbers per row, unnested
  to one row per finding (only violating rows produce output);
* :meth:`TablePlan.denominators` counts per hospital the rows each rule applies to, in one aggregate.

Nothing here executes anything; :mod:`hospeval.quality.engine` runs the expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from hospeval.quality import checks
from hospeval.quality.checks import (
    Compiled,
    Env,
    RuleCompileError,
    as_list,
    norm_code,
    predicate,
    prefix_match,
)
from hospeval.quality.spec import (
    AllOf,
    AnyOf,
    FieldInDictionary,
    Not,
    Predicate,
    RelatedExists,
    Rule,
)

# Stay columns joined onto diagnosis / procedure rows so their rules can read them.
STAY_CONTEXT = ("hospital_id", "discharge_dept", "sex", "age_years", "age_days", "birth_date",
                "admit_time", "discharge_time")


@dataclass
class CompiledRule:
    """A rule, its number in the run, and its expressions over the table's base."""

    rule: Rule
    number: int
    expr: Compiled

    @property
    def violation(self) -> ir.BooleanValue:
        """TRUE on the rows that break the rule and that it applies to."""
        if self.expr.applies is None:
            return self.expr.violation
        return self.expr.applies & self.expr.violation


@dataclass
class TablePlan:
    """The compiled rules of one table over its base expression."""

    table: str
    base: ir.Table
    env: Env
    display: ir.Table  # the rows with their stay context only: what findings show
    rules: list[CompiledRule] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Columns identifying a row of the table (a stay, or a diagnosis / procedure of a stay)."""
        return ["stay_id"] if self.table == "stays" else ["stay_id", "seq"]

    def flags(self) -> ir.Table:
        """Build the compiled scan: per row its keys, hospital, and one boolean column per rule.

        ``v<n>`` is TRUE where rule ``n`` is violated; ``a<n>`` (rules with a condition only) where it applies.
        """
        cols: dict[str, ir.Value] = {k: self.base[k] for k in self.keys}
        cols["hospital_id"] = self.base.hospital_id
        for cr in self.rules:
            cols[f"v{cr.number}"] = cr.violation
            if cr.expr.applies is not None:
                cols[f"a{cr.number}"] = cr.expr.applies
        return self.base.select(**cols)

    def hits(self, flags: ir.Table) -> ir.Table:
        """One row per (row, violated rule): the keys, hospital_id and rule_number, read from ``flags``.

        ``flags`` is the materialised :meth:`flags`; each rule's part only scans its own boolean column.
        """
        parts = [flags.filter(flags[f"v{cr.number}"]).select(
                     *self.keys, "hospital_id", rule_number=ibis.literal(cr.number, "int32"))
                 for cr in self.rules]
        return parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]

    def hits_exploded(self, flags: ir.Table) -> ir.Table:
        """Same rows as :meth:`hits` from one pass: per row the array of its violated rule numbers, exploded.

        Engines that plan each part of a union separately (Spark) run this one scan much faster.
        """
        none = ibis.null("int32")
        numbers = ibis.array([ibis.ifelse(flags[f"v{cr.number}"], ibis.literal(cr.number, "int32"), none)
                              for cr in self.rules])
        rows = flags.select(*self.keys, "hospital_id", rule_number=numbers.filter(lambda n: n.notnull()))
        return rows.unnest("rule_number")

    def findings(self, hits: ir.Table) -> ir.Table:
        """Join the materialised :meth:`hits` back to their rows: stay_id, hospital_id, rule_number, field, value."""
        hits = hits.rename(**{f"_k_{k}": k for k in self.keys})
        shown = self.display.drop("hospital_id")
        joined = hits.inner_join(shown, [hits[f"_k_{k}"] == shown[k] for k in self.keys])
        env = Env(joined, self.table, self.env.codesets, display=True)
        fields, values = [], []
        for cr in self.rules:
            again = _compile_rule(cr.rule, env)
            hit = joined.rule_number == cr.number
            fields.append((hit, self._field_label(joined, again.field)))
            values.append((hit, again.value))
        return joined.select(
            stay_id=joined._k_stay_id,
            hospital_id=joined.hospital_id,
            rule_number=joined.rule_number,
            field=ibis.cases(*fields, else_=ibis.null("string")),
            value=ibis.cases(*values, else_=ibis.null("string")).substr(0, 200),
        )

    def _field_label(self, t: ir.Table, name: ir.StringValue) -> ir.StringValue:
        if self.table == "stays":
            return name
        return self.table + "[" + t._k_seq.cast("string") + "]." + name

    def denominators(self, flags: ir.Table) -> ir.Table:
        """Per hospital: row count and, per rule with a condition, the rows it applies to."""
        metrics = {"_rows": flags.count()}
        for cr in self.rules:
            if cr.expr.applies is not None:
                metrics[f"a{cr.number}"] = flags[f"a{cr.number}"].cast("int64").sum()
        return flags.group_by("hospital_id").aggregate(**metrics)

    def probe(self, cr: CompiledRule) -> ir.Table:
        """Build a one-rule aggregate used to find which rule breaks when the combined scan fails."""
        applies = self.base.count() if cr.expr.applies is None else cr.expr.applies.cast("int64").sum()
        return self.base.aggregate(v=cr.violation.cast("int64").sum(), a=applies)


def _compile_rule(rule: Rule, env: Env) -> Compiled:
    try:
        fn = checks.KINDS[rule.check.kind]
    except KeyError as exc:
        raise RuleCompileError(f"unknown check kind {rule.check.kind!r}") from exc
    out = fn(rule, env)
    if rule.when is not None:
        when = predicate(rule.when, env).fill_null(False)
        out.applies = when if out.applies is None else (out.applies & when)
    return out


def _walk(pred: Predicate | None) -> list[Predicate]:
    if pred is None:
        return []
    if isinstance(pred, AllOf | AnyOf):
        return [pred, *[p for item in pred.items for p in _walk(item)]]
    if isinstance(pred, Not):
        return [pred, *_walk(pred.item)]
    return [pred]


def _rule_predicates(rule: Rule) -> list[Predicate]:
    return _walk(rule.when) + _walk(rule.check.get("expect"))


def _lookups(rules: list[Rule]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for rule in rules:
        if rule.check.kind == "in_dictionary":
            found.append((str(rule.check.get("field")), str(rule.check.get("dictionary"))))
        found.extend((p.field, p.dictionary) for p in _rule_predicates(rule) if isinstance(p, FieldInDictionary))
    return list(dict.fromkeys(found))


def _age_in_days(t: ir.Table) -> ir.IntegerValue:
    years = t.age_years.cast("int32")
    return ibis.ifelse(years >= 1, years * 365, t.age_days.cast("int32"))


def _related_features(stays: ir.Table, related: dict[str, ir.Table], rules: list[Rule]
                      ) -> tuple[ir.Table, dict[RelatedExists, str]]:
    wanted = [p for r in rules for p in _rule_predicates(r) if isinstance(p, RelatedExists)]
    features: dict[RelatedExists, str] = {}
    for pred in dict.fromkeys(wanted):
        features[pred] = f"_f{len(features)}"
    for table_name, rows in related.items():
        preds = {p: name for p, name in features.items() if p.related == table_name}
        if not preds:
            continue
        metrics = {}
        for pred, name in preds.items():
            cond = rows.stay_id.notnull()
            if pred.scope == "principal":
                cond = rows.seq == 0
            elif pred.scope == "other":
                cond = rows.seq > 0
            if pred.prefixes:
                cond = cond & prefix_match(rows.code, pred.prefixes)
            if pred.kinds:
                cond = cond & rows.procedure_kind.isin(list(pred.kinds))
            metrics[name] = cond.fill_null(False).any()
        agg = rows.group_by("stay_id").aggregate(**metrics).rename(_fk="stay_id")
        joined = stays.left_join(agg, stays.stay_id == agg._fk)
        stays = joined.select(*[c for c in joined.columns if c != "_fk"])
    return stays, features


def _join_lookups(t: ir.Table, wanted: list[tuple[str, str]], dictionaries: dict[str, ir.Table]
                  ) -> tuple[ir.Table, dict[tuple[str, str], str]]:
    names: dict[tuple[str, str], str] = {}
    for fld, dictionary in wanted:
        if dictionary not in dictionaries or fld not in t.columns:
            continue
        name = f"_lk{len(names)}"
        d = dictionaries[dictionary].select(_code=ibis._.code, _hit=ibis.literal(True))
        joined = t.left_join(d, t[fld].cast("string").upper() == d._code)
        t = joined.select(*[c for c in joined.columns if c not in ("_code", "_hit")],
                          **{name: joined._hit.fill_null(False)})
        names[(fld, dictionary)] = name
    return t, names


def _join_duplicates(t: ir.Table, source: ir.Table, rules: list[Rule]
                     ) -> tuple[ir.Table, dict[tuple[str, ...], str]]:
    """For each duplicate_key rule: count ``source`` rows per key, join back only the repeated keys to ``t``."""
    names: dict[tuple[str, ...], str] = {}
    for rule in rules:
        if rule.check.kind != "duplicate_key" or not rule.check.get("keys"):
            continue
        keys = tuple(as_list(rule.check.get("keys")))
        if keys in names or any(k not in source.columns for k in keys):
            continue
        name = f"_dup{len(names)}"
        counts = source.group_by(list(keys)).aggregate(_n=source.count()).filter(ibis._._n > 1)
        counts = counts.select(**{f"_dk{i}": counts[k] for i, k in enumerate(keys)}, _hit=ibis.literal(True))
        joined = t.left_join(counts, [t[k] == counts[f"_dk{i}"] for i, k in enumerate(keys)])
        t = joined.select(*[c for c in joined.columns if not c.startswith("_dk") and c != "_hit"],
                          **{name: joined._hit.fill_null(False)})
        names[keys] = name
    return t, names


def _with_normalised_code(t: ir.Table) -> ir.Table:
    """Add the code normalised for prefix matching, and its first three characters, computed once per row."""
    t = t.mutate(_norm_code=norm_code(t.code))
    return t.mutate(_head3_code=t._norm_code.substr(0, 3))


def build_plan(table: str, numbered: list[tuple[int, Rule]], *, tables: dict[str, ir.Table],
               dictionaries: dict[str, ir.Table],
               codesets: dict[str, dict[str, tuple[str, str]]]) -> TablePlan:
    """Build the base of ``table`` and compile its ``rules`` (a broken rule lands in ``errors``).

    Parameters
    ----------
    table
        ``stays``, ``stay_diagnoses`` or ``stay_procedures``.
    numbered
        The runnable rules of that table (dictionaries present) with their run numbers.
    tables
        Ibis tables by canonical name.
    dictionaries
        Ibis tables with one ``code`` column, by dictionary name.
    codesets
        The schema code sets (:func:`hospeval.model.code_sets`).
    """
    rules = [r for _, r in numbered]
    stays = tables["stays"].mutate(age_in_days=_age_in_days(tables["stays"]))
    if table == "stays":
        related = {k: tables[k] for k in ("stay_diagnoses", "stay_procedures")}
        base, features = _related_features(stays, related, rules)
    else:
        ctx = stays.select("stay_id", "age_in_days", *STAY_CONTEXT).rename(_sk="stay_id")
        rows = tables[table]
        joined = rows.left_join(ctx, rows.stay_id == ctx._sk)
        base = joined.select(*[c for c in joined.columns if c != "_sk"])
        features = {}
    display = base if table != "stays" else stays
    if "code" in display.columns:
        display = _with_normalised_code(display)
    base, lookups = _join_lookups(base, _lookups(rules), dictionaries)
    base, duplicates = _join_duplicates(base, tables[table], rules)
    if "code" in base.columns:
        base = _with_normalised_code(base)
    env = Env(base, table, codesets, features, lookups, duplicates)
    plan = TablePlan(table, base, env, display)
    for number, rule in numbered:
        try:
            plan.rules.append(CompiledRule(rule, number, _compile_rule(rule, env)))
        except (RuleCompileError, AttributeError, TypeError, ValueError, ibis.common.exceptions.IbisError) as exc:
            plan.errors[rule.id] = f"compile: {exc}"
    return plan
