"""Run the rule catalogue over the warehouse: ``quality_findings`` and ``quality_rule_results``.

One compiled scan per row table (see :mod:`hospeval.quality.compile`) writes the findings; one grouped
aggregate per table gives the denominators. A rule that fails to compile, or whose expression makes the
combined scan fail, gets status ``error`` with the reason and the others still run; a rule whose
dictionary is absent gets ``not_applicable``.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.quality.engine import run_rules
>>> with Warehouse(":memory:") as wh:
...     wh.ensure_schema()
...     result = run_rules(wh)
...     result.findings
0
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pyarrow as pa

from hospeval.batches import batched
from hospeval.model import code_sets
from hospeval.quality.compile import TablePlan, build_plan
from hospeval.quality.reference import ReferenceData, resolve_dictionaries
from hospeval.quality.spec import TABLES, Catalogue, Rule, load_catalogue
from hospeval.warehouse import Warehouse

FINDINGS_COLUMNS = ("stay_id", "hospital_id", "rule_id", "severity", "category", "field", "value",
                    "message_zh", "message_en")
WORK_PREFIX = "_quality_work_"
RESULT_SCHEMA = pa.schema([("run_id", pa.string()), ("rule_id", pa.string()), ("hospital_id", pa.string()),
                           ("violations", pa.int64()), ("denominator", pa.int64()), ("ratio", pa.float64()),
                           ("status", pa.string()), ("reason", pa.string())])


@dataclass
class RuleRun:
    """What running the catalogue produced."""

    run_id: str
    findings: int
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    reference: ReferenceData | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Count the rules whose overall status is ``status``."""
        return sum(1 for s, _ in self.statuses.values() if s == status)


def data_version(wh: Warehouse) -> str:
    """Cheap fingerprint of the loaded data: row counts and, when ingest ran, its load ids."""
    # one query: a row per table count, then one per load id
    parts = [wh.table(t).aggregate(key=ibis.literal(t), n=ibis._.count()) for t in TABLES]
    has_loads = wh.has_table("ingest_loads")
    if has_loads:
        loads = wh.table("ingest_loads")
        parts.append(loads.select(key=ibis.literal("~load:") + loads.load_id.cast("string"),
                                  n=ibis.literal(0, "int64")).distinct())
    rows = wh.to_arrow(ibis.union(*parts, distinct=False)).to_pylist()
    counts = {r["key"]: r["n"] for r in rows}
    loads = sorted(k.removeprefix("~load:") for k in counts if k.startswith("~load:"))
    return ";".join([f"{t}={counts[t]}" for t in TABLES] + (["loads=" + ",".join(loads)] if has_loads else []))


def make_run_id(catalogue: Catalogue, extra: str, scheme: str, ref: ReferenceData, version: str) -> str:
    """Deterministic run id from the rules, the scoring, the dictionaries and the data version."""
    payload = "\n".join([catalogue.text, extra, scheme, ref.fingerprint(), version])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _rule_meta(catalogue: Catalogue) -> pa.Table:
    rules = catalogue.rules
    return pa.table({
        "rule_number": pa.array(range(len(rules)), pa.int32()),
        "rule_id": [r.id for r in rules], "severity": [r.severity for r in rules],
        "category": [r.category for r in rules], "message_zh": [r.message_zh for r in rules],
        "message_en": [r.message_en for r in rules],
    })


def _execute_plan(wh: Warehouse, plan: TablePlan, timings: dict[str, float]) -> pa.Table:
    """Run the plan's compiled scan, write its findings to a work table, return its denominators.

    When the combined scan fails, each rule is run alone and the failing ones are dropped (status error).
    """
    start = time.perf_counter()
    for attempt in range(2):
        try:
            flags = wh.scratch(f"{WORK_PREFIX}flags_{plan.table}", plan.flags())
            break
        except Exception as exc:  # noqa: BLE001 - any engine failure is isolated per rule below
            if attempt:
                raise
            _isolate(plan, exc)
    if plan.rules:
        # Materialised so that the join back to the rows builds its hash table on the (few) hits.
        wh.scratch(f"{WORK_PREFIX}hits_{plan.table}", _hits(wh, plan, flags))
    key = f"scan {plan.table}"
    timings[key] = timings.get(key, 0.0) + time.perf_counter() - start  # summed over batches
    return plan.denominators(flags).to_pyarrow()


