"""Evaluate indicator sets over the warehouse and write ``indicator_values``.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.indicators.engine import evaluate_indicators
>>> with Warehouse(":memory:") as wh:
...     wh.ensure_schema()
...     run = evaluate_indicators(wh, ["drg"], levels=["hospital"], grains=["year"])
...     run.rows
0
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.batches import Range, append_work, stay_ranges, work_scope
from hospeval.errors import SchemaError
from hospeval.indicators.compile import (
    GRAINS,
    LEVEL_KEYS,
    ROLLUP_LEVELS,
    Prepared,
    Scope,
    batchable,
    distinct_rows,
    enriched_stays,
    fine_aggregate,
    indicator_rows,
    measure_names,
    prepare_bases,
    stay_columns,
    wide_measures,
)
from hospeval.indicators.spec import BASES, IndicatorSet, load_fields, load_sets
from hospeval.pipeline import cpu_timer
from hospeval.warehouse import Warehouse

VALUES_TABLE = "indicator_values"
RUNS_TABLE = "indicator_runs"
VALUES_SCHEMA = ibis.schema({
    "run_id": "string", "indicator_set": "string", "indicator_id": "string", "level": "string",
    "unit_id": "string", "hospital_id": "string", "period": "string", "numerator": "float64",
    "denominator": "float64", "value": "float64", "expected": "float64",
})
RUNS_SCHEMA = ibis.schema({
    "run_id": "string", "sets": "string", "levels": "string", "grains": "string", "scheme": "string",
    "started_at": "timestamp", "finished_at": "timestamp", "rows": "int64", "status": "string",
})
_STAYS_TEMP = "_hospeval_indicator_stays"
_WIDE_TEMP = "_hospeval_indicator_wide"
_BASE_TEMP = "_hospeval_indicator_base"
_FINE_TEMP = "_hospeval_indicator_cells"
_ROWS_TEMP = "_hospeval_indicator_rows"


@dataclass
class IndicatorRun:
    """What one evaluation produced."""

    run_id: str
    sets: list[str]
    rows: int = 0
    rows_by_level: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    # CPU seconds of the part that reads stays (enriched stays, bases, cells) and of the part that works on
    # units (level aggregations, values written): the first grows with stays, the second with units
    cpu: dict[str, float] = field(default_factory=dict)


def materialise(wh: Warehouse, name: str, expr: ir.Table) -> ir.Table:
    """Compute an expression once into a work table of this session (``Warehouse.scratch``) and return it."""
    return wh.scratch(name, expr)


def register_arrow(wh: Warehouse, name: str, data: pa.Table) -> ir.Table:
    """Store a small Arrow table as a work table of this session and return it."""
    return wh.scratch(name, data)


def run_id_for(sets: Sequence[IndicatorSet], levels: Sequence[str], grains: Sequence[str], scope: Scope) -> str:
    """Deterministic run id: a hash of the set versions, levels, grains and scope."""
    key = json.dumps({"sets": [(s.id, s.version) for s in sets], "levels": list(levels),
                      "grains": list(grains), "scope": scope.__dict__}, sort_keys=True, default=str)
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _check_args(levels: Sequence[str], grains: Sequence[str]) -> None:
    for level in levels:
        if level not in LEVEL_KEYS:
            raise SchemaError(f"unknown level {level!r}; choose from {', '.join(LEVEL_KEYS)}")
    for grain in grains:
        if grain not in GRAINS:
            raise SchemaError(f"unknown period grain {grain!r}; choose from {', '.join(GRAINS)}")


def compute_values(wh: Warehouse, sets: Sequence[IndicatorSet], levels: Sequence[str],
                   grains: Sequence[str], scope: Scope | None = None, *, stays: ir.Table | None = None,
                   indicator_ids: Sequence[str] | None = None, materialise_stays: bool = False,
                   timings: dict[str, float] | None = None, cpu: dict[str, float] | None = None) -> list[ir.Table]:
    """Build indicator values as Ibis expressions (one per level and grain), without writing them.

    ``stays`` may be a pre-built enriched stays table. Only the columns the measures read are kept of it,
    and with ``materialise_stays`` that narrow table is stored once as a work table (the bases of stays,
    procedures and diagnoses all read it); the wide measure tables are materialised as work tables
    (``Warehouse.scratch``) so that each level and grain reads a small table.
    """
    _check_args(levels, grains)
    scope = scope or Scope()
    fields = load_fields()
    chosen = [(s, [i for i in s.indicators if i.computable and (indicator_ids is None or i.id in indicator_ids)])
              for s in sets]
    measures = measure_names([i for _, inds in chosen for i in inds])
    if not measures:
        return []
    timings = timings if timings is not None else {}
    cpu = cpu if cpu is not None else {}
    ranges = [(None, None)]
    with cpu_timer(cpu, "stays"):
        if stays is None and materialise_stays and batchable(measures, levels):
            ranges = stay_ranges(wh, wh.table("stays"), getattr(wh, "batch_stays", None))
        if len(ranges) > 1:
            prepared, fine = _prepare_in_batches(wh, fields, scope, measures, grains, ranges, timings)
        else:
            prepared, fine = _prepare(wh, fields, scope, measures, levels, grains, stays, materialise_stays,
                                      timings)
    with cpu_timer(cpu, "units"):
        return _level_values(wh, prepared, fine, measures, chosen, levels, grains, scope, timings)


def _level_values(wh: Warehouse, prepared: Prepared, fine: dict, measures: dict, chosen: list, levels: Sequence[str],
                  grains: Sequence[str], scope: Scope, timings: dict[str, float]) -> list[ir.Table]:
    """Each level and grain's wide measure table, materialised, and its indicator rows (as expressions)."""
    outputs = []
    for grain in grains:
        for level in levels:
            t0 = time.perf_counter()
            wide = wide_measures(wh, prepared, measures, level, grain, scope, fine[grain])
            wide = materialise(wh, f"{_WIDE_TEMP}_{level}_{grain}", wide)
            timings[f"aggregate {level}/{grain}"] = time.perf_counter() - t0
            rows = indicator_rows(wide, measures, chosen, level)
            if rows is not None:
                outputs.append(rows)
    return outputs


