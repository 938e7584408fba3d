"""Derive a DIP catalogue (目录库) from a reference population, set-based.

Steps (国家医疗保障按病种分值付费(DIP)技术规范, 医保办发〔2020〕50号):

1. key every reference stay (:func:`hospeval.group.dip_keys.stay_keys`); the reference population is the
   stays of the chosen periods / hospitals with a valid principal diagnosis and a positive cost;
2. count stays per (diagnosis, procedure combination); combinations with ``n >= core_min_stays`` are core
   groups (核心病种), id ``<diagnosis>|<codes>`` (``<diagnosis>|-`` when conservative);
3. every other stay falls into the comprehensive group (综合病种) of its diagnosis category and treatment
   kind, id ``<category>|*<treatment>``;
4. per group: ``n_stays``, ``mean_cost`` (over the stays kept by the policy's trimming rule; default none)
   and ``points`` = mean_cost / M × 1000, M = mean cost of every kept reference stay.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.batches import batched
from hospeval.errors import SchemaError
from hospeval.group.dip_keys import stay_keys, treatment_name
from hospeval.group.dip_spec import TREATMENT_LABELS, DipCatalogue, DipPolicy, scheme_name
from hospeval.reference.drg_reference import filter_stays
from hospeval.reference.spec import Population, ReferencePopulationError
from hospeval.reference.trim import flag_kept
from hospeval.warehouse import Warehouse


def reference_keys(stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table, population: Population,
                   policy: DipPolicy) -> ir.Table:
    """Keyed reference stays with ``cost``: valid principal diagnosis and positive cost only."""
    if policy.cost_column not in stays.columns:
        raise SchemaError(f"stays has no cost column {policy.cost_column!r}", file=policy.source,
                          field="cost_column")
    chosen = filter_stays(stays, population)
    keys = stay_keys(chosen, diagnoses, procedures, policy)
    costs = chosen.select("stay_id", cost=chosen[policy.cost_column].cast("float64"))
    joined = keys.join(costs, "stay_id")
    return joined.filter(joined.diagnosis_valid & joined.cost.notnull() & (joined.cost > 0))


def _comprehensive_name(category: ir.StringValue, treatment: ir.StringValue) -> ir.StringValue:
    label = ibis.cases(*[(treatment == k, v) for k, v in TREATMENT_LABELS.items()], else_=treatment)
    return category + " 综合病种·" + label


def assign_groups(keys: ir.Table, core_min_stays: int) -> ir.Table:
    """Add dip_group, dip_kind, dip_name, group_diagnosis, group_procedures to keyed reference stays."""
    counts = keys.group_by(["diagnosis", "procedures"]).aggregate(combo_n=keys.count())
    t = keys.join(counts, ["diagnosis", "procedures"])
    core = t.combo_n >= core_min_stays
    codes = ibis.ifelse(t.procedures == "", "-", t.procedures)
    core_name = t.diagnosis + ibis.ifelse(t.procedures == "", " 保守治疗", " 手术操作 " + t.procedures)
    return t.mutate(
        dip_group=ibis.ifelse(core, t.diagnosis + "|" + codes, t.category + "|*" + t.treatment),
        dip_kind=ibis.ifelse(core, "core", "comprehensive"),
        dip_name=ibis.ifelse(core, core_name, _comprehensive_name(t.category, t.treatment)),
        group_diagnosis=ibis.ifelse(core, t.diagnosis, t.category),
        group_procedures=ibis.ifelse(core, t.procedures, ""),
    )


def core_threshold(wh: Warehouse, keys: ir.Table, policy: DipPolicy) -> int:
    """Return the core-group threshold: ``core_min_stays``, lowered when ``core_min_share`` asks for it.

    With ``core_min_share`` s, the threshold is the largest n <= core_min_stays such that combinations with
    at least n cases hold at least s of all cases (1 when none does). The distribution of combination
    sizes is aggregated in the warehouse; only its few rows (one per size) come back.
    """
    if policy.core_min_share is None:
        return policy.core_min_stays
    combos = keys.group_by(["diagnosis", "procedures"]).aggregate(size=keys.count())
    sizes = wh.to_arrow(combos.group_by("size").aggregate(cases=combos.size.sum())).to_pylist()
    total = sum(r["cases"] for r in sizes)
    for n in range(policy.core_min_stays, 0, -1):
        if total and sum(r["cases"] for r in sizes if r["size"] >= n) / total >= policy.core_min_share:
            return n
    return 1


def catalogue_expr(keys: ir.Table, policy: DipPolicy, threshold: int | None = None) -> ir.Table:
    """Compile the catalogue rows (:data:`~hospeval.group.dip_spec.CATALOGUE_COLUMNS`) of keyed stays."""
    assigned = assign_groups(keys, policy.core_min_stays if threshold is None else threshold)
    flagged = flag_kept(assigned, ["dip_group"], "cost", policy.trim, policy.percentiles)
    per = flagged.group_by(["dip_group", "dip_kind", "dip_name", "group_diagnosis", "group_procedures"]) \
        .aggregate(
            n_stays=flagged.count(),
            n_kept=flagged.count(where=flagged.kept),
            cost_sum=flagged.cost.sum(where=flagged.kept),
            rank=flagged.treatment_rank.max(),
        )
    overall = per.aggregate(mean_cost_all=per.cost_sum.sum() / per.n_kept.sum().nullif(0))
    t = per.cross_join(overall)
    mean_cost = ibis.ifelse(t.n_kept > 0, t.cost_sum / t.n_kept, ibis.null("float64"))
    return t.select(
        dip_group=t.dip_group,
        dip_kind=t.dip_kind,
        dip_name=t.dip_name,
        diagnosis=t.group_diagnosis,
        procedures=t.group_procedures,
        treatment=treatment_name(t["rank"]),
        n_stays=t.n_stays.cast("int64"),
        mean_cost=mean_cost,
        points=mean_cost / t.mean_cost_all * 1000,
    ).order_by("dip_group")


def derive_catalogue(wh: Warehouse, name: str, version: str, *, periods: tuple[str, ...] = (),
                     hospitals: tuple[str, ...] = (), policy: DipPolicy) -> DipCatalogue:
    """Derive a DIP catalogue from the warehouse's stays (see the module docstring).

    Raises
    ------
    ReferencePopulationError
        When no stay has a valid principal diagnosis and a positive cost.
    """
    scheme = scheme_name(name)
    population = Population(scheme=scheme, periods=periods, hospitals=hospitals)
    def keyed(stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table) -> ir.Table:
        return reference_keys(stays, diagnoses, procedures, population, policy)

    # keyed in batches of stays (one list state per stay does not spill), once: read by the counts, the
    # group assignment and the means
    with batched(wh, "_dip_reference_keys_batches", wh.table("stays"),
                 [wh.table("stay_diagnoses"), wh.table("stay_procedures")], keyed, materialise=True) as cached:
        threshold = core_threshold(wh, cached, policy)
        groups = wh.to_arrow(catalogue_expr(cached, policy, threshold))
    if groups.num_rows == 0:
        raise ReferencePopulationError(
            f"no stay with a valid principal diagnosis and a positive cost for {population.describe()}",
            field="period",
        )
    return DipCatalogue(scheme=scheme, version=version, policy=policy, groups=groups,
                        population=population.describe(),
                        figures={"core_threshold": threshold, **_figures(groups)})


def _figures(groups: pa.Table) -> dict[str, float | int]:
    rows = groups.to_pylist()
    n_all = sum(r["n_stays"] for r in rows)
    n_core = sum(r["n_stays"] for r in rows if r["dip_kind"] == "core")
    costed = [(r["n_stays"], r["mean_cost"], r["points"]) for r in rows if r["mean_cost"] is not None]
    mean_all = next((c / p * 1000 for _, c, p in costed if p), None)
    return {
        "n_stays": n_all,
        "n_core_groups": sum(1 for r in rows if r["dip_kind"] == "core"),
        "n_comprehensive_groups": sum(1 for r in rows if r["dip_kind"] == "comprehensive"),
        "core_share": round(n_core / n_all, 4) if n_all else 0.0,
        "mean_cost_all": round(mean_all, 2) if mean_all is not None else None,
    }
