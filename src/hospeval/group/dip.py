"""DIP (按病种分值付费): derive a catalogue from a reference year, and group stays against it, set-based.

Public entry points:

- :func:`build_dip` — derive the catalogue (:mod:`~hospeval.group.dip_catalogue`), write the scheme folder
  (``schemes/dip-<name>/``: ``scheme.yaml``, ``catalogue.csv``, ``README.md``) and store ``dip_catalogue`` and
  ``dip_reference`` in the warehouse;
- :func:`group_dip` — assign every stay to its core group, else its comprehensive group, and write
  ``stay_dip_groups`` (one row per stay, never dropped):

  ========== ============================= =============================================
  status     reason                        when
  ========== ============================= =============================================
  grouped    matched_core                  (diagnosis, procedure combination) is a core group
  grouped    matched_comprehensive         else (category, treatment) is a comprehensive group
  ungroupable no_catalogue_group           neither exists in the catalogue
  error      no_principal_diagnosis        the stay has no diagnosis with seq 0
  error      invalid_principal_diagnosis   its code is not ICD-10 shaped (``[A-Z][0-9][0-9A-Z]``...)
  ========== ============================= =============================================

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.reference.testing import add_stays, add_diagnoses
>>> from hospeval.group.dip import build_dip, group_dip
>>> from hospeval.group.dip_spec import load_dip_policy
>>> import dataclasses, tempfile
>>> with Warehouse(":memory:") as wh, tempfile.TemporaryDirectory() as out:
...     wh.ensure_schema()
...     _ = add_stays(wh, [{"stay_id": f"s{i}", "cost_total": 100.0 * (i + 1)} for i in range(3)])
...     _ = add_diagnoses(wh, [{"stay_id": f"s{i}", "seq": 0, "code": "K35.800"} for i in range(3)])
...     policy = dataclasses.replace(load_dip_policy(), core_min_stays=2)
...     catalogue, _ = build_dip(wh, "doc", "2024", policy=policy, folder=out)
...     result = group_dip(wh, catalogue)
...     catalogue.groups.column("dip_group").to_pylist(), result.by_status
(['K35.8|-'], {'grouped': 3})
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hospeval.batches import batched
from hospeval.group.dip_catalogue import derive_catalogue
from hospeval.group.dip_keys import stay_keys
from hospeval.group.dip_spec import DipCatalogue, DipPolicy, load_dip_policy, scheme_folder, write_catalogue
from hospeval.reference.store import RESULT_TABLES
from hospeval.reference.trim import without
from hospeval.warehouse import Warehouse


@dataclass(frozen=True)
class DipGrouping:
    """What :func:`group_dip` wrote: stays per status and per reason."""

    scheme: str
    n_stays: int
    by_status: dict[str, int]
    by_reason: dict[str, int]


def build_dip(wh: Warehouse, name: str, version: str, *, periods: tuple[str, ...] = (),
              hospitals: tuple[str, ...] = (), policy: DipPolicy | None = None,
              folder: str | Path | None = None) -> tuple[DipCatalogue, list[Path]]:
    """Derive a DIP catalogue, write its scheme folder and store it in the warehouse.

    ``folder`` defaults to ``schemes/dip-<name>`` in the data root.
    """
    policy = policy or load_dip_policy()
    catalogue = derive_catalogue(wh, name, version, periods=periods, hospitals=hospitals, policy=policy)
    paths = write_catalogue(catalogue, scheme_folder(catalogue.scheme, folder))
    store_catalogue(wh, catalogue)
    return catalogue, paths


def store_catalogue(wh: Warehouse, catalogue: DipCatalogue) -> None:
    """Write ``dip_catalogue`` and ``dip_reference`` rows of the catalogue's (scheme, version)."""
    n = catalogue.groups.num_rows
    rows = catalogue.groups.append_column("scheme", pa.array([catalogue.scheme] * n, pa.string())) \
        .append_column("version", pa.array([catalogue.version] * n, pa.string()))
    key = {"scheme": catalogue.scheme, "version": catalogue.version}
    wh.replace_rows("dip_catalogue", rows, key, schema=result_schema("dip_catalogue"))
    wh.replace_rows("dip_reference", rows.select(list(RESULT_TABLES["dip_reference"].names)), key,
                    schema=result_schema("dip_reference"))


def result_schema(name: str) -> ibis.Schema:
    """The fixed columns of result table ``name`` (reference.store.RESULT_TABLES)."""
    return RESULT_TABLES[name]


def grouping_expr(keys: ir.Table, catalogue: ir.Table, scheme: str) -> ir.Table:
    """Join keyed stays to a catalogue table: core group first, else comprehensive group."""
    core = catalogue.filter(catalogue.dip_kind == "core").select(
        "diagnosis", "procedures", core_group="dip_group", core_name="dip_name")
    comprehensive = catalogue.filter(catalogue.dip_kind == "comprehensive").select(
        category="diagnosis", treatment="treatment", comp_group="dip_group", comp_name="dip_name")
    t = without(keys.left_join(core, ["diagnosis", "procedures"]), "diagnosis_right", "procedures_right")
    t = without(t.left_join(comprehensive, ["category", "treatment"]), "category_right", "treatment_right")
    valid = t.diagnosis_valid
    is_core = valid & t.core_group.notnull()
    is_comp = valid & ~is_core & t.comp_group.notnull()
    status = ibis.cases((~valid, "error"), (is_core | is_comp, "grouped"), else_="ungroupable")
    reason = ibis.cases(
        (t.diagnosis.isnull(), "no_principal_diagnosis"),
        (~valid, "invalid_principal_diagnosis"),
        (is_core, "matched_core"),
        (is_comp, "matched_comprehensive"),
        else_="no_catalogue_group",
    )
    null = ibis.null("string")
    return t.select(
        "stay_id",
        scheme=ibis.literal(scheme),
        status=status,
        reason=reason,
        dip_group=ibis.cases((is_core, t.core_group), (is_comp, t.comp_group), else_=null),
        dip_kind=ibis.cases((is_core, "core"), (is_comp, "comprehensive"), else_=null),
        dip_name=ibis.cases((is_core, t.core_name), (is_comp, t.comp_name), else_=null),
    )


def group_dip(wh: Warehouse, catalogue: DipCatalogue) -> DipGrouping:
    """Group every stay of the warehouse against ``catalogue``; replace its rows of ``stay_dip_groups``."""
    store_catalogue(wh, catalogue)
    table = wh.table("dip_catalogue")
    chosen = table.filter((table.scheme == catalogue.scheme) & (table.version == catalogue.version))
    def keyed(stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table) -> ir.Table:
        return stay_keys(stays, diagnoses, procedures, catalogue.policy)

    # keyed in batches of stays: one list state per stay does not spill (hospeval.batches)
    with batched(wh, "_dip_keys_batches", wh.table("stays"),
                 [wh.table("stay_diagnoses"), wh.table("stay_procedures")], keyed) as keys:
        n = wh.replace_rows("stay_dip_groups", grouping_expr(keys, chosen, catalogue.scheme),
                            {"scheme": catalogue.scheme}, schema=result_schema("stay_dip_groups"))
    result = wh.table("stay_dip_groups")
    mine = result.filter(result.scheme == catalogue.scheme)
    counts = wh.to_arrow(mine.group_by(["status", "reason"]).aggregate(n=mine.count())).to_pylist()
    by_status: dict[str, int] = {}
    for row in counts:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    return DipGrouping(scheme=catalogue.scheme, n_stays=n, by_status=by_status,
                       by_reason={r["reason"]: r["n"] for r in counts})
