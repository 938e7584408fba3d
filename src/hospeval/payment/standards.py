"""Disease-group standards (病种标准) and the cases above them.

Per DRG or DIP group: the reference distribution of LOS and of cost by category, the standard as a
configurable percentile, and per hospital / department / doctor the cases and amounts above the standard.

Percentile policy is explicit (``payment_rules/standards.yaml``): ``exact`` is the continuous percentile
(linear between the order statistics at (n - 1) x q, DuckDB's ``quantile_cont``), compiled from row
numbers so that every engine gives the same bits; ``approximate`` is the engine's sketch
(``approx_quantile``), which is what backends without exact percentiles offer, and differs between
engines. Both are the reference stage's :func:`hospeval.reference.trim.group_quantiles`, over the stays
whose measure is not NULL.

Result tables: ``payment_standards`` (kind, scheme, group_code, measure, n, mean, p25 ..., percentile,
policy, standard) and ``payment_standard_excess`` (kind, scheme, level, hospital_id, unit_id, measure, cases,
cases_above, amount_above, share_above).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import yaml

from hospeval.errors import SchemaError
from hospeval.model import table_spec
from hospeval.paths import data_dir
from hospeval.payment.rounding import round_to
from hospeval.payment.store import write_scratch, write_table
from hospeval.reference.trim import group_quantiles
from hospeval.warehouse import Warehouse

STANDARDS = "payment_standards"
EXCESS = "payment_standard_excess"
POLICIES = ("exact", "approximate")
MEAN_DECIMAL = "decimal(38, 6)"  # measures are yuan (2 decimals) and days: summed exactly
UNIT_LEVELS = {"hospital": (), "dept": ("discharge_dept",), "doctor": ("attending_doctor",)}


@dataclass(frozen=True)
class Measure:
    """One measured quantity: a stays column or the sum of a cost group's columns."""

    name: str
    columns: tuple[str, ...]
    label_zh: str = ""
    cost_group: bool = False  # a cost group: items summed, missing items count 0


@dataclass(frozen=True)
class StandardsSpec:
    """How standards are built."""

    id: str
    percentile: float
    policy: str
    distribution: tuple[float, ...]
    min_cases: int
    measures: tuple[Measure, ...]


def load_standards_spec(path: str | Path | None = None) -> StandardsSpec:
    """Read ``payment_rules/standards.yaml`` (or ``path``) into a :class:`StandardsSpec`."""
    path = Path(path) if path else data_dir("payment_rules") / "standards.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot read standards spec: {exc}", file=str(path)) from exc
    file = str(path)
    pct = doc.get("percentile")
    if not isinstance(pct, int | float) or not 0 < pct < 1:
        raise SchemaError("percentile must be a number between 0 and 1", file=file, field="percentile")
    if doc.get("policy") not in POLICIES:
        raise SchemaError(f"policy must be one of {POLICIES}", file=file, field="policy")
    stays = table_spec("stays")
    measures = []
    for name, m in (doc.get("measures") or {}).items():
        if "column" in m:
            if m["column"] not in stays.names:
                raise SchemaError(f"stays has no column {m['column']!r}", file=file, field=f"measures.{name}")
            cols = (m["column"],)
        else:
            cols = tuple(c.name for c in stays.columns if c.cost_group == m.get("cost_group"))
            if not cols:
                raise SchemaError(f"no stays column has cost_group {m.get('cost_group')!r}", file=file,
                                  field=f"measures.{name}")
        measures.append(Measure(name=name, columns=cols, label_zh=m.get("label_zh", ""),
                                cost_group="column" not in m))
    if not measures:
        raise SchemaError("list at least one measure", file=file, field="measures")
    return StandardsSpec(
        id=str(doc.get("id", path.stem)), percentile=float(pct), policy=doc["policy"],
        distribution=tuple(float(p) for p in doc.get("distribution", [])),
        min_cases=int(doc.get("min_cases", 1)), measures=tuple(measures),
    )


def _pname(q: float) -> str:
    return f"p{round(q * 100):d}"


def measured_stays(wh: Warehouse, spec: StandardsSpec, kind: str, scheme: str) -> ir.Table:
    """Return grouped stays with one float column per measure (cost groups summed, NULL items as 0)."""
    table, code = ("stay_groups", "drg") if kind == "drg" else ("stay_dip_groups", "dip_group")
    wh.require("stays", table)
    s, g = wh.table("stays"), wh.table(table)
    g = g.filter((g.scheme == scheme) & (g.status == "grouped"))
    j = s.join(g, s.stay_id == g.stay_id)
    values = {}
    for m in spec.measures:
        if m.cost_group:
            values[m.name] = sum((j[c].cast("float64").fill_null(0.0) for c in m.columns), ibis.literal(0.0))
        else:
            values[m.name] = j[m.columns[0]].cast("float64")
    return j.select(s.stay_id, s.hospital_id, s.discharge_dept, s.attending_doctor,
                    group_code=g[code].cast("string"), **values)