def _prepare(wh: Warehouse, fields, scope: Scope, measures: dict, levels: Sequence[str], grains: Sequence[str],
             stays: ir.Table | None, materialise_stays: bool,
             timings: dict[str, float]) -> tuple[Prepared, dict[str, dict[str, ir.Table]]]:
    """All stays at once: the prepared bases and, per grain, the fine cells of each base."""
    t0 = time.perf_counter()
    stays = stay_columns(stays if stays is not None else enriched_stays(wh, fields, scope), measures)
    if materialise_stays:
        stays = materialise(wh, _STAYS_TEMP, stays)
        timings["enriched stays"] = time.perf_counter() - t0
    prepared = prepare_bases(wh, stays, fields, measures)
    t0 = time.perf_counter()
    prepared = Prepared(tables={base: materialise(wh, f"{_BASE_TEMP}_{base}", t)
                                for base, t in prepared.tables.items()}, columns=prepared.columns)
    if materialise_stays:  # every base has read it: free its memory for the aggregations
        wh.drop_work_table(_STAYS_TEMP)
    timings["prepare"] = time.perf_counter() - t0
    fine: dict[str, dict[str, ir.Table]] = {}
    for grain in grains:
        t0 = time.perf_counter()
        fine[grain] = {}
        if any(level in ROLLUP_LEVELS for level in levels):
            for base in prepared.tables:
                cells = fine_aggregate(prepared, measures, base, grain)
                if cells is not None:
                    fine[grain][base] = materialise(wh, f"{_FINE_TEMP}_{base}_{grain}", cells)
        timings[f"cells {grain}"] = time.perf_counter() - t0
    return prepared, fine


def _prepare_in_batches(wh: Warehouse, fields, scope: Scope, measures: dict, grains: Sequence[str],
                        ranges: Sequence[Range],
                        timings: dict[str, float]) -> tuple[Prepared, dict[str, dict[str, ir.Table]]]:
    """Batch by batch of stays (:mod:`hospeval.batches`): only the pieces the levels need are kept.

    Per batch the enriched stays and the prepared bases are built and dropped again; kept are the fine
    cells (additive measures, summed across batches by the roll-up) and the distinct rows the other
    measures read (:func:`~hospeval.indicators.compile.distinct_rows`). The working set is a batch's.
    """
    t0 = time.perf_counter()
    kept: set[str] = set()
    columns: dict = {}

    def collect(name: str, expr: ir.Table) -> None:
        append_work(wh, name, expr)
        kept.add(name)

    for lo, hi in ranges:
        with work_scope(wh, keep=kept):
            stays = materialise(wh, _STAYS_TEMP, stay_columns(enriched_stays(wh, fields, scope, (lo, hi)), measures))
            part = prepare_bases(wh, stays, fields, measures, (lo, hi))
            part = Prepared(tables={base: materialise(wh, f"{_BASE_TEMP}_{base}", t)
                                    for base, t in part.tables.items()}, columns=part.columns)
            columns = part.columns
            for base in part.tables:
                rows = distinct_rows(part, measures, base)
                if rows is not None:
                    collect(f"{_ROWS_TEMP}_{base}", rows)
                for grain in grains:
                    cells = fine_aggregate(part, measures, base, grain)
                    if cells is not None:
                        collect(f"{_FINE_TEMP}_{base}_{grain}", cells)
    tables = {name.removeprefix(f"{_ROWS_TEMP}_"): wh.table(name) for name in sorted(kept)
              if name.startswith(f"{_ROWS_TEMP}_")}
    fine = {grain: {base: wh.table(f"{_FINE_TEMP}_{base}_{grain}") for base in BASES
                    if f"{_FINE_TEMP}_{base}_{grain}" in kept} for grain in grains}
    timings[f"prepare in {len(ranges)} batches"] = time.perf_counter() - t0
    return Prepared(tables=tables, columns=columns), fine


