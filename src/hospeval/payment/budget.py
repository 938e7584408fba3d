"""Budget execution (全面预算管理): budget vs actual by line and month, variances flagged.

The hospital loads a small CSV (UTF-8 or GB18030)::

    hospital_id,period,line,amount
    H001,2024-01,revenue_drugs,1200000
    H001,2024-01,inpatient_consumables,300000

``period`` is ``YYYY-MM``; ``line`` is a metric of schema/metrics.yaml (actual = the ``hospital_facts`` row of
that month) or a front-page line of ``payment_rules/operations.yaml`` (actual computed from the stays
discharged in that month). Variance = actual - budget; a line is flagged when
``|actual / budget - 1| > variance_threshold``.

Result table ``ops_budget_execution``: hospital_id, period, line, source, budget, actual, variance,
execution_rate, flagged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import yaml

from hospeval.errors import InputFileError, SchemaError
from hospeval.model import metrics
from hospeval.paths import data_dir
from hospeval.payment.operations import stay_costs
from hospeval.payment.rounding import round_to
from hospeval.payment.store import scalars, write_scratch, write_table
from hospeval.warehouse import Warehouse

BUDGET = "ops_budget"
EXECUTION = "ops_budget_execution"
COLUMNS = ("hospital_id", "period", "line", "amount")
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class OperationsSpec:
    """Variance threshold and the front-page budget lines."""

    variance_threshold: float
    stay_lines: dict[str, str]


def load_operations_spec(path: str | Path | None = None) -> OperationsSpec:
    """Read ``payment_rules/operations.yaml``."""
    path = Path(path) if path else data_dir("payment_rules") / "operations.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    thr = doc.get("variance_threshold")
    if not isinstance(thr, int | float) or thr < 0:
        raise SchemaError("variance_threshold must be a number >= 0", file=str(path), field="variance_threshold")
    return OperationsSpec(variance_threshold=float(thr), stay_lines={str(k): str(v) for k, v in
                                                                     (doc.get("stay_lines") or {}).items()})


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError("budget file is neither UTF-8 nor GB18030", file=str(path))


def read_budget(path: str | Path, spec: OperationsSpec | None = None) -> pa.Table:
    """Read and validate a budget CSV; every bad row is reported (first ten in the message)."""
    spec = spec or load_operations_spec()
    path = Path(path)
    if not path.is_file():
        raise InputFileError("budget file not found", file=str(path))
    reader = csv.DictReader(io.StringIO(_decode(path)))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputFileError(f"budget file lacks column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
                             file=str(path))
    known = set(metrics()) | set(spec.stay_lines)
    rows, errors = [], []
    for i, row in enumerate(reader, start=1):
        problem = _check_row(row, known)
        if problem:
            errors.append(f"row {i} field {problem[0]}: {problem[1]}")
            continue
        rows.append({"hospital_id": row["hospital_id"].strip(), "period": row["period"].strip(),
                     "line": row["line"].strip(), "amount": float(row["amount"])})
    if errors:
        shown = "; ".join(errors[:10])
        raise InputFileError(f"{len(errors)} bad budget row(s): {shown}", file=str(path))
    schema = pa.schema([("hospital_id", pa.string()), ("period", pa.string()), ("line", pa.string()),
                        ("amount", pa.float64())])
    return pa.Table.from_pylist(rows, schema=schema)


def _check_row(row: dict[str, str], known: set[str]) -> tuple[str, str] | None:
    if not (row.get("hospital_id") or "").strip():
        return "hospital_id", "empty"
    if not _PERIOD.match((row.get("period") or "").strip()):
        return "period", f"expected YYYY-MM, got {row.get('period')!r}"
    if (row.get("line") or "").strip() not in known:
        return "line", f"unknown line {row.get('line')!r} (a metric of schema/metrics.yaml or operations.yaml stay_lines)"
    try:
        float(row.get("amount") or "")
    except ValueError:
        return "amount", f"not a number: {row.get('amount')!r}"
    return None


def actuals(wh: Warehouse, spec: OperationsSpec) -> ir.Table:
    """hospital_id, period (YYYY-MM), line, source, actual: facts' monthly rows and front-page lines."""
    wh.ensure_schema()
    f = wh.table("hospital_facts")
    f = f.filter(f.period.length() == 7)
    facts = f.select("hospital_id", "period", line=f.metric, source=ibis.literal("hospital_facts"),
                     actual=f.value.cast("float64"))
    s = stay_costs(wh)
    parts = [facts]
    values = {}
    for line, what in spec.stay_lines.items():
        if what == "count":
            values[line] = s.count()
        elif what in ("cost_total", "los_days"):
            values[line] = (s.cost if what == "cost_total" else s.los_days.cast("float64")).sum()
        else:
            values[line] = s[f"cost_{what}"].sum()
    if values:
        # one aggregate for every line, as a work table that each line's rows read (one Spark job, not one per line)
        a = write_scratch(wh, "ops_budget_stay_actuals",
                       s.group_by(["hospital_id", s.month.name("period")]).aggregate(**values))
        parts += [a.select("hospital_id", "period", line=ibis.literal(line), source=ibis.literal("stays"),
                           actual=a[line].cast("float64")) for line in values]
    return ibis.union(*parts)


def execution(wh: Warehouse, spec: OperationsSpec, budget: ir.Table) -> ir.Table:
    """Budget vs actual per hospital, month and line, flagged beyond the variance threshold."""
    a = actuals(wh, spec)
    j = budget.left_join(a, ["hospital_id", "period", "line"]).select(
        budget.hospital_id, budget.period, budget.line, source=a.source, budget=budget.amount, actual=a.actual)
    variance = j.actual - j.budget
    rate = j.actual / j.budget.nullif(0.0)
    flagged = ((rate - 1.0).abs() > spec.variance_threshold).fill_null(False)
    return j.mutate(variance=round_to(variance, 2), execution_rate=round_to(rate, 4), flagged=flagged).order_by(
        ["hospital_id", "period", "line"])


def run_budget(wh: Warehouse, path: str | Path, spec: OperationsSpec | None = None,
               threshold: float | None = None) -> tuple[int, int]:
    """Load a budget file, store ``ops_budget`` and ``ops_budget_execution``; return (lines, flagged)."""
    spec = spec or load_operations_spec()
    if threshold is not None:
        spec = OperationsSpec(variance_threshold=threshold, stay_lines=spec.stay_lines)
    write_table(wh, BUDGET, read_budget(path, spec))
    write_table(wh, EXECUTION, execution(wh, spec, wh.table(BUDGET)))
    t = wh.table(EXECUTION)
    row = scalars(t.aggregate(n=t.count(), flagged=t.flagged.cast("int64").sum()))
    return int(row.get("n") or 0), int(row.get("flagged") or 0)