def _hits(wh: Warehouse, plan: TablePlan, flags: ibis.Table) -> ibis.Table:
    """The one engine-dependent choice of the quality stage (both forms are portable Ibis, same rows).

    DuckDB runs the union of one filter per rule fastest (each part reads one boolean column); Spark
    plans and schedules every part of a union on its own (80 rules took 30 s on 3,000 stays), so there
    each row's violated rule numbers are collected in an array and exploded in one scan.
    """
    return plan.hits_exploded(flags) if wh.engine == "spark" else plan.hits(flags)


def _isolate(plan: TablePlan, exc: Exception) -> None:
    """Run each rule alone; drop those that fail, recording the reason."""
    keep = []
    for cr in plan.rules:
        try:
            plan.probe(cr).to_pyarrow()
            keep.append(cr)
        except Exception as rule_exc:  # noqa: BLE001
            plan.errors[cr.rule.id] = f"run: {str(rule_exc).splitlines()[0][:300]}"
    if len(keep) == len(plan.rules):
        raise exc
    plan.rules = keep


def run_rules(wh: Warehouse, *, scheme: str = "chs-drg-1.1", catalogue: Catalogue | None = None,
              dictionaries: dict[str, Path] | None = None, scoring_text: str = "") -> RuleRun:
    """Evaluate every rule and write ``quality_findings`` and ``quality_rule_results``.

    Parameters
    ----------
    wh
        Warehouse holding ``stays``, ``stay_diagnoses`` and ``stay_procedures``.
    scheme
        Grouping scheme whose code dictionaries the coding rules use.
    catalogue
        Rule catalogue (default ``rules/front_page.yaml``).
    dictionaries
        Dictionary name -> CSV file overriding the catalogue's path templates.
    scoring_text
        Text of the scoring file, folded into the run id.
    """
    wh.require(*TABLES)
    catalogue = catalogue or load_catalogue()
    ref = resolve_dictionaries(catalogue.dictionaries, scheme=scheme, overrides=dictionaries)
    # one chunk per column: PySpark's Arrow path rejects chunked columns and falls back to a slow one
    dict_tables = {name: wh.scratch(f"{WORK_PREFIX}dict_{name}", d.codes.combine_chunks())
                   for name, d in ref.available.items()}
    statuses: dict[str, tuple[str, str | None]] = {}
    numbered: dict[str, list[tuple[int, Rule]]] = {t: [] for t in TABLES}
    for number, rule in enumerate(catalogue.rules):
        missing = ref.reason_missing(rule.dictionaries())
        if missing:
            statuses[rule.id] = ("not_applicable", missing)
        else:
            numbered[rule.table].append((number, rule))
    meta = wh.scratch(f"{WORK_PREFIX}rule_meta", _rule_meta(catalogue))
    found: dict[str, list[pa.Table]] = {t: [] for t in TABLES}
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}

    def findings_of(stays: ibis.Table, diagnoses: ibis.Table, procedures: ibis.Table) -> ibis.Table:
        """Scan one batch of stays with every table's plan; its findings with the rules' texts."""
        batch = dict(zip(TABLES, (stays, diagnoses, procedures), strict=True))
        parts = []
        for table in TABLES:
            plan = build_plan(table, numbered[table], tables=batch, dictionaries=dict_tables, codesets=code_sets())
            found[table].append(_execute_plan(wh, plan, timings))
            errors.update(plan.errors)
            if plan.rules:
                parts.append(plan.findings(wh.table(f"{WORK_PREFIX}hits_{table}")))
        return _with_texts(parts, meta)

    tables = [wh.table(t) for t in TABLES]
    with batched(wh, f"{WORK_PREFIX}findings", tables[0], tables[1:], findings_of,
                 one_pass=not batchable(catalogue)) as findings:
        start = time.perf_counter()
        if errors:  # a rule that failed in any batch has status error and no findings
            findings = findings.filter(~findings.rule_id.isin(sorted(errors)))
        wh.replace("quality_findings", findings)
    _drop_work_tables(wh, [*(f"{WORK_PREFIX}dict_{name}" for name in dict_tables), f"{WORK_PREFIX}rule_meta",
                           *(f"{WORK_PREFIX}{kind}_{t}" for t in TABLES for kind in ("flags", "hits"))])
    timings["findings"] = time.perf_counter() - start
    statuses.update({rid: ("error", reason) for rid, reason in errors.items()})
    denominators = {t: _sum_by_hospital(parts) for t, parts in found.items()}
    run_id = make_run_id(catalogue, scoring_text, scheme, ref, data_version(wh))
    results = _rule_results(wh, catalogue, run_id, statuses, denominators)
    wh.replace("quality_rule_results", results)
    for rule in catalogue.rules:
        statuses.setdefault(rule.id, _overall_status(results, rule.id))
    return RuleRun(run_id=run_id, findings=wh.count("quality_findings"), statuses=statuses, reference=ref,
                   timings=timings)


