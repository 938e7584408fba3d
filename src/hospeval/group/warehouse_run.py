"""Group the warehouse: ``stays`` / ``stay_diagnoses`` / ``stay_procedures`` in, ``stay_groups`` out."""

from __future__ import annotations

from dataclasses import dataclass

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
    result = group_stays(wh, scheme, wh.table("stays"), wh.table("stay_diagnoses"),
                         wh.table("stay_procedures"), code_policy=code_policy)
    if wh.has_table(RESULT_TABLE):
        kept = wh.table(RESULT_TABLE)
        kept = kept.filter(kept.scheme != scheme.name)
        result = kept.union(result.cast(kept.schema()))
        # materialise first: the new table is computed from the one it replaces
        wh.replace(RESULT_TABLE, wh.scratch("_stay_groups_next", result))
    else:
        wh.replace(RESULT_TABLE, result)
    groups = wh.table(RESULT_TABLE)
    mine = groups.filter(groups.scheme == scheme.name)
    rows = mine.group_by("status").aggregate(n=mine.count()).to_pyarrow().to_pylist()
    counts = {r["status"]: r["n"] for r in rows}
    return GroupingSummary(scheme=scheme.name, stays=sum(counts.values()), grouped=counts.get("grouped", 0),
                           ungroupable=counts.get("ungroupable", 0), errors=counts.get("error", 0))
