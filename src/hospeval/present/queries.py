"""What the dashboard and the reports show, as Ibis expressions over the contract tables.

Two summaries carry the heavy lifting; ``hospeval present`` materialises them as warehouse tables
(``present_stay_summary``, ``present_referral_flows``) so that pages stay fast on tens of millions of
stays; until then the same expressions run live over ``stays`` and ``stay_groups``.

DRG performance figures (国家三级公立医院绩效考核 / DRG 评价 conventions):

* CMI = sum(stays x relative weight) / grouped stays
* cost index (费用消耗指数) = sum over DRGs of (hospital cost sum / reference mean cost) / grouped stays
* time index (时间消耗指数) = the same with length of stay
* low-risk mortality (低风险组死亡率) = deaths in risk grade 1 DRGs / stays in risk grade 1 DRGs
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import ibis

from hospeval.present.db import Params, Reader
from hospeval.present.scope import Scope
from hospeval.present.tables import NotComputed

DEFAULT_SCHEME = "chs-drg-1.1"
SUMMARY = "present_stay_summary"
FLOWS = "present_referral_flows"
PAYMENTS = "present_payment_summary"
# Smaller roll-ups of the stay summary, used when a question needs only their dimensions.
ROLLUPS = {"present_summary_hospital_month_drg": ("hospital_id", "period", "drg"),
           "present_summary_hospital_drg": ("hospital_id", "drg")}
SOURCES = "present_summary_sources"
SOURCE_TABLES = ("stays", "stay_groups", "drg_reference", "payment_settlements")
DIMENSIONS = ("hospital_id", "dept", "doctor", "period", "drg")
F = TypeVar("F", bound=Callable[..., Any])


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def cached(fn: F) -> F:
    """Keep a query's result until the warehouse changes, keyed by the scope's hospitals and the arguments.

    Users with the same scope share results; building and compiling the Ibis expression is skipped too.
    """

    @functools.wraps(fn)
    def wrapper(reader: Reader, scope: Scope, *args: Any, **kwargs: Any) -> Any:
        key = (fn.__name__, scope.hospitals, _freeze(list(args)), _freeze(kwargs))
        return reader.memo(key, lambda: fn(reader, scope, *args, **kwargs))

    return wrapper  # type: ignore[return-value]


def stay_summary_expr(reader: Reader, scheme: str | ibis.Expr) -> ibis.Table:
    """Stays aggregated by hospital, department, doctor, month and DRG (the live form of the summary)."""
    if not reader.has("stays"):
        raise NotComputed("stays", "hospeval ingest")
    stays = reader.table("stays")
    base = stays.select(
        hospital_id=stays.hospital_id, stay_id=stays.stay_id, dept=stays.discharge_dept,
        doctor=stays.attending_doctor, period=stays.discharge_time.strftime("%Y-%m"),
        death=(stays.discharge_disposition == "5").cast("int64"),
        cost=stays.cost_total.cast("float64"), los=stays.los_days.cast("float64"))
    if reader.has("stay_groups"):
        groups = reader.table("stay_groups")
        groups = groups.filter((groups.scheme == scheme) & (groups.status == "grouped")).select(
            g_stay_id=groups.stay_id, drg=groups.drg)
        base = base.left_join(groups, base.stay_id == groups.g_stay_id).drop("g_stay_id")
    else:
        base = base.mutate(drg=ibis.null("string"))
    return base.group_by(list(DIMENSIONS)).aggregate(
        stays=base.stay_id.count(), deaths=base.death.sum(), cost_sum=base.cost.sum(), los_sum=base.los.sum())


def referral_flows_expr(reader: Reader) -> ibis.Table:
    """Stays transferred out on medical advice (离院方式 2 / 3), by hospital, receiving institution and month."""
    if not reader.has("stays"):
        raise NotComputed("stays", "hospeval ingest")
    stays = reader.table("stays")
    out = stays.filter(stays.discharge_disposition.isin(["2", "3"]) & stays.receiving_institution.notnull())
    out = out.mutate(period=out.discharge_time.strftime("%Y-%m"))
    return out.group_by(["hospital_id", "receiving_institution", "discharge_disposition", "period"]).aggregate(
        stays=out.count())


def source_rows(reader: Reader, table: str) -> int:
    """Return the row count of ``table`` (-1 when it does not exist)."""
    return int(reader.scalar(reader.table(table).count())) if reader.has(table) else -1


def summaries_fresh(reader: Reader) -> bool:
    """Return true when the sources of the materialised summaries have the row counts they had when built."""
    if not reader.has(SOURCES):
        return False

    def check() -> bool:
        stored = {r["source"]: r["rows"] for r in reader.records(reader.table(SOURCES))}
        return all(stored.get(t) == source_rows(reader, t) for t in SOURCE_TABLES)

    return reader.memo(("summaries_fresh",), check)


def summary_covers(reader: Reader, scheme: str) -> bool:
    """Return true when the materialised summary exists, is fresh and holds ``scheme``."""
    if not reader.has(SUMMARY) or not summaries_fresh(reader):
        return False

    def check() -> bool:
        t = reader.table(SUMMARY)
        return bool(reader.scalar(t.filter(t.scheme == scheme).count()))

    return reader.memo(("summary_covers", scheme), check)


def source(reader: Reader, name: str, scheme: str | ibis.Expr = DEFAULT_SCHEME, *,
           materialised: bool | None = None) -> ibis.Table:
    """Return the materialised summary when it exists (and fits the scheme), else its live expression."""
    if name == FLOWS:
        fresh = reader.has(FLOWS) and summaries_fresh(reader)
        return reader.table(FLOWS) if fresh else referral_flows_expr(reader)
    if materialised is None:
        materialised = isinstance(scheme, str) and summary_covers(reader, scheme)
    if materialised:
        t = reader.table(SUMMARY)
        return t.filter(t.scheme == scheme).drop("scheme")
    return stay_summary_expr(reader, scheme)


def _in_scope(table: ibis.Table, P: Params, scope: Scope, column: str = "hospital_id") -> ibis.Table:
    """Keep rows of hospitals in scope, the list being the bound parameter ``scope``."""
    if scope.hospitals is None:
        return table
    return table.filter(P.strs("scope").contains(table[column]))


def _values(scope: Scope, **values: Any) -> dict[str, Any]:
    return {"scope": sorted(scope.hospitals) if scope.hospitals is not None else None, **values}


def schemes(reader: Reader) -> list[str]:
    """DRG schemes with grouped stays (the default first)."""
    if not reader.has("stay_groups"):
        return [DEFAULT_SCHEME]
    t = reader.table("stay_groups")
    found = reader.memo(("schemes",), lambda: [r["scheme"] for r in reader.records(
        t.select("scheme").distinct().order_by("scheme"))])
    return sorted(found, key=lambda s: (s != DEFAULT_SCHEME, s)) or [DEFAULT_SCHEME]


def reference(reader: Reader, scheme: str | ibis.Expr) -> ibis.Table | None:
    """Return the newest ``drg_reference`` version of ``scheme`` (None before ``hospeval reference``)."""
    if not reader.has("drg_reference"):
        return None
    ref = reader.table("drg_reference")
    ref = ref.filter(ref.scheme == scheme)
    newest = ref.aggregate(v=ref.version.max())
    ref = ref.inner_join(newest, ref.version == newest.v)
    return ref.select(r_drg=ref.drg, weight=ref.relative_weight.cast("float64"),
                      ref_cost=ref.mean_cost.cast("float64"), ref_los=ref.mean_los.cast("float64"),
                      risk_grade=ref.risk_grade.cast("int64"))


def rollup_for(reader: Reader, columns: set[str]) -> str:
    """Return the smallest materialised summary having every column in ``columns``."""
    for name, dims in sorted(ROLLUPS.items(), key=lambda item: len(item[1])):
        if columns <= set(dims) and reader.has(name):
            return name
    return SUMMARY


def _performance_expr(reader: Reader, P: Params, scope: Scope, by: list[str], where: list[str],
                      materialised: bool, order: str | None, limit: int | None) -> ibis.Table:
    if materialised:
        t = reader.table(rollup_for(reader, set(by) | set(where)))
        s = t.filter(t.scheme == P.str("scheme")).drop("scheme")
    else:
        s = stay_summary_expr(reader, P.str("scheme"))
    s = _in_scope(s, P, scope)
    for column in where:
        s = s.filter(s[column] == P.str(f"where_{column}"))
    ref = reference(reader, P.str("scheme"))
    if ref is not None:
        s = s.left_join(ref, s.drg == ref.r_drg)
        grouped = s.drg.notnull() & s.weight.notnull()
        low = s.risk_grade == 1
        metrics = dict(
            grouped=ibis.ifelse(grouped, s.stays, 0).sum(),
            weight_sum=ibis.ifelse(grouped, s.stays * s.weight, 0).sum(),
            cost_ratio=ibis.ifelse(grouped & (s.ref_cost > 0), s.cost_sum / s.ref_cost, 0).sum(),
            los_ratio=ibis.ifelse(grouped & (s.ref_los > 0), s.los_sum / s.ref_los, 0).sum(),
            low_risk_stays=ibis.ifelse(low, s.stays, 0).sum(),
            low_risk_deaths=ibis.ifelse(low, s.deaths, 0).sum(),
        )
    else:
        metrics = dict(grouped=ibis.ifelse(s.drg.notnull(), s.stays, 0).sum())
    agg = s.group_by(by).aggregate(stays=s.stays.sum(), deaths=s.deaths.sum(), cost_sum=s.cost_sum.sum(),
                                   los_sum=s.los_sum.sum(), drg_count=s.drg.nunique(), **metrics)
    out = agg.mutate(mean_cost=agg.cost_sum / agg.stays.nullif(0), mean_los=agg.los_sum / agg.stays.nullif(0),
                     mortality=agg.deaths / agg.stays.nullif(0))
    if ref is not None:
        g = out.grouped.nullif(0)
        out = out.mutate(cmi=out.weight_sum / g, cost_index=out.cost_ratio / g, time_index=out.los_ratio / g,
                         low_risk_mortality=out.low_risk_deaths / out.low_risk_stays.nullif(0))
    out = out.order_by([ibis.desc(order), *by] if order else by)
    return out.limit(limit) if limit else out


@cached
def performance(reader: Reader, scope: Scope, by: list[str], *, scheme: str = DEFAULT_SCHEME,
                where: dict[str, str] | None = None, order: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    """DRG performance figures grouped by ``by`` (a subset of hospital_id, dept, doctor, period, drg)."""
    where = where or {}
    columns = sorted(where)
    materialised = summary_covers(reader, scheme)
    if not materialised and not reader.has("stays"):
        raise NotComputed("stays", "hospeval ingest")
    shape = ("performance", scope.unrestricted, tuple(by), tuple(columns), materialised,
             materialised and rollup_for(reader, set(by) | set(columns)), order, limit)
    return reader.query(shape, lambda P: _performance_expr(reader, P, scope, list(by), columns, materialised,
                                                           order, limit),
                        _values(scope, scheme=scheme, **{f"where_{c}": where[c] for c in columns}))


@cached
def drg_mix(reader: Reader, scope: Scope, hospital_id: str, scheme: str, limit: int = 30) -> list[dict]:
    """Return the hospital's DRGs by stays, with the reference weight and mean cost beside its own."""
    rows = performance(reader, scope, ["drg"], scheme=scheme, where={"hospital_id": hospital_id},
                       order="stays", limit=limit + 1)
    standards: dict[str, dict] = {}
    if reader.has("drg_reference"):
        standards = {r["r_drg"]: r for r in reader.query(
            ("reference",), lambda P: reference(reader, P.str("scheme")), {"scheme": scheme})}
    for row in rows:
        row.update({k: v for k, v in standards.get(row["drg"], {}).items() if k != "r_drg"})
    return [r for r in rows if r["drg"] is not None][:limit]


