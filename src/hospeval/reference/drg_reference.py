"""The DRG reference table (``drg_reference``): weights, reference means and mortality risk grades.

From a reference population (``stays`` joined to ``stay_groups`` for one scheme, grouped stays only,
optionally restricted to periods and hospitals), per DRG g:

- ``n_stays``: grouped stays of g; ``n_trimmed``: those left out of the cost and LOS means (cost outside
  the trimming bounds of g, or cost missing / zero / negative);
- ``mean_cost`` = trimmed mean cost of g; ``mean_los`` = mean LOS of the same kept stays;
- ``relative_weight`` RW_g = mean_cost_g / M, M = mean cost of every kept stay of the population
  (so Σ_g n_kept,g · RW_g / Σ_g n_kept,g = 1);
- ``mortality`` m_g = deaths / n_stays over *all* stays of g (deaths are never trimmed);
- ``risk_grade``: 0 when g has no death; else z_g = (ln m_g − mean) / SD over the DRGs with deaths,
  1 (低风险) z < −1, 2 (中低风险) −1 ≤ z < 0, 3 (中高风险) 0 ≤ z < 1, 4 (高风险) z ≥ 1. When the SD is
  undefined or zero (one DRG with deaths, or all equal) z is taken as 0 (grade 3).

Every step is "aggregate, then join" in Ibis; nothing loops over stays or DRGs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.errors import SchemaError
from hospeval.reference.spec import (
    Population,
    ReferencePolicy,
    ReferencePopulationError,
    load_reference_policy,
)
from hospeval.reference.store import materialised, replace_rows
from hospeval.reference.trim import flag_kept
from hospeval.warehouse import Warehouse

RISK_GRADES = {0: "无死亡 none-death", 1: "低风险 low", 2: "中低风险 mid-low", 3: "中高风险 mid-high",
               4: "高风险 high"}


@dataclass(frozen=True)
class ReferenceBuild:
    """What :func:`build_drg_reference` wrote."""

    scheme: str
    version: str
    n_drgs: int
    n_stays: int
    n_trimmed: int
    mean_cost_all: float | None
    grade_counts: dict[int, int]


def period_filter(time: ir.TimestampValue, periods: tuple[str, ...]) -> ir.BooleanValue:
    """Return true when ``time`` falls in one of ``periods`` (``YYYY`` or ``YYYY-MM``)."""
    conditions = []
    for period in periods:
        cond = time.year() == int(period[:4])
        if len(period) == 7:
            cond = cond & (time.month() == int(period[5:]))
        conditions.append(cond)
    out = conditions[0]
    for cond in conditions[1:]:
        out = out | cond
    return out


def filter_stays(stays: ir.Table, population: Population) -> ir.Table:
    """Restrict ``stays`` to the population's periods and hospitals."""
    if population.hospitals:
        stays = stays.filter(stays.hospital_id.isin(list(population.hospitals)))
    if population.periods:
        stays = stays.filter(period_filter(stays.discharge_time, population.periods))
    return stays


def reference_stays(stays: ir.Table, stay_groups: ir.Table, population: Population,
                    policy: ReferencePolicy) -> ir.Table:
    """One row per grouped stay of the population: stay_id, drg, cost, los, death."""
    if policy.cost_column not in stays.columns:
        raise SchemaError(f"stays has no cost column {policy.cost_column!r}", file=policy.source,
                          field="cost_column")
    groups = stay_groups.filter(
        (stay_groups.scheme == population.scheme) & (stay_groups.status == "grouped")
        & stay_groups.drg.notnull()
    ).select("stay_id", "drg")
    chosen = filter_stays(stays, population)
    joined = chosen.join(groups, "stay_id")
    death = policy.risk_grade.death_disposition
    return joined.select(
        "stay_id",
        "drg",
        cost=joined[policy.cost_column].cast("float64"),
        los=joined.los_days.cast("float64"),
        death=(joined.discharge_disposition == death).fill_null(False),
    )


def risk_grade(z: ir.FloatingValue) -> ir.IntegerValue:
    """Grade 1-4 from the z-score of ln(mortality) (NULL z stays NULL)."""
    return ibis.cases((z < -1, 1), (z < 0, 2), (z < 1, 3), else_=4).cast("int32")


