"""Performance-pay inputs per department and per doctor (绩效分配的 DRG 依据).

Per unit: cases, DRG-weighted workload (total weight), CMI (total weight / grouped cases), cost index and
time index (mean of each case's cost / LOS over the DRG reference mean: Σ(unit mean / reference mean x
cases) / cases), mortality, quality penalty (penalty points of ``quality_findings`` per 100 cases) and a
score from the formula of ``payment_rules/performance.yaml``. The formula is compiled to Ibis by a small
expression compiler that accepts only numbers, metric names, + - * / and min / max.

The reference means come from ``drg_reference`` (latest version of the scheme); without it, from the
grouped stays themselves, with weight = DRG mean cost / overall mean cost.

Result table ``performance_scores``: level, hospital_id, unit_id, cases, total_weight, cmi, cost_index,
time_index, weight_share, deaths, mortality, quality_penalty, score.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir
from hospeval.payment.rounding import round_to
from hospeval.payment.store import write_table
from hospeval.warehouse import Warehouse

SCORES = "performance_scores"
METRICS = ("cases", "total_weight", "cmi", "cost_index", "time_index", "weight_share", "deaths", "mortality",
           "quality_penalty")
LEVELS = {"dept": ("discharge_dept",), "doctor": ("discharge_dept", "attending_doctor")}


@dataclass(frozen=True)
class PerformanceSpec:
    """Scheme, quality penalty points and the score formula."""

    id: str
    scheme: str
    quality_points: dict[str, float]
    score: str


def load_performance_spec(path: str | Path | None = None) -> PerformanceSpec:
    """Read ``payment_rules/performance.yaml``; the formula is checked here, not when it runs."""
    path = Path(path) if path else data_dir("payment_rules") / "performance.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = PerformanceSpec(id=str(doc.get("id", path.stem)), scheme=str(doc.get("scheme", "chs-drg-1.1")),
                           quality_points={str(k): float(v) for k, v in (doc.get("quality_points") or {}).items()},
                           score=str(doc.get("score", "")))
    try:
        compile_formula(spec.score, {m: ibis.literal(1.0) for m in METRICS})
    except SchemaError as exc:
        raise SchemaError(str(exc), file=str(path), field="score") from exc
    return spec


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}


def compile_formula(text: str, names: dict[str, ir.Value]) -> ir.Value:
    """Compile an arithmetic formula over ``names`` to an Ibis expression.

    Examples
    --------
    >>> import ibis
    >>> e = compile_formula("2 * x + max(y, 1)", {"x": ibis.literal(3.0), "y": ibis.literal(0.5)})
    >>> ibis.duckdb.connect().execute(e)
    7.0
    """
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise SchemaError(f"formula is not valid: {text!r}") from exc

    def walk(node: ast.AST) -> ir.Value:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return ibis.literal(float(node.value))
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise SchemaError(f"unknown metric {node.id!r} in formula (known: {', '.join(names)})")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div):
                right = right.nullif(0.0)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
                and len(node.args) >= 2 and not node.keywords):
            args = [walk(a) for a in node.args]
            return ibis.least(*args) if node.func.id == "min" else ibis.greatest(*args)
        raise SchemaError(f"formula element not allowed: {ast.dump(node)[:60]}")

    return walk(tree)


def _reference(wh: Warehouse, scheme: str, grouped: ir.Table) -> ir.Table:
    if wh.has_table("drg_reference"):
        r = wh.table("drg_reference")
        r = r.filter(r.scheme == scheme)
        r = r.filter(r.version == r.version.max().as_scalar())
        if r.count().execute() > 0:
            return r.select("drg", weight=r.relative_weight.cast("float64"), ref_cost=r.mean_cost.cast("float64"),
                            ref_los=r.mean_los.cast("float64"))
    overall = grouped.cost.mean().as_scalar()
    a = grouped.group_by("drg").aggregate(ref_cost=grouped.cost.mean(), ref_los=grouped.los.mean())
    return a.select("drg", weight=a.ref_cost / overall, ref_cost="ref_cost", ref_los="ref_los")


def _quality(wh: Warehouse, spec: PerformanceSpec) -> ir.Table | None:
    if not wh.has_table("quality_findings") or not spec.quality_points:
        return None
    q = wh.table("quality_findings")
    points = q.severity.cases(*((k, ibis.literal(v)) for k, v in spec.quality_points.items()), else_=0.0)
    return q.group_by("stay_id").aggregate(penalty_points=points.sum())


def unit_cases(wh: Warehouse, spec: PerformanceSpec) -> ir.Table:
    """Return grouped stays with weight, cost and LOS ratios to the reference, death flag and penalty points."""
    wh.require("stays", "stay_groups")
    s, g = wh.table("stays"), wh.table("stay_groups")
    g = g.filter((g.scheme == spec.scheme) & (g.status == "grouped"))
    t = s.join(g, s.stay_id == g.stay_id).select(
        s.stay_id, s.hospital_id, s.discharge_dept, s.attending_doctor, drg=g.drg,
        cost=s.cost_total.cast("float64"), los=s.los_days.cast("float64"),
        death=(s.discharge_disposition == "5").fill_null(False).cast("int64"))
    r = _reference(wh, spec.scheme, t)
    t = t.left_join(r, "drg").select(*t.columns, r.weight, r.ref_cost, r.ref_los)
    t = t.mutate(cost_ratio=t.cost / t.ref_cost.nullif(0.0), time_ratio=t.los / t.ref_los.nullif(0.0))
    q = _quality(wh, spec)
    if q is None:
        return t.mutate(penalty_points=ibis.literal(0.0))
    return t.left_join(q, "stay_id").select(*t.columns, penalty_points=q.penalty_points.fill_null(0.0))


def scores(wh: Warehouse, spec: PerformanceSpec | None = None) -> ir.Table:
    """Per department and per doctor: the metrics and the score of the formula."""
    spec = spec or load_performance_spec()
    t = unit_cases(wh, spec)
    hosp = t.group_by("hospital_id").aggregate(hospital_weight=t.weight.sum())
    parts = []
    for level, keys in LEVELS.items():
        a = t.group_by(["hospital_id", *keys]).aggregate(
            cases=t.count(), total_weight=t.weight.sum(), cost_index=t.cost_ratio.mean(),
            time_index=t.time_ratio.mean(), deaths=t.death.sum(), penalty=t.penalty_points.sum())
        a = a.join(hosp, "hospital_id")
        unit = a[keys[-1]].cast("string")
        m = a.select(
            level=ibis.literal(level), hospital_id=a.hospital_id, dept=a.discharge_dept.cast("string"),
            unit_id=unit, cases=a.cases, total_weight=round_to(a.total_weight, 4),
            cmi=round_to(a.total_weight / a.cases.nullif(0), 4), cost_index=round_to(a.cost_index, 4),
            time_index=round_to(a.time_index, 4),
            weight_share=round_to(a.total_weight / a.hospital_weight.nullif(0.0), 4),
            deaths=a.deaths, mortality=round_to(a.deaths / a.cases.nullif(0), 4),
            quality_penalty=round_to(a.penalty / a.cases.nullif(0) * 100.0, 4),
        )
        score = compile_formula(spec.score, {k: m[k].cast("float64") for k in METRICS})
        parts.append(m.mutate(score=round_to(score, 2)))
    return ibis.union(*parts).order_by(["level", "hospital_id", "dept", "unit_id"])


def run_performance(wh: Warehouse, spec: PerformanceSpec | None = None) -> int:
    """Store ``performance_scores``; return its row count."""
    return write_table(wh, SCORES, scores(wh, spec))
