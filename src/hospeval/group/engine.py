"""The set-based DRG grouper: a scheme's tables compiled to Ibis joins over whole stay tables.

How a stay is grouped (every step is a join, semi-join or aggregation over all stays at once):

1. **Validation.** Sex must be 1/2, age present and possible, a newborn (age 0, <= 28 days) needs a birth
   weight, LOS must not be negative; a stay failing one gets status ``error`` and is not grouped.
2. **MDC entry.** The principal diagnosis joins ``mdc_diagnoses`` (with the MDC's sex / age condition and,
   for MDCZ, at least ``min_sites`` body sites among all diagnoses); MDCA is entered by a valid OR
   principal procedure.
3. **ADRG candidates.** Diagnosis hits (principal or any diagnosis in the ADRG list), principal-procedure
   hits, procedure-table formulas (any procedure, clauses in disjunctive form) and the ADRGs without a
   code condition of each entered MDC; each candidate is checked against its remaining conditions
   (age, age in days, birth weight, sex, department).
4. **Precedence.** The candidate with the lowest ``mdc.priority * 1000 + adrg.priority`` wins (the order
   in which the scheme lists MDCs and, inside an MDC, ADRGs).
5. **CC / MCC.** Secondary diagnoses join the CC list; one is excluded when the principal diagnosis'
   exclusion table equals its own. The DRG is the ADRG's first DRG (by priority) whose split holds.
6. **Regrouping** (schemes with ``retry_each_procedure``, Zhejiang): stays reaching no DRG are grouped again,
   each further procedure alone standing in for the procedures, in one second pass over all such pairs.

Rule kinds a scheme does not use are left out of the compiled query (:func:`scheme_features`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.group.codes import normalise_codes
from hospeval.group.spec import Scheme
from hospeval.warehouse import Warehouse

RANK_STEP = 1000
Keep = Callable[[str, ir.Table], ir.Table]  # stores an intermediate result, returns the stored table


def _clauses(adrg: pa.Table) -> pa.Table:
    """Procedure-table formulas (``1&2|1&3&4``) as rows (adrg, clause, table, size)."""
    rows = {"adrg": [], "clause": [], "table": [], "size": []}
    for name, formula in zip(adrg.column("adrg").to_pylist(), adrg.column("proc_formula").to_pylist(),
                             strict=True):
        for i, clause in enumerate(p for p in re.split(r"\s*\|\s*", formula or "") if p):
            tables = [t.strip() for t in clause.split("&")]
            for t in tables:
                rows["adrg"].append(name)
                rows["clause"].append(i)
                rows["table"].append(t)
                rows["size"].append(len(set(tables)))
    # typed, so that a scheme without procedure tables gives an empty table rather than NULL-typed columns
    return pa.table(rows, schema=pa.schema([("adrg", pa.string()), ("clause", pa.int64()), ("table", pa.string()),
                                            ("size", pa.int64())]))


def _drg_procedures(drg: pa.Table) -> pa.Table:
    """DRG procedure conditions (``96.7201 39.9500x007``: all present) as rows (drg, adrg, code, n)."""
    rows: dict[str, list] = {"drg": [], "adrg": [], "code": [], "n": []}
    for name, adrg, codes in zip(drg.column("drg").to_pylist(), drg.column("adrg").to_pylist(),
                                 drg.column("procedures").to_pylist(), strict=True):
        wanted = sorted(set((codes or "").split()))
        for code in wanted:
            rows["drg"].append(name)
            rows["adrg"].append(adrg)
            rows["code"].append(code)
            rows["n"].append(len(wanted))
    return pa.table(rows, schema=pa.schema([("drg", pa.string()), ("adrg", pa.string()), ("code", pa.string()),
                                            ("n", pa.int64())]))


def left(a: ir.Table, b: ir.Table, keys: str | list[str]) -> ir.Table:
    """Left join on equal ``keys`` keeping the keys once (right-hand key columns are dropped)."""
    keys = [keys] if isinstance(keys, str) else keys
    j = a.left_join(b, keys)
    return j.select(*[a[c] for c in a.columns], *[b[c] for c in b.columns if c not in keys])


def sorted_concat(values: ir.StringColumn, sep: str) -> ir.StringScalar:
    """The group's values sorted and joined by ``sep``: the same text on every engine.

    (``group_concat`` follows the engine's row order, which differs between DuckDB and Spark, and an
    ordered ``group_concat`` does not compile for Spark.)
    """
    return values.collect().sort().join(sep)


def hash_keys_unique(stays: ir.Table) -> bool:
    """Tell whether no two stay ids share a hash (then the hash is the engine's stay key).

    DuckDB's hash is 64-bit, so this practically always holds; Spark's is 32-bit, so from about 100,000
    stays on a collision is likely and the engine then keys stays by their text id instead.
    """
    row = stays.aggregate(hashes=stays.stay_id.hash().nunique(), n=stays.count()).to_pyarrow().to_pylist()[0]
    return row["hashes"] == row["n"]


def scheme_features(scheme: Scheme) -> dict:
    """Which rule kinds a scheme uses, so that unused branches are left out of the compiled query."""
    mdc, adrg, drg = scheme.table("mdc"), scheme.table("adrg"), scheme.table("drg")
    return {"mdc_entries": set(mdc.column("entry").to_pylist()),
            "sited": any(v is not None for v in mdc.column("min_sites").to_pylist()),
            "dept": any(adrg.column("dept").to_pylist()),
            "dx2": any(adrg.column("dx2").to_pylist()),
            # local-scheme kinds (Zhejiang 2022)
            "dx_not": "principal_not" in adrg.column("dx").to_pylist(),
            "not_principal_valid": "not_principal_valid" in adrg.column("proc").to_pylist(),
            "mdc_procs": "mdc_procedures" in scheme.tables and scheme.table("mdc_procedures").num_rows > 0,
            "drg_dept": any(drg.column("dept").to_pylist()),
            "drg_procs": any(drg.column("procedures").to_pylist()),
            "retry": scheme.retry_each_procedure}


def register_scheme(wh: Warehouse, scheme: Scheme) -> dict[str, ir.Table]:
    """Store the scheme's tables as work tables of ``wh``; return them as Ibis tables."""
    prefix = "_grp_" + re.sub(r"\W", "_", scheme.name)
    tables = dict(scheme.tables)
    tables["adrg_clauses"] = _clauses(scheme.table("adrg"))
    tables["drg_procedures"] = _drg_procedures(scheme.table("drg"))
    # one chunk per column: PySpark's Arrow path rejects chunked columns and falls back to a slow one
    return {name: wh.scratch(f"{prefix}_{name}", data.combine_chunks()) for name, data in tables.items()}


def validation_reason(s: ir.Table, newborn_days: int) -> ir.StringValue:
    """Why a stay cannot be grouped at all (NULL when it can)."""
    return ibis.cases(
        (s.sex.isnull() | ~s.sex.isin(["1", "2"]), "性别缺失或不是1/2 sex missing or not 1/2"),
        (s.age_years.isnull(), "年龄缺失 age in years missing"),
        ((s.age_years < 0) | (s.age_years > 150), "年龄不可能 impossible age in years"),
        (s.age_days < 0, "年龄天数不可能 impossible age in days"),
        ((s.age_years == 0) & s.age_days.isnull(), "年龄0岁但无天数 age 0 without age in days"),
        ((s.age_years == 0) & (s.age_days <= newborn_days) & s.birth_weight_g.isnull(),
         "新生儿无出生体重 newborn without birth weight"),
        (s.los_days < 0, "住院天数为负 negative length of stay"),
        else_=ibis.null("string"),
    )


def _in_range(value: ir.NumericValue, lo: ir.NumericValue, hi: ir.NumericValue, *,
              hi_exclusive: bool = False) -> ir.BooleanValue:
    """``lo <= value <= hi`` (or ``< hi``) where a NULL bound means unbounded; NULL value fails a bound."""
    upper = (value < hi) if hi_exclusive else (value <= hi)
    return (lo.isnull() | (value >= lo).fill_null(False)) & (hi.isnull() | upper.fill_null(False))


def _mdc_entries(t: dict[str, ir.Table], features: dict, base: ir.Table, pdx: ir.Table,
                 dx: ir.Table) -> ir.Table:
    mdc, md = t["mdc"], t["mdc_diagnoses"]
    by_dx = pdx.join(md, pdx.pdx == md.code).select(pdx.stay_id, md.mdc)
    if "any_dx" in features["mdc_entries"]:
        any_mdcs = mdc.filter(mdc.entry == "any_dx").select(any_mdc="mdc")
        any_md = md.join(any_mdcs, md.mdc == any_mdcs.any_mdc).select("mdc", "code")
        by_dx = by_dx.union(dx.join(any_md, dx.code == any_md.code).select(dx.stay_id, any_md.mdc).distinct())
    by_dx = by_dx.join(mdc.rename(mdc_sex="sex"), "mdc").join(base, "stay_id")
    if features["sited"]:
        # body sites only for stays whose principal diagnosis enters a multi-site MDC (MDCZ)
        sited = md.filter(md.site != "")
        need = by_dx.filter(by_dx.min_sites.notnull()).select("stay_id").distinct()
        sdx = dx.join(need, "stay_id").select("stay_id", "code")
        j = sdx.join(sited, sdx.code == sited.code).select(sdx.stay_id, sited.mdc, sited.site)
        sites = j.group_by(["stay_id", "mdc"]).aggregate(n_sites=j.site.nunique())
        by_dx = left(by_dx, sites, ["stay_id", "mdc"])
    else:
        by_dx = by_dx.mutate(n_sites=ibis.literal(0))
    by_dx = by_dx.filter(
        by_dx.entry.isin(["principal_dx", "any_dx"])
        & ((by_dx.mdc_sex == "") | (by_dx.sex == by_dx.mdc_sex))
        & (by_dx.age_years_max.isnull() | (by_dx.age_years <= by_dx.age_years_max))
        & (by_dx.min_sites.isnull() | (by_dx.n_sites.fill_null(0) >= by_dx.min_sites))
    ).select("stay_id", "mdc")
    proc_mdcs = mdc.filter(mdc.entry == "principal_valid").select("mdc")
    by_proc = base.filter(base.ppx_valid).select("stay_id").cross_join(proc_mdcs)
    if features["mdc_procs"]:  # principal procedures that enter the MDC besides the valid OR ones
        mp = t["mdc_procedures"]
        by_proc = by_proc.union(base.join(mp, base.ppx == mp.code).select(base.stay_id, mp.mdc))
    entries = by_dx.union(by_proc, distinct=True)
    return entries.join(mdc.select("mdc", mdc_priority=mdc.priority), "mdc")


def _code_hits(t: dict[str, ir.Table], features: dict, pdx: ir.Table, ppx: ir.Table, dx: ir.Table,
               px: ir.Table) -> dict[str, ir.Table]:
    adrg, codes = t["adrg"], t["adrg_codes"]
    dx_codes = codes.filter((codes.kind == "diagnosis") & (codes.table == "1")).join(adrg.select("adrg", "dx"), "adrg")
    px_codes = codes.filter(codes.kind == "procedure").join(adrg.select("adrg", "proc"), "adrg")
    hit_p = (pdx.join(dx_codes, (pdx.pdx == dx_codes.code) & (dx_codes.dx == "principal"))
             .select(pdx.stay_id, dx_codes.adrg, hit=pdx.pdx))
    hit_a = (dx.join(dx_codes, (dx.code == dx_codes.code) & (dx_codes.dx == "any"))
             .select(dx.stay_id, dx_codes.adrg, hit=dx.code))
    dx_hits = hit_p.union(hit_a).group_by(["stay_id", "adrg"]).aggregate(dx_hit=lambda x: x.hit.min())
    pp_hits = (ppx.join(px_codes, (ppx.ppx == px_codes.code) & (px_codes.proc == "principal"))
               .group_by([ppx.stay_id, px_codes.adrg]).aggregate(pp_hit=ppx.ppx.min()))
    tab = (px.join(px_codes, (px.code == px_codes.code) & (px_codes.proc == "tables"))
           .select(px.stay_id, px_codes.adrg, px_codes.table, code=px.code).distinct())
    cl = t["adrg_clauses"]
    tab = tab.join(cl, ["adrg", "table"])
    per_clause = (tab.group_by(["stay_id", "adrg", "clause", "size"])
                  .aggregate(n=tab.table.nunique(), codes=sorted_concat(tab.code, " ")))
    per_clause = per_clause.filter(per_clause.n == per_clause["size"])
    tab_hits = per_clause.group_by(["stay_id", "adrg"]).aggregate(tab_hit=per_clause.codes.min())
    hits = {"dx_hits": dx_hits, "pp_hits": pp_hits, "tab_hits": tab_hits}
    if features["dx_not"]:  # principal diagnosis in a "principal_not" list: such a stay fails that rule
        not_codes = (codes.filter((codes.kind == "diagnosis") & (codes.table == "1"))
                     .join(adrg.filter(adrg.dx == "principal_not").select("adrg"), "adrg"))
        hits["dxn_hits"] = (pdx.join(not_codes, pdx.pdx == not_codes.code).select(pdx.stay_id, not_codes.adrg)
                            .distinct().mutate(dxn_hit=True))
    if features["dx2"]:  # secondary-diagnosis lists (其他诊断包含), local schemes
        dx2_codes = (codes.filter((codes.kind == "diagnosis") & (codes.table == "2"))
                     .join(adrg.filter(adrg.dx2 == "secondary").select("adrg"), "adrg"))
        sec = dx.filter(dx.seq > 0)
        j = sec.join(dx2_codes, sec.code == dx2_codes.code).select(sec.stay_id, dx2_codes.adrg, hit=sec.code)
        hits["dx2_hits"] = j.group_by(["stay_id", "adrg"]).aggregate(dx2_hit=j.hit.min())
    return hits


def _best_adrg(t: dict[str, ir.Table], features: dict, keep: Keep, base: ir.Table, entries: ir.Table,
               hit_tables: dict[str, ir.Table]) -> ir.Table:
    adrg = t["adrg"]
    # ADRGs without a code list to hit: candidates of every stay entering their MDC
    generic = adrg.filter(adrg.dx.isin(["", "principal_not"]) & (adrg.dx2 == "")
                          & adrg.proc.isin(["", "principal_valid", "no_valid", "not_principal_valid"]))
    none = ibis.null("string")
    dx_hits, pp_hits, tab_hits = (hit_tables[n] for n in ("dx_hits", "pp_hits", "tab_hits"))
    dx2 = [hit_tables["dx2_hits"]] if "dx2_hits" in hit_tables else []
    cols = ["dx_hit", "pp_hit", "tab_hit", "dx2_hit"]

    def part(table: ir.Table) -> ir.Table:
        return table.select("stay_id", "adrg", **{c: (table[c] if c in table.columns else none) for c in cols})

    generic_hits = entries.join(generic.select("adrg", "mdc"), "mdc").select("stay_id", "adrg")
    hits = ibis.union(*(part(h) for h in (dx_hits, pp_hits, tab_hits, *dx2, generic_hits)))
    cands = hits.group_by(["stay_id", "adrg"]).aggregate(**{c: hits[c].max() for c in cols})
    c = (cands.join(adrg.rename(adrg_priority="priority", adrg_sex="sex"), "adrg")
         .join(entries, ["stay_id", "mdc"])
         .join(base, "stay_id"))
    if features["dx_not"]:
        c = left(c, hit_tables["dxn_hits"], ["stay_id", "adrg"])
        dx_ok = ibis.cases((c.dx == "", True), (c.dx == "principal_not", c.dxn_hit.isnull()),
                           else_=c.dx_hit.notnull())
    else:
        dx_ok = (c.dx == "") | c.dx_hit.notnull()
    dx_ok = dx_ok & ((c.dx2 == "") | c.dx2_hit.notnull())
    proc_cases = [
        (c.proc == "", True),
        (c.proc == "principal", c.pp_hit.notnull()),
        (c.proc == "tables", c.tab_hit.notnull()),
        (c.proc == "principal_valid", c.ppx_valid),
        (c.proc == "no_valid", ~c.any_valid),
    ]
    if features["not_principal_valid"]:  # no principal procedure, or not a valid OR one
        proc_cases.append((c.proc == "not_principal_valid", ~c.ppx_valid))
    proc_ok = ibis.cases(*proc_cases, else_=False)
    demo_ok = (
        ((c.adrg_sex == "") | (c.sex == c.adrg_sex))
        & _in_range(c.age_years, c.age_years_min, c.age_years_max)
        & _in_range(c.age_days, c.age_days_min, c.age_days_max)
        & _in_range(c.birth_weight_g, c.birth_weight_min, c.birth_weight_max, hi_exclusive=True)
        & (c.birth_weight_min.isnull() | (c.birth_weight_g > 0).fill_null(False))
        & (((c.dept == "") | c.dept.split(" ").contains(c.discharge_dept).fill_null(False))
           if features["dept"] else True)
    )
    ok = c.filter(dx_ok & proc_ok & demo_ok)
    # narrow: the rule's descriptive columns are joined back from the (small) rule table at the end
    ok = ok.select("stay_id", "dx_hit", "dx2_hit", "pp_hit", "tab_hit", "ppx", rule=ok.adrg,
                   rank=ok.mdc_priority * RANK_STEP + ok.adrg_priority)
    ok = keep("candidates", ok)  # used twice: materialised, not recomputed
    best = ok.group_by("stay_id").aggregate(rank=ok.rank.min())
    chosen = best.join(ok, ["stay_id", "rank"]).drop("rank")
    rules = adrg.select(rule="adrg", adrg=ibis.ifelse(adrg.group_as == "", adrg.adrg, adrg.group_as))
    return chosen.join(rules, "rule")


def _cc_flags(t: dict[str, ir.Table], pdx: ir.Table, dx: ir.Table) -> ir.Table:
    cc, cce = t["cc"], t["cc_exclusion"]
    pex = pdx.join(cce, pdx.pdx == cce.principal_code).select(pdx.stay_id, p_table=cce.exclusion_table)
    sec = dx.filter(dx.seq > 0)
    s = sec.join(cc, sec.code == cc.code).select(sec.stay_id, code=sec.code, level=cc.level,
                                                  table=cc.exclusion_table)
    s = left(s, pex, "stay_id")
    excluded = (s.p_table == s.table).fill_null(False)
    s = s.mutate(excluded=excluded,
                 note=s.code + " " + s.level + ibis.ifelse(excluded, " 被排除 excluded (表 " + s.table + ")", ""))
    return s.group_by("stay_id").aggregate(
        has_mcc=((s.level == "MCC") & ~s.excluded).any(),
        has_cc=((s.level == "CC") & ~s.excluded).any(),
        cc_notes=sorted_concat(s.note, "; "),
    )


def group_stays(wh: Warehouse, scheme: Scheme, stays: ir.Table, diagnoses: ir.Table,
                procedures: ir.Table, *, code_policy: str = "exact", materialise: bool = True) -> ir.Table:
    """Group every stay; return an expression with the columns of ``stay_groups``.

    Parameters
    ----------
    wh
        The warehouse (DuckDB or Spark) the three tables live on; the scheme tables and the intermediate
        results are stored there as work tables (:meth:`~hospeval.warehouse.Warehouse.scratch`).
    scheme
        The scheme, from :func:`hospeval.group.spec.load_scheme`.
    stays, diagnoses, procedures
        Tables with the canonical columns (``stays``: stay_id, sex, age_years, age_days, birth_weight_g,
        discharge_dept, los_days; the long tables: stay_id, seq, code).
    code_policy
        ``"exact"``, ``"normalise"`` or ``"map"`` (see :mod:`hospeval.group.codes`).
    materialise
        Store intermediate results as work tables of ``wh`` (faster on both engines; the returned
        expression then reads them, so use it with the same warehouse); ``False`` returns one expression
        over the inputs and the scheme tables only.
    """
    t = register_scheme(wh, scheme)
    features = scheme_features(scheme)

    def keeper(prefix: str) -> Keep:
        def keep(name: str, expr: ir.Table) -> ir.Table:
            # Intermediate results used several times are materialised once (DuckDB would otherwise inline
            # and recompute them); each is still one set-based statement.
            return wh.scratch(f"{prefix}{name}", expr) if materialise else expr
        return keep

    result = _group_pass(wh, scheme, t, features, keeper("_grp_run_"), stays, diagnoses, procedures,
                         code_policy)
    if features["retry"]:
        result = _retry_each_procedure(wh, scheme, t, features, keeper, result, stays, diagnoses, procedures,
                                       code_policy)
    return result


def _group_pass(wh: Warehouse, scheme: Scheme, t: dict[str, ir.Table], features: dict, keep: Keep,
                stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table, code_policy: str) -> ir.Table:
    """One grouping of the given stays (see :func:`group_stays`)."""
    # Inside the engine a stay is an integer key (joins on integers are several times cheaper than on
    # text ids): the hash of its id; when two ids share a hash (likely with Spark's 32-bit hash on large
    # data) the text id itself.
    hashed = hash_keys_unique(stays)

    def by_key(table: ir.Table, columns: list[str]) -> ir.Table:
        key = table.stay_id.hash() if hashed else table.stay_id
        return table.select(stay_id=key, **{c: table[c] for c in columns})

    exact = code_policy == "exact"  # then only the principal diagnosis needs the dictionary (for reasons)
    dx = normalise_codes(by_key(diagnoses, ["seq", "code"]), None if exact else t["icd10"], code_policy,
                         t.get("icd10_map"))
    px = normalise_codes(by_key(procedures, ["seq", "code"]), None if exact else t["icd9cm3"], code_policy,
                         t.get("icd9cm3_map"))
    dx = keep("dx", dx.filter(dx.code.notnull()).select("stay_id", "seq", "code", *([] if exact else ["code_known"])))
    px = keep("px", px.filter(px.code.notnull()).select("stay_id", "seq", "code"))
    pdx = dx.filter(dx.seq == 0)
    if exact:
        icd = t["icd10"].select(known_code="code").distinct()
        pdx = pdx.left_join(icd, pdx.code == icd.known_code).select(
            "stay_id", pdx=pdx.code, pdx_known=icd.known_code.notnull())
    else:
        pdx = pdx.select("stay_id", pdx=pdx.code, pdx_known=pdx.code_known)
    pdx = keep("pdx", pdx)
    ppx = px.filter(px.seq == 0).select("stay_id", ppx=px.code)
    valid = t["valid_procedures"].select(vcode="code").distinct()
    any_valid = px.join(valid, px.code == valid.vcode).select("stay_id").distinct().mutate(any_valid=True)
    ppx_v = ppx.left_join(valid, ppx.ppx == valid.vcode).select("stay_id", "ppx",
                                                                 ppx_valid=lambda x: x.vcode.notnull())
    s = by_key(stays.mutate(stay_key=stays.stay_id),
               ["stay_key", "sex", "age_years", "age_days", "birth_weight_g", "discharge_dept", "los_days"])
    s = keep("stays", s.mutate(error=validation_reason(s, scheme.newborn_max_age_days)))
    base = left(left(s.filter(s.error.isnull()).drop("error", "stay_key"), ppx_v, "stay_id"), any_valid, "stay_id")
    base = keep("base", base.mutate(ppx_valid=base.ppx_valid.fill_null(False),
                                    any_valid=base.any_valid.fill_null(False)))
    entries = keep("entries", _mdc_entries(t, features, base, pdx, dx))
    hits = {n: keep(n, h) for n, h in _code_hits(t, features, pdx, ppx, dx, px).items()}
    best = keep("best", _best_adrg(t, features, keep, base, entries, hits))
    flags = keep("flags", _cc_flags(t, pdx, dx))
    return _assemble(t, features, keep, scheme, s, pdx, px, entries, best, flags)


def _retry_each_procedure(wh: Warehouse, scheme: Scheme, t: dict[str, ir.Table], features: dict,
                          keeper: Callable[[str], Keep], first: ir.Table, stays: ir.Table, diagnoses: ir.Table,
                          procedures: ir.Table, code_policy: str) -> ir.Table:
    """Group again each stay that reached no DRG, with each further procedure in turn as its only procedure.

    Zhejiang's grouper does this record by record, keeping the first procedure (in recorded order) that
    gives a DRG. Here every (stay, further procedure) pair is one virtual stay, all grouped in one second
    pass; per stay the grouped pair with the lowest procedure position wins.
    """
    keep = keeper("_grp_run_")
    first = keep("first_pass", first)
    failed = first.filter(first.status == "ungroupable").select(orig="stay_id")
    p = procedures.filter(procedures.code.notnull() & (procedures.code.strip() != "") & (procedures.seq > 0))
    p = p.join(failed, p.stay_id == failed.orig)
    ids = keep("retry_ids", p.select(stay_id=p.stay_id + "\x1f" + p.seq.cast("string"), orig=p.stay_id,
                                     try_seq=p.seq, try_code=p.code))
    cols = ["sex", "age_years", "age_days", "birth_weight_g", "discharge_dept", "los_days"]
    v_stays = stays.join(ids, stays.stay_id == ids.orig).select(stay_id=ids.stay_id, **{c: stays[c] for c in cols})
    v_dx = diagnoses.join(ids, diagnoses.stay_id == ids.orig).select(stay_id=ids.stay_id, seq=diagnoses.seq,
                                                                      code=diagnoses.code)
    v_px = ids.select("stay_id", seq=ibis.literal(0, type=procedures.seq.type()), code=ids.try_code)
    second = _group_pass(wh, scheme, t, features, keeper("_grp_retry_"), v_stays, v_dx, v_px, code_policy)
    got = second.filter(second.status == "grouped").join(ids, "stay_id")
    got = keep("retry_got", got)
    pick = got.group_by("orig").aggregate(try_seq=got.try_seq.min())
    won = got.join(pick, ["orig", "try_seq"]).select(
        stay_id="orig", r_mdc="mdc", r_adrg="adrg", r_drg="drg", r_drg_name="drg_name", r_cc="cc_level",
        r_explanation="以其他手术" + got.try_code + "作为唯一手术重新分组 regrouped with procedure " + got.try_code
        + " (no. " + (got.try_seq + 1).cast("string") + ") as the only procedure; " + got.explanation)
    r = left(first, won, "stay_id")
    again = r.r_drg.notnull()
    return r.select(
        "stay_id", "scheme",
        status=ibis.ifelse(again, "grouped", r.status),
        reason=ibis.ifelse(again, ibis.null("string"), r.reason),
        mdc=ibis.ifelse(again, r.r_mdc, r.mdc),
        adrg=ibis.ifelse(again, r.r_adrg, r.adrg),
        drg=ibis.ifelse(again, r.r_drg, r.drg),
        drg_name=ibis.ifelse(again, r.r_drg_name, r.drg_name),
        cc_level=ibis.ifelse(again, r.r_cc, r.cc_level),
        explanation=ibis.ifelse(again, r.r_explanation, r.explanation),
    )


def _drg_choice(t: dict[str, ir.Table], features: dict, keep: Keep, s: ir.Table, px: ir.Table, best: ir.Table,
                flags: ir.Table) -> ir.Table:
    drg = t["drg"].drop("name")
    stay_cols = ["stay_id", "age_years", "los_days", *(["discharge_dept"] if features["drg_dept"] else [])]
    b = left(best.select("stay_id", "adrg").join(s.select(*stay_cols), "stay_id"),
             flags.select("stay_id", "has_mcc", "has_cc"), "stay_id")
    b = b.mutate(has_mcc=b.has_mcc.fill_null(False), has_cc=b.has_cc.fill_null(False))
    d = b.join(drg, "adrg")
    if features["drg_procs"]:  # every procedure the DRG names is among the stay's procedures
        dp = t["drg_procedures"]
        need = best.select("stay_id", "adrg").join(dp, "adrg")
        found = need.join(px, (need.stay_id == px.stay_id) & (need.code == px.code)).select(
            need.stay_id, need.drg, need.code, need.n).distinct()
        found = found.group_by(["stay_id", "drg", "n"]).aggregate(n_found=found.code.count())
        found = found.filter(found.n_found == found.n).select("stay_id", "drg", procs_ok=ibis.literal(True))
        d = left(d, found, ["stay_id", "drg"])
    split_ok = ibis.cases(
        (d.split == "none", True),
        (d.split == "mcc", d.has_mcc),
        (d.split == "mcc_or_cc", d.has_mcc | d.has_cc),
        else_=False,
    )
    ok = split_ok & _in_range(d.age_years, d.age_years_min, d.age_years_max) & _in_range(d.los_days, d.los_min,
                                                                                        d.los_max)
    if features["drg_dept"]:  # e.g. 伴重症监护: the stay's department is one of the DRG's
        ok = ok & ((d.dept == "") | d.dept.split(" ").contains(d.discharge_dept).fill_null(False))
    if features["drg_procs"]:
        ok = ok & ((d.procedures == "") | d.procs_ok.fill_null(False))
    d = d.filter(ok)
    d = keep("drg_candidates", d.select("stay_id", "drg", "priority"))
    first = d.group_by("stay_id").aggregate(priority=d.priority.min())
    return keep("chosen", first.join(d, ["stay_id", "priority"]).select("stay_id", "drg"))


def _explain(r: ir.Table, features: dict) -> ir.StringValue:
    dx_part = ibis.cases(
        (r.dx == "principal", "主要诊断 principal diagnosis " + r.dx_hit + " ∈ " + r.adrg + "; "),
        (r.dx == "any", "诊断 diagnosis " + r.dx_hit + " ∈ " + r.adrg + "; "),
        (r.dx == "principal_not", "主要诊断 principal diagnosis " + r.pdx + " ∉ " + r.adrg + "; "),
        else_="",
    ) + ibis.ifelse(r.dx2 == "secondary", "其他诊断 secondary diagnosis " + r.dx2_hit + " ∈ " + r.adrg + "; ", "")
    proc_part = ibis.cases(
        (r.proc == "principal", "主要手术 principal procedure " + r.pp_hit + " ∈ " + r.adrg + "; "),
        (r.proc == "tables", "手术表 procedure tables " + r.proc_formula + " by " + r.tab_hit + "; "),
        (r.proc == "principal_valid", "主要手术为有效手术 valid OR principal procedure " + r.ppx + "; "),
        (r.proc == "no_valid", "无有效手术 no valid OR procedure; "),
        (r.proc == "not_principal_valid", "主要手术非有效手术 no valid OR principal procedure; "),
        else_="",
    )
    cc_part = ibis.ifelse(r.cc_notes.isnull(), "无CC/MCC no CC/MCC", "CC/MCC: " + r.cc_notes)
    return ("MDC " + r.mdc + "; ADRG " + r.adrg + ": " + dx_part + proc_part + cc_part
            + "; DRG " + r.drg + " (" + r.split
            + (ibis.ifelse(r.drg_dept != "", ", 科室 department " + r.drg_dept, "") if features["drg_dept"] else "")
            + (ibis.ifelse(r.procedures != "", ", 手术 procedures " + r.procedures, "") if features["drg_procs"]
               else "") + ")")


def _assemble(t: dict[str, ir.Table], features: dict, keep: Keep, scheme: Scheme, s: ir.Table, pdx: ir.Table,
              px: ir.Table, entries: ir.Table, best: ir.Table, flags: ir.Table) -> ir.Table:
    chosen = _drg_choice(t, features, keep, s, px, best, flags)
    # the MDCs entered are only reported for stays that got no DRG
    lost = entries.anti_join(chosen.select("stay_id"), "stay_id")
    entered = lost.group_by("stay_id").aggregate(mdcs=sorted_concat(lost.mdc, ","))
    drg = t["drg"]
    got = (chosen.join(best, "stay_id").join(drg.select("drg", "split", "procedures", drg_name="name",
                                                        drg_dept="dept"), "drg")
           .join(t["adrg"].select("mdc", "dx", "dx2", "proc", "proc_formula", rule="adrg"), "rule"))
    r = s
    for part in (got, flags, pdx, entered):
        r = left(r, part, "stay_id")
    status = ibis.cases((r.error.notnull(), "error"), (r.drg.notnull(), "grouped"), else_="ungroupable")
    reason = ibis.cases(
        (r.error.notnull(), r.error),
        (r.drg.notnull(), ibis.null("string")),
        (r.pdx.isnull(), "无主要诊断 no principal diagnosis"),
        (~r.pdx_known & r.mdcs.isnull(),
         "主要诊断不在" + scheme.name + "编码库 principal diagnosis " + r.pdx + " is not a code of the scheme"),
        (r.mdcs.isnull(), "主要诊断不在任何MDC主诊表 principal diagnosis " + r.pdx + " enters no MDC"),
        else_="进入 entered " + r.mdcs + ", 无ADRG符合 but no ADRG rule matched",
    )
    cc_level = ibis.cases((r.drg.isnull(), ibis.null("string")), (r.has_mcc, "MCC"), (r.has_cc, "CC"),
                          else_="none")
    return r.select(
        stay_id=r.stay_key,
        scheme=ibis.literal(scheme.name),
        status=status,
        reason=reason,
        mdc=r.mdc,
        adrg=r.adrg,
        drg=r.drg,
        drg_name=r.drg_name,
        cc_level=cc_level,
        explanation=ibis.ifelse(r.drg.notnull(), _explain(r, features), reason),
    )