def drg_reference_expr(ref: ir.Table, policy: ReferencePolicy, scheme: str, version: str) -> ir.Table:
    """Compile the reference table of one population (see the module docstring for the formulas)."""
    flagged = flag_kept(ref, ["drg"], "cost", policy.trim, policy.percentiles)
    per = flagged.group_by("drg").aggregate(
        n_stays=flagged.count(),
        n_kept=flagged.count(where=flagged.kept),
        cost_sum=flagged.cost.sum(where=flagged.kept),
        mean_los=flagged.los.mean(where=flagged.kept),
        deaths=flagged.count(where=flagged.death),
    )
    per = per.mutate(mortality=per.deaths.cast("float64") / per.n_stays)
    overall = per.aggregate(all_cost=per.cost_sum.sum(), all_kept=per.n_kept.sum())
    overall = overall.select(
        mean_cost_all=ibis.ifelse(overall.all_kept > 0, overall.all_cost / overall.all_kept, ibis.null())
    )
    with_deaths = per.filter(per.deaths > 0)
    ln_m = with_deaths.mortality.ln()
    dist = with_deaths.aggregate(ln_mean=ln_m.mean(), ln_sd=ln_m.std(how=policy.risk_grade.sd))
    t = per.cross_join(overall).cross_join(dist)
    mean_cost = ibis.ifelse(t.n_kept > 0, t.cost_sum / t.n_kept, ibis.null("float64"))
    usable_sd = t.ln_sd.notnull() & (t.ln_sd > 0)
    z = ibis.ifelse(usable_sd, (t.mortality.ln() - t.ln_mean) / t.ln_sd, ibis.literal(0.0))
    return t.select(
        scheme=ibis.literal(scheme),
        version=ibis.literal(version),
        drg=t.drg,
        n_stays=t.n_stays.cast("int64"),
        n_trimmed=(t.n_stays - t.n_kept).cast("int64"),
        relative_weight=mean_cost / t.mean_cost_all,
        mean_cost=mean_cost,
        mean_los=t.mean_los,
        mortality=t.mortality,
        risk_grade=ibis.ifelse(t.deaths > 0, risk_grade(z), ibis.literal(0).cast("int32")),
    )


def build_drg_reference(wh: Warehouse, population: Population, version: str,
                        policy: ReferencePolicy | None = None) -> ReferenceBuild:
    """Compute ``drg_reference`` for one (scheme, version) and store it, replacing that version only.

    Raises
    ------
    ReferencePopulationError
        When the population has no grouped stay.
    """
    policy = policy or load_reference_policy()
    ref = reference_stays(wh.table("stays"), wh.table("stay_groups"), population, policy)
    # The population is read several times (bounds, means, overall mean): join it once, keep it cached.
    with materialised(wh, ref, "reference_population") as cached:
        n_stays = int(wh.to_arrow(cached.aggregate(n=cached.count()))["n"][0].as_py())
        if n_stays == 0:
            raise ReferencePopulationError(
                f"no grouped stays in stay_groups for {population.describe()}", field="scheme"
            )
        expr = drg_reference_expr(cached, policy, population.scheme, version)
        replace_rows(wh, "drg_reference", expr, {"scheme": population.scheme, "version": version})
    return _record_version(wh, population, version, policy)


def _record_version(wh: Warehouse, population: Population, version: str,
                    policy: ReferencePolicy) -> ReferenceBuild:
    """Write the provenance row of one version and return its figures."""
    table = wh.table("drg_reference")
    rows = table.filter((table.scheme == population.scheme) & (table.version == version))
    kept = rows.n_stays - rows.n_trimmed
    figures = wh.to_arrow(rows.aggregate(
        n_drgs=rows.count(),
        n_stays=rows.n_stays.sum(),
        n_trimmed=rows.n_trimmed.sum(),
        mean_cost_all=(rows.mean_cost * kept).sum() / kept.sum().nullif(0),
        n_death_drgs=rows.count(where=rows.risk_grade > 0),
    )).to_pylist()[0]
    grades = wh.to_arrow(rows.group_by("risk_grade").aggregate(n=rows.count())).to_pylist()
    record = pa.table({
        "scheme": [population.scheme], "version": [version],
        "built_at": [datetime.now(UTC).replace(tzinfo=None)],
        "population": [population.describe()], "policy": [json.dumps(policy.to_dict(), ensure_ascii=False)],
        **{name: [figures[name]] for name in ("n_stays", "n_drgs", "mean_cost_all", "n_death_drgs")},
    })
    replace_rows(wh, "drg_reference_versions", record, {"scheme": population.scheme, "version": version})
    return ReferenceBuild(
        scheme=population.scheme, version=version, n_drgs=int(figures["n_drgs"]),
        n_stays=int(figures["n_stays"] or 0), n_trimmed=int(figures["n_trimmed"] or 0),
        mean_cost_all=figures["mean_cost_all"],
        grade_counts={int(g["risk_grade"]): int(g["n"]) for g in grades},
    )


def reference_versions(wh: Warehouse, scheme: str | None = None) -> pa.Table:
    """Return the stored versions of ``drg_reference`` (provenance rows), newest first."""
    if not wh.has_table("drg_reference_versions"):
        return pa.table({"scheme": pa.array([], pa.string()), "version": pa.array([], pa.string())})
    table = wh.table("drg_reference_versions")
    if scheme:
        table = table.filter(table.scheme == scheme)
    return wh.to_arrow(table.drop("policy").order_by([ibis.desc("built_at"), "scheme", "version"]))


def reference_rows(wh: Warehouse, scheme: str, version: str, drg: str | None = None) -> pa.Table:
    """Return the rows of one (scheme, version) of ``drg_reference``, by DRG (optionally one DRG)."""
    wh.require("drg_reference")
    table = wh.table("drg_reference")
    rows = table.filter((table.scheme == scheme) & (table.version == version))
    if drg:
        rows = rows.filter(rows.drg == drg)
    return wh.to_arrow(rows.order_by("drg"))