def build_standards(wh: Warehouse, spec: StandardsSpec, *, kind: str = "drg", scheme: str = "chs-drg-1.1") -> ir.Table:
    """Per group and measure: n, mean, the distribution percentiles and the standard (long format)."""
    t = write_scratch(wh, f"payment_measured_{kind}", measured_stays(wh, spec, kind, scheme))
    aggs = {"n": t.count()}
    for m in spec.measures:
        col = t[m.name]
        # sum as decimal (exact, so the same on every engine whatever the order), then divide once
        aggs[f"{m.name}__sum"] = col.cast(MEAN_DECIMAL).sum().cast("float64")
        aggs[f"{m.name}__count"] = col.count()
    wide = t.group_by("group_code").aggregate(**aggs)
    wide = wide.filter(wide.n >= spec.min_cases)
    names = {}
    for m in spec.measures:
        qs = {f"{m.name}__{_pname(q)}": q for q in spec.distribution} | {f"{m.name}__standard": spec.percentile}
        names[m.name] = list(qs)
        q = group_quantiles(t.filter(t[m.name].notnull()), ["group_code"], m.name, qs, spec.policy)
        wide = wide.left_join(q, "group_code").select(*wide.columns, *qs)  # no value in a group: NULL
    # one work table read by every measure's rows below (Spark would otherwise aggregate once per measure)
    wide = write_scratch(wh, f"{STANDARDS}_{kind}_wide", wide)
    parts = []
    for m in spec.measures:
        value = {name: round_to(wide[name], 2) for name in names[m.name]}
        cols = {_pname(q): value[f"{m.name}__{_pname(q)}"] for q in spec.distribution}
        mean = wide[f"{m.name}__sum"] / wide[f"{m.name}__count"].nullif(0).cast("float64")
        parts.append(wide.select(
            kind=ibis.literal(kind), scheme=ibis.literal(scheme), group_code=wide.group_code,
            measure=ibis.literal(m.name), n=wide.n, mean=round_to(mean, 2), **cols,
            percentile=ibis.literal(spec.percentile), policy=ibis.literal(spec.policy),
            standard=value[f"{m.name}__standard"],
        ))
    return ibis.union(*parts).order_by(["group_code", "measure"])


def build_excess(wh: Warehouse, spec: StandardsSpec, standards: ir.Table, *, kind: str = "drg",
                 scheme: str = "chs-drg-1.1") -> ir.Table:
    """Per hospital, department and doctor and measure: cases, cases above standard, amount above."""
    t = write_scratch(wh, f"payment_measured_{kind}", measured_stays(wh, spec, kind, scheme))
    std = standards.filter((standards.kind == kind) & (standards.scheme == scheme))
    wide = std.group_by("group_code").aggregate(
        **{f"{m.name}__std": std.standard.max(where=std.measure == m.name) for m in spec.measures})
    j = t.join(wide, "group_code")
    values = {}
    for m in spec.measures:
        value, limit = j[m.name], j[f"{m.name}__std"]
        over = (value > limit).fill_null(False)
        values[f"{m.name}__above"] = over.cast("int64")
        values[f"{m.name}__amount"] = ibis.ifelse(over, value - limit, 0.0)
    # each stay once per level, so that one aggregate serves the three levels
    units = ibis.union(*(j.select(level=ibis.literal(level), hospital_id=j.hospital_id,
                                  unit_id=j[extra[0]].cast("string") if extra else ibis.null("string"), **values)
                         for level, extra in UNIT_LEVELS.items()))
    a = units.group_by(["level", "hospital_id", "unit_id"]).aggregate(
        cases=units.count(), **{c: units[c].sum() for c in values})
    a = write_scratch(wh, f"{EXCESS}_{kind}_units", a)  # read once per measure below
    parts = []
    for m in spec.measures:
        parts.append(a.select(
            kind=ibis.literal(kind), scheme=ibis.literal(scheme), level=a.level,
            hospital_id=a.hospital_id, unit_id=a.unit_id, measure=ibis.literal(m.name), cases=a.cases,
            cases_above=a[f"{m.name}__above"], amount_above=round_to(a[f"{m.name}__amount"], 2),
            share_above=round_to(a[f"{m.name}__above"] / a.cases.nullif(0), 4),
        ))
    return ibis.union(*parts).order_by(["level", "hospital_id", "unit_id", "measure"])


def run_standards(wh: Warehouse, spec: StandardsSpec | None = None,
                  groupings: tuple[tuple[str, str], ...] = (("drg", "chs-drg-1.1"),)) -> tuple[int, int]:
    """Build and store ``payment_standards`` and ``payment_standard_excess`` for each (kind, scheme).

    Returns the row counts of the two tables.
    """
    spec = spec or load_standards_spec()
    if not groupings:
        raise SchemaError("no grouping to build standards for")
    std = ibis.union(*(build_standards(wh, spec, kind=k, scheme=s) for k, s in groupings))
    n_std = write_table(wh, STANDARDS, std)
    exc = ibis.union(*(build_excess(wh, spec, wh.table(STANDARDS), kind=k, scheme=s) for k, s in groupings))
    return n_std, write_table(wh, EXCESS, exc)