@cached
def hospitals(reader: Reader, scope: Scope) -> list[dict[str, Any]]:
    """Hospitals in scope."""
    if not reader.has("hospitals"):
        raise NotComputed("hospitals", "hospeval ingest")
    return reader.query(("hospitals", scope.unrestricted), lambda P: _in_scope(
        reader.table("hospitals"), P, scope).order_by(["level", "hospital_id"]), _values(scope))


@cached
def hospital(reader: Reader, scope: Scope, hospital_id: str) -> dict[str, Any] | None:
    """One hospital's row (scope checked by the caller)."""
    if not reader.has("hospitals"):
        return None

    def build(P: Params) -> ibis.Table:
        t = reader.table("hospitals")
        return t.filter(t.hospital_id == P.str("hospital_id"))

    rows = reader.query(("hospital",), build, {"hospital_id": hospital_id})
    return rows[0] if rows else None


@cached
def hospitals_by_grade(reader: Reader, scope: Scope) -> list[dict[str, Any]]:
    """Count of hospitals by level and category."""
    def build(P: Params) -> ibis.Table:
        t = _in_scope(reader.table("hospitals"), P, scope)
        return t.group_by(["level", "category"]).aggregate(hospital_count=t.count(), beds=t.beds.sum()).order_by(
            [ibis.desc("level"), "category"])

    return reader.query(("by_grade", scope.unrestricted), build, _values(scope))


