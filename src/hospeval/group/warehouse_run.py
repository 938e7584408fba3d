"""Group the warehouse: ``stays`` / ``stay_diagnoses`` / ``stay_procedures`` in, ``stay_groups`` out."""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir

from hospeval.batches import batched
from hospeval.group.engine import group_stays
from hospeval.group.spec import load_scheme
from hospeval.warehouse import Warehouse

RESULT_TABLE = "stay_groups"


@dataclass(frozen=True)
class GroupingSummary:
    """Counts of one grouping run."""

    scheme: str
    stays: int
    grouped: int
    ungroupable: int
    errors: int

    @property
    def grouped_share(self) -> float | None:
        """Share of stays grouped (NULL-safe: None when there are no stays)."""
        return self.grouped / self.stays if self.stays else None

    def lines(self) -> list[str]:
        """Summary lines for the CLI and the demo."""
        share = f"{self.grouped_share:.1%}" if self.grouped_share is not None else "n/a"
        return [
            f"scheme {self.scheme}: {self.stays} stays",
            f"grouped 入组 {self.grouped} ({share})",
            f"ungroupable 无法入组 {self.ungroupable}",
            f"errors 信息校验不通过 {self.errors}",
        ]


def group_warehouse(wh: Warehouse, scheme_name: str, *, code_policy: str = "exact") -> GroupingSummary:
    """Group every stay of the warehouse into ``stay_groups`` (replacing the rows of that scheme).

    Other schemes' rows in ``stay_groups`` are kept, so several schemes can be compared side by side.
    """
    wh.require("stays", "stay_diagnoses", "stay_procedures")
    scheme = load_scheme(scheme_name)

    def group(stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table) -> ir.Table:
        return group_stays(wh, scheme, stays, diagnoses, procedures, code_policy=code_policy)

    # batches of stays keep the working set bounded (hospeval.batches); their rows are the same
    with batched(wh, "_stay_groups_batches", wh.table("stays"),
                 [wh.table("stay_diagnoses"), wh.table("stay_procedures")], group) as result:
        wh.replace_rows(RESULT_TABLE, result, {"scheme": scheme.name})
    groups = wh.table(RESULT_TABLE)
    mine = groups.filter(groups.scheme == scheme.name)
    rows = mine.group_by("status").aggregate(n=mine.count()).to_pyarrow().to_pylist()
    counts = {r["status"]: r["n"] for r in rows}
    return GroupingSummary(scheme=scheme.name, stays=sum(counts.values()), grouped=counts.get("grouped", 0),
                           ungroupable=counts.get("ungroupable", 0), errors=counts.get("error", 0))
