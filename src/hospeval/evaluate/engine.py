"""Evaluate hospitals: indicator matrix -> shrinkage -> normalisation -> scores, ranks, grades, year-on-year.

Reads ``indicator_values`` (hospital level, one year) and ``hospitals``; writes ``evaluation_scores``
(contract columns plus ``period``, ``score_previous``, ``score_change``) and ``evaluation_points``
(per hospital x indicator: value used, normalised value, points earned and the maximum), then rebuilds
``evaluation_indicator_scores`` (the national-style points, for the dashboard). Everything is Ibis
expressions and warehouse verbs, so the same code runs on DuckDB and on Spark.

Examples
--------
>>> from hospeval.evaluate.engine import peer_group_expr
>>> import ibis
>>> h = ibis.table({"level": "string", "category": "string"}, name="hospitals")
>>> peer_group_expr(h, ("level", "category")).op().dtype.is_string()
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.errors import WarehouseError
from hospeval.evaluate import methods
from hospeval.evaluate.spec import METHODS, EvaluationConfig, load_config
from hospeval.evaluate.store import drop_legacy_view
from hospeval.indicators.spec import IndicatorSet, load_set
from hospeval.warehouse import Warehouse

SCORES_TABLE = "evaluation_scores"
POINTS_TABLE = "evaluation_points"
INDICATOR_SCORES_TABLE = "evaluation_indicator_scores"
SCORE_COLUMNS = ("run_id", "indicator_set", "method", "hospital_id", "peer_group", "score", "rank", "grade",
                 "percentile", "period", "score_previous", "score_change")
POINT_COLUMNS = ("run_id", "indicator_set", "method", "hospital_id", "peer_group", "period", "indicator_id",
                 "raw_value", "value", "reliability", "normalised", "position", "weight_share", "points",
                 "max_points")
SCORES_SCHEMA = ibis.schema({"run_id": "string", "indicator_set": "string", "method": "string",
                             "hospital_id": "string", "peer_group": "string", "score": "float64",
                             "rank": "int64", "grade": "string", "percentile": "float64", "period": "string",
                             "score_previous": "float64", "score_change": "float64"})
POINTS_SCHEMA = ibis.schema({"run_id": "string", "indicator_set": "string", "method": "string",
                             "hospital_id": "string", "peer_group": "string", "period": "string",
                             "indicator_id": "string", **dict.fromkeys(POINT_COLUMNS[7:], "float64")})


def peer_group_expr(hospitals: ir.Table, keys: Sequence[str]) -> ir.StringValue:
    """Peer group label, e.g. ``3-general`` for level x category."""
    parts = [hospitals[k].cast("string").fill_null("?") for k in keys]
    out = parts[0]
    for p in parts[1:]:
        out = out + "-" + p
    return out


def _indicators_name(set_id: str) -> str:
    return f"_hospeval_eval_indicators_{set_id}"


def _matrix_name(set_id: str, period: str) -> str:
    return f"_hospeval_eval_matrix_{set_id}_{period}"


def indicator_table(wh: Warehouse, indicator_set: IndicatorSet) -> ir.Table:
    """Return the scored indicators of a set as a temporary table (weights as shares summing to 1)."""
    inds = [i for i in indicator_set.indicators if i.computable and i.weight > 0]
    total = sum(i.weight for i in inds) or 1.0
    numeric = [i.target if i.target and i.target.op in (">=", "<=", ">", "<") else None for i in inds]
    return wh.scratch(_indicators_name(indicator_set.id), pa.table({
        "indicator_id": [i.id for i in inds],
        "direction": [i.direction for i in inds],
        "weight_share": [i.weight / total for i in inds],
        "scale": [1.0 if i.transform else i.scale for i in inds],
        "shrink": [i.shrink for i in inds],
        "target_op": pa.array([t.op if t else None for t in numeric], pa.string()),
        "target_value": pa.array([float(t.value) if t else None for t in numeric], pa.float64()),
    }))


def indicator_matrix(wh: Warehouse, indicator_set: IndicatorSet, period: str,
                     config: EvaluationConfig | None = None, values: ir.Table | None = None) -> ir.Table:
    """Hospitals x indicators of one set and year, with values (NULL where missing) and peer groups.

    Hospitals are those with at least one value of the set in ``period``. ``values`` defaults to
    ``indicator_values``; tests and the benchmark may pass any table with the same columns.
    """
    config = config or load_config()
    if values is None:
        wh.require("indicator_values")
        values = wh.table("indicator_values")
    wh.require("hospitals")
    v = values.filter((values.indicator_set == indicator_set.id) & (values.level == "hospital")
                      & (values.period == period))
    expected = v.expected.cast("float64") if "expected" in v.columns else ibis.null("float64")
    v = v.select(v_hosp=v.hospital_id, v_ind=v.indicator_id, numerator=v.numerator.cast("float64"),
                 denominator=v.denominator.cast("float64"), value=v.value.cast("float64"), expected=expected)
    h = wh.table("hospitals")
    h = h.select("hospital_id", peer_group=peer_group_expr(h, config.peer_group))
    present = v.select(p_hosp=v.v_hosp).distinct()
    h = h.join(present, h.hospital_id == present.p_hosp).drop("p_hosp")
    grid = h.cross_join(indicator_table(wh, indicator_set))
    m = grid.left_join(v, [grid.hospital_id == v.v_hosp, grid.indicator_id == v.v_ind]).drop("v_hosp", "v_ind")
    return m


@dataclass
class EvaluationRun:
    """What one evaluation wrote."""

    run_id: str
    indicator_set: str
    period: str
    methods: list[str]
    hospitals: int = 0


def evaluate_set(wh: Warehouse, indicator_set: IndicatorSet, period: str, methods_: Sequence[str],
                 config: EvaluationConfig, values: ir.Table | None = None) -> tuple[ir.Table, ir.Table]:
    """Scores (with rank, percentile, grade) and per-indicator points of one set and year, all methods."""
    # Each step is stored before the next: every step joins its input to aggregates of itself, so one
    # expression of all three repeats the grid 16 times (Spark plans and runs that 5x slower).
    name = _matrix_name(indicator_set.id, period)
    m = wh.scratch(name + "_grid", indicator_matrix(wh, indicator_set, period, config, values))
    wh.drop(_indicators_name(indicator_set.id))  # now copied into the grid
    m = wh.scratch(name + "_shrunk", methods.shrink_rates(m))
    wh.drop(name + "_grid")
    m = wh.scratch(name, methods.normalise(m))
    wh.drop(name + "_shrunk")
    point_parts = []
    for method in methods_:
        pts = methods.method_points(m, method, config.national_total_points)
        point_parts.append(pts.select(
            method=ibis.literal(method), hospital_id=pts.hospital_id, peer_group=pts.peer_group,
            indicator_id=pts.indicator_id, raw_value=pts.raw_value, value=pts.value,
            reliability=pts.reliability, normalised=pts.normalised, position=pts.position,
            weight_share=pts.weight_share, points=pts.points.cast("float64"),
            max_points=pts.max_points.cast("float64")))
    pts = wh.scratch(name + "_points", ibis.union(*point_parts))
    # An additive method's score is the sum of its points (as methods.scores computes it), taken here from
    # the stored points for all methods at once; TOPSIS has no additive points.
    additive = pts.filter(pts.method != "topsis")
    score_parts = [additive.group_by(["method", "hospital_id", "peer_group"])
                   .aggregate(score=additive.points.sum().cast("float64"))]
    if "topsis" in methods_:
        t = methods.topsis_scores(m)
        score_parts.append(t.select(method=ibis.literal("topsis"), hospital_id=t.hospital_id,
                                    peer_group=t.peer_group, score=t.score.cast("float64")))
    bands = [(b.grade, b.min_percentile) for b in config.grades]
    return methods.rank_and_grade(ibis.union(*score_parts), bands, by=("method",)), pts


def _has_values(wh: Warehouse, set_id: str, period: str) -> bool:
    return bool(wh.count("indicator_values", {"indicator_set": set_id, "period": period, "level": "hospital"}))


def evaluate_hospitals(wh: Warehouse, set_id: str, period: str, methods_: Sequence[str] = METHODS,
                       config: EvaluationConfig | None = None, *, indicator_scores: bool = True) -> EvaluationRun:
    """Score, rank and grade every hospital on one indicator set for one year; write the results.

    The previous year is scored the same way (when it has indicator values) to give ``score_change``.
    ``indicator_scores=False`` leaves ``evaluation_indicator_scores`` to the caller: a caller evaluating
    several sets rebuilds it once with :func:`write_indicator_scores` after the last (it is derived from
    every set's points, so rebuilding it after each set only repeats a write).
    """
    config = config or load_config()
    for method in methods_:
        if method not in METHODS:
            raise WarehouseError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    indicator_set = load_set(set_id)
    wh.require("indicator_values", "hospitals")
    if not _has_values(wh, set_id, period):
        raise WarehouseError(f"no hospital-level indicator values of set {set_id!r} for period {period!r}; "
                             f"run `hospeval indicators run --set {set_id}` first")
    run = EvaluationRun(run_id=hashlib.sha1(f"{set_id}|{indicator_set.version}|{period}|{','.join(methods_)}"
                                            .encode()).hexdigest()[:16],
                        indicator_set=set_id, period=period, methods=list(methods_))
    prev_period = _previous(period)
    try:
        s, pts = evaluate_set(wh, indicator_set, period, methods_, config)
        if _has_values(wh, set_id, prev_period):
            ps, _ = evaluate_set(wh, indicator_set, prev_period, methods_, config)
            ps = ps.select(p_hosp=ps.hospital_id, p_method=ps.method, score_previous=ps.score)
            s = s.left_join(ps, [s.hospital_id == ps.p_hosp, s.method == ps.p_method]).drop("p_hosp", "p_method")
        else:
            s = s.mutate(score_previous=ibis.null("float64"))
        s = s.mutate(score_change=s.score - s.score_previous)
        run.hospitals = _write(wh, run, s, pts)
        if indicator_scores:
            write_indicator_scores(wh)
    finally:
        for p in (period, prev_period):
            wh.drop(_matrix_name(set_id, p))
            wh.drop(_matrix_name(set_id, p) + "_points")
    return run


def _previous(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def _write(wh: Warehouse, run: EvaluationRun, s: ir.Table, pts: ir.Table) -> int:
    """Replace this set and year's rows of the result tables; return the number of hospitals scored.

    Scores are first stored as a work table (results-sized: hospitals x methods) so that the write and the
    hospital count do not recompute them; ``pts`` is a work table already.
    """
    stamp = {"run_id": ibis.literal(run.run_id), "indicator_set": ibis.literal(run.indicator_set),
             "period": ibis.literal(run.period)}
    where = {"indicator_set": run.indicator_set, "period": run.period}
    try:
        scores = wh.scratch("_hospeval_eval_scores", s.select(
            "method", "hospital_id", "peer_group", "score", "rank", "grade", "percentile", "score_previous",
            "score_change").mutate(**stamp))
        with wh.transaction():
            wh.replace_rows(SCORES_TABLE, scores.select(*SCORE_COLUMNS), where, schema=SCORES_SCHEMA)
            wh.replace_rows(POINTS_TABLE, pts.mutate(**stamp).select(*POINT_COLUMNS), where, schema=POINTS_SCHEMA)
        hospitals = int(wh.to_arrow(scores.aggregate(n=scores.hospital_id.nunique()))["n"][0].as_py())
    finally:
        wh.drop("_hospeval_eval_scores")
    return hospitals


def write_indicator_scores(wh: Warehouse) -> int:
    """Rebuild ``evaluation_indicator_scores``, the dashboard's "points lost per indicator".

    A table derived from the national-exam-style rows of ``evaluation_points`` (every set and year),
    rebuilt on every evaluate run rather than a view, so that it exists on both engines and travels with
    the other result tables.
    """
    p = wh.table(POINTS_TABLE)
    p = p.filter(p.method == "national")
    drop_legacy_view(wh, INDICATOR_SCORES_TABLE)
    return wh.replace(INDICATOR_SCORES_TABLE, p.select(
        "run_id", "indicator_set", "period", "hospital_id", "indicator_id", weight=p.weight_share,
        score=p.points, points_lost=p.max_points - p.points))