def _drop_work_tables(wh: Warehouse, names: list[str]) -> None:
    """Drop the run's work tables (``drop`` ignores the ones a run did not create)."""
    for name in names:
        wh.drop(name)


def batchable(catalogue: Catalogue) -> bool:
    """Whether the rules can run over batches of whole hospitals: every rule reads one row and its own stay,
    except duplicate keys, which compare rows across stays and stay exact only when their keys hold the
    stay or the hospital (a batch holds all of a hospital's stays).
    """
    return all(rule.check.kind != "duplicate_key" or {"stay_id", "hospital_id"} & set(rule.check.get("keys") or [])
               for rule in catalogue.rules)


def _with_texts(parts: list[ibis.Table], meta: ibis.Table) -> ibis.Table:
    """The tables' violating rows joined back (``parts``), with the rules' texts: the findings' columns."""
    if not parts:
        return ibis.memtable(pa.schema([(c, pa.string()) for c in FINDINGS_COLUMNS]).empty_table())
    found = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    return found.inner_join(meta, "rule_number").select(*FINDINGS_COLUMNS)


def _sum_by_hospital(parts: list[pa.Table]) -> pa.Table:
    """The batches' denominators added up per hospital (one batch: as they are)."""
    if len(parts) == 1:
        return parts[0]
    rows = pa.concat_tables(parts, promote_options="default")
    counts = [c for c in rows.column_names if c != "hospital_id"]
    summed = rows.group_by("hospital_id").aggregate([(c, "sum") for c in counts])
    return pa.table({"hospital_id": summed["hospital_id"], **{c: summed[f"{c}_sum"] for c in counts}})


def _overall_status(results: pa.Table, rule_id: str) -> tuple[str, str | None]:
    rows = [r for r in results.to_pylist() if r["rule_id"] == rule_id and r["hospital_id"] is None]
    return (rows[0]["status"], rows[0]["reason"]) if rows else ("not_applicable", "no rows")


def _rule_results(wh: Warehouse, catalogue: Catalogue, run_id: str,
                  statuses: dict[str, tuple[str, str | None]], denominators: dict[str, pa.Table]) -> pa.Table:
    """Long table: per rule, one row per hospital and one overall row (hospital_id NULL).

    Stays whose hospital_id is missing (itself a finding) are counted in the overall row only.
    """
    f = wh.table("quality_findings")
    counts = f.group_by(["rule_id", "hospital_id"]).aggregate(n=f.count()).to_pyarrow().to_pylist()
    violations = {(r["rule_id"], r["hospital_id"]): r["n"] for r in counts}
    hospitals = sorted({h for t in denominators.values() for h in t.column("hospital_id").to_pylist()},
                       key=lambda h: (h is None, h or ""))
    rows = []
    for number, rule in enumerate(catalogue.rules):
        dens = {r["hospital_id"]: r for r in denominators[rule.table].to_pylist()}
        fixed = statuses.get(rule.id)
        total_v = total_d = 0
        for hosp in hospitals:
            row = dens.get(hosp)
            den = None if row is None else row.get(f"a{number}", row["_rows"])
            v = violations.get((rule.id, hosp), 0)
            if fixed is None:
                total_v, total_d = total_v + v, total_d + (den or 0)
            if hosp is not None:  # stays without a hospital count in the overall row only
                rows.append(_result_row(run_id, rule.id, hosp, v, den, fixed))
        rows.append(_result_row(run_id, rule.id, None, total_v, total_d, fixed, overall=True))
    return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)


def _result_row(run_id: str, rule_id: str, hosp: str | None, v: int, den: int | None,
                fixed: tuple[str, str | None] | None, overall: bool = False) -> dict:
    if fixed is not None:
        status, reason = fixed
        return {"run_id": run_id, "rule_id": rule_id, "hospital_id": hosp, "violations": None,
                "denominator": None, "ratio": None, "status": status, "reason": reason}
    if not den:
        return {"run_id": run_id, "rule_id": rule_id, "hospital_id": hosp, "violations": 0, "denominator": 0,
                "ratio": None, "status": "not_applicable", "reason": "no rows the rule applies to"}
    return {"run_id": run_id, "rule_id": rule_id, "hospital_id": hosp, "violations": int(v),
            "denominator": int(den), "ratio": v / den, "status": "failed" if v else "passed",
            "reason": None}