@cached
def latest_scores(reader: Reader, scope: Scope, hospital_id: str | None = None) -> list[dict[str, Any]]:
    """Return the evaluation scores of the newest run, by peer group and rank."""
    if not reader.has("evaluation_scores"):
        raise NotComputed("evaluation_scores", "hospeval evaluate")
    with_names = reader.has("hospitals")

    def build(P: Params) -> ibis.Table:
        t = _in_scope(reader.table("evaluation_scores"), P, scope)
        newest = reader.table("evaluation_scores").aggregate(r=lambda x: x.run_id.max())
        t = t.inner_join(newest, t.run_id == newest.r).drop("r")
        if hospital_id:
            t = t.filter(t.hospital_id == P.str("hospital_id"))
        if with_names:
            h = reader.table("hospitals").select(h_id="hospital_id", hospital_name="name", level="level")
            t = t.left_join(h, t.hospital_id == h.h_id).drop("h_id")
        return t.order_by(["indicator_set", "method", "peer_group", "rank", "hospital_id"])

    shape = ("latest_scores", scope.unrestricted, hospital_id is None, with_names)
    return reader.query(shape, build, _values(scope, hospital_id=hospital_id))


def _newest_run_of_hospital(reader: Reader, table: str, P: Params, extra: Callable | None = None) -> ibis.Table:
    t = reader.table(table)
    t = t.filter(t.hospital_id == P.str("hospital_id"))
    if extra is not None:
        t = t.filter(extra(t))
    newest = t.aggregate(r=t.run_id.max())
    return t.inner_join(newest, t.run_id == newest.r).drop("r")