def evaluate_indicators(wh: Warehouse, set_ids: Sequence[str] | None = None,
                        levels: Sequence[str] = ("hospital", "dept", "doctor"),
                        grains: Sequence[str] = ("year", "month"), scope: Scope | None = None) -> IndicatorRun:
    """Evaluate indicator sets and replace their rows in ``indicator_values``.

    Parameters
    ----------
    wh
        The warehouse (needs ``stays``, ``stay_diagnoses``, ``stay_procedures``; uses ``hospitals``,
        ``hospital_facts``, ``stay_groups`` and ``drg_reference`` when present).
    set_ids
        Indicator sets (file stems in ``indicators/``); all when ``None``.
    levels, grains
        Units (hospital, dept, doctor, consortium, district) and period grains (year, quarter, month).
    scope
        Grouping scheme, reference version and optional hospital / year filters.
    """
    scope = scope or Scope()
    started = datetime.now(UTC).replace(tzinfo=None)
    sets = load_sets(list(set_ids) if set_ids else None)
    run = IndicatorRun(run_id=run_id_for(sets, levels, grains, scope), sets=[s.id for s in sets])
    wh.require("stays", "stay_diagnoses", "stay_procedures")
    outputs = compute_values(wh, sets, levels, grains, scope, materialise_stays=True, timings=run.timings,
                             cpu=run.cpu)
    _ensure_values_table(wh)
    wh.ensure_table(RUNS_TABLE, RUNS_SCHEMA)
    with wh.transaction():
        t0 = time.perf_counter()
        with cpu_timer(run.cpu, "units"):
            _write_values(wh, run.run_id, outputs, [s.id for s in sets], levels)
        run.timings["write values"] = time.perf_counter() - t0
        values = wh.table(VALUES_TABLE)
        mine = values.filter(values.run_id == run.run_id)
        for row in wh.to_arrow(mine.group_by("level").aggregate(n=mine.count())).to_pylist():
            run.rows_by_level[row["level"]] = row["n"]
        run.rows = sum(run.rows_by_level.values())
        finished = datetime.now(UTC).replace(tzinfo=None)
        wh.append(RUNS_TABLE, pa.table({
            "run_id": [run.run_id], "sets": [",".join(run.sets)], "levels": [",".join(levels)],
            "grains": [",".join(grains)], "scheme": [scope.scheme], "started_at": [started],
            "finished_at": [finished], "rows": [run.rows], "status": ["passed"]}))
    run.seconds = (finished - started).total_seconds()
    return run


def _ensure_values_table(wh: Warehouse) -> None:
    """Create ``indicator_values``; add ``expected`` to a table written before that column existed."""
    wh.ensure_table(VALUES_TABLE, VALUES_SCHEMA)
    old = wh.table(VALUES_TABLE)
    if "expected" not in old.columns:
        wh.replace(VALUES_TABLE, old.mutate(expected=ibis.null("float64")))


def _write_values(wh: Warehouse, run_id: str, outputs: Sequence[ir.Table], set_ids: Sequence[str],
                  levels: Sequence[str]) -> None:
    """Replace the rows of these sets and levels by ``outputs``, in one write of the table.

    The new rows of every level and grain are one union, so Spark computes them in one job; the kept rows
    (other sets and levels) are read from the table being replaced.
    """
    old = wh.table(VALUES_TABLE)
    kept = old.filter(~(old.indicator_set.isin(list(set_ids)) & old.level.isin(list(levels))).fill_null(False))
    parts = [kept.select(*VALUES_SCHEMA.names).cast(VALUES_SCHEMA)]
    for expr in outputs:
        rows = expr.mutate(run_id=ibis.literal(run_id))
        parts.append(rows.select(*VALUES_SCHEMA.names).cast(VALUES_SCHEMA))
    wh.replace(VALUES_TABLE, ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0])