@cached
def indicator_points(reader: Reader, scope: Scope, hospital_id: str) -> list[dict[str, Any]]:
    """Points per indicator of one hospital (``evaluation_indicator_scores``), biggest loss first."""
    if not reader.has("evaluation_indicator_scores"):
        raise NotComputed("evaluation_indicator_scores", "hospeval evaluate")
    has_points = "points_lost" in reader.schema("evaluation_indicator_scores").names

    def build(P: Params) -> ibis.Table:
        t = _newest_run_of_hospital(reader, "evaluation_indicator_scores", P)
        return t.order_by([ibis.desc("points_lost"), "indicator_id"] if has_points else ["indicator_id"])

    return reader.query(("indicator_points", has_points), build, {"hospital_id": hospital_id})


@cached
def indicator_values(reader: Reader, scope: Scope, hospital_id: str, limit: int = 200) -> list[dict]:
    """Return the hospital-level indicator values of one hospital (newest run)."""
    if not reader.has("indicator_values"):
        raise NotComputed("indicator_values", "hospeval indicators")

    def build(P: Params) -> ibis.Table:
        t = _newest_run_of_hospital(reader, "indicator_values", P, lambda x: x.level == "hospital")
        return t.order_by(["indicator_set", "indicator_id", "period"]).limit(limit)

    return reader.query(("indicator_values", limit), build, {"hospital_id": hospital_id})


@cached
def quality_summary(reader: Reader, scope: Scope, hospital_id: str) -> list[dict[str, Any]]:
    """Whole-hospital quality scores of one hospital."""
    if not reader.has("quality_scores"):
        raise NotComputed("quality_scores", "hospeval quality")

    def build(P: Params) -> ibis.Table:
        t = reader.table("quality_scores")
        return t.filter((t.hospital_id == P.str("hospital_id")) & t.dept.isnull()).order_by("indicator")

    return reader.query(("quality_summary",), build, {"hospital_id": hospital_id})


@cached
def consortia(reader: Reader, scope: Scope) -> list[dict[str, Any]]:
    """Consortia in scope with their member hospitals."""
    def build(P: Params) -> ibis.Table:
        t = _in_scope(reader.table("hospitals"), P, scope)
        t = t.filter(t.consortium_id.notnull())
        return t.select("consortium_id", "consortium_role", "hospital_id", "name", "level", "district").order_by(
            ["consortium_id", "consortium_role", "hospital_id"])

    return reader.query(("consortia", scope.unrestricted), build, _values(scope))


@cached
def referral_flows(reader: Reader, scope: Scope, limit: int = 200) -> list[dict[str, Any]]:
    """Transfers out by sending hospital and receiving institution (matched to a hospital by name)."""
    with_names = reader.has("hospitals")

    def build(P: Params) -> ibis.Table:
        f = _in_scope(source(reader, FLOWS), P, scope)
        f = f.group_by(["hospital_id", "receiving_institution", "discharge_disposition"]).aggregate(
            stays=f.stays.sum())
        if with_names:
            h = reader.table("hospitals")
            sender = h.select(s_id="hospital_id", sender_name="name", sender_consortium="consortium_id")
            receiver = h.select(r_name="name", receiver_id="hospital_id", receiver_consortium="consortium_id")
            f = f.left_join(sender, f.hospital_id == sender.s_id).drop("s_id")
            f = f.left_join(receiver, f.receiving_institution == receiver.r_name).drop("r_name")
        return f.order_by([ibis.desc("stays"), "hospital_id", "receiving_institution"]).limit(limit)

    shape = ("referral_flows", scope.unrestricted, with_names, reader.has(FLOWS) and summaries_fresh(reader), limit)
    return reader.query(shape, build, _values(scope))


@cached
def referral_facts(reader: Reader, scope: Scope) -> list[dict[str, Any]]:
    """Referral counts reported in ``hospital_facts`` (up / down), summed over periods."""
    if not reader.has("hospital_facts"):
        return []

    def build(P: Params) -> ibis.Table:
        t = _in_scope(reader.table("hospital_facts"), P, scope)
        t = t.filter(t.metric.isin(["referrals_up", "referrals_down_outpatient", "referrals_down_inpatient"]))
        return t.group_by(["hospital_id", "metric"]).aggregate(value=t.value.sum()).order_by(
            ["hospital_id", "metric"])

    return reader.query(("referral_facts", scope.unrestricted), build, _values(scope))


def payment_summary_expr(reader: Reader) -> ibis.Table:
    """Settlements of the newest payment run, summed by scheme, hospital, group and case type."""
    t = reader.table("payment_settlements")
    newest = t.aggregate(r=t.run_id.max())
    t = t.inner_join(newest, t.run_id == newest.r).drop("r")
    keys = [c for c in ("scheme", "hospital_id", "drg", "dip_group", "case_type") if c in t.columns]
    return t.group_by(keys).aggregate(cases=t.count(), cost=t.cost.cast("float64").sum(),
                                      payment=t.payment.cast("float64").sum())


@cached
def payment_by(reader: Reader, scope: Scope, by: str, *, factor: float = 1.0, hospital_id: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
    """Payment totals by ``by`` (drg / dip_group / hospital_id / case_type), with a what-if factor.

    The what-if multiplies every payment by ``factor`` (a change of the base rate or point value) and
    recomputes the surplus as payment - cost.
    """
    if not reader.has("payment_settlements"):
        raise NotComputed("payment_settlements", "hospeval payment")
    if by not in reader.schema("payment_settlements").names:
        return []
    stored = reader.has(PAYMENTS) and summaries_fresh(reader)

    def build(P: Params) -> ibis.Table:
        t = reader.table(PAYMENTS) if stored else payment_summary_expr(reader)
        t = _in_scope(t, P, scope)
        if hospital_id:
            t = t.filter(t.hospital_id == P.str("hospital_id"))
        agg = t.group_by(by).aggregate(cases=t.cases.sum(), cost=t.cost.sum(), payment=t.payment.sum())
        agg = agg.mutate(surplus=agg.payment - agg.cost, what_if_surplus=agg.payment * P.num("factor") - agg.cost)
        return agg.order_by([agg.surplus, by]).limit(limit)

    shape = ("payment_by", scope.unrestricted, by, hospital_id is None, limit, stored)
    return reader.query(shape, build, _values(scope, factor=float(factor), hospital_id=hospital_id))
