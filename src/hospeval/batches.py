"""Bounded working sets: per-stay computations run over batches of stays, their rows collected in a table.

A stay's DRG group or DIP key depends on that stay's own rows only, so grouping a province in batches of
stays gives the same rows as grouping it at once. On one machine that keeps each statement's working set
(hash tables of the joins, list states of the procedure combinations) the size of a batch, not of the
province: above a few million stays the whole set no longer fits the DuckDB memory limit, and spilled work
tables cost several times as much per row to read back (measured in ``benchmarks/results/pipeline.md``).

A batch is a half-open range of ``stay_id`` so that the stays and their diagnosis and procedure rows are
cut by the same plain filter (no join). Ranges are cut between hospitals: ingest derives ``stay_id`` as
``hospital_id-<hash>``, so one hospital's stays are one contiguous range, and a batch holds whole hospitals
up to :attr:`Warehouse.batch_stays` stays (a hospital larger than that is a batch of its own). Ranges
cover every possible id, so batches are exact whatever the ids look like; only their sizes assume the
ingest's ids. Spark partitions by itself: its warehouse has no batch size and runs in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import ibis.expr.types as ir

Range = tuple[str | None, str | None]


@contextmanager
def work_scope(wh, keep: set[str] | None = None) -> Iterator[None]:
    """Drop the work tables made inside the block (also when it fails), except the session's results and
    ``keep`` (read when the block ends, so a table the block adds to it is kept).
    """
    before = wh.work_tables()
    try:
        yield
    finally:
        for table in wh.work_tables() - before - wh.session_tables - (keep or set()):
            wh.drop_work_table(table)


def append_work(wh, name: str, data: ir.Table) -> None:
    """Add ``data``'s rows to work table ``name``, columns matched by name (made from ``data`` at first).

    DuckDB only: batches run only there (Spark has no batch size).
    """
    if name not in wh.work_tables():
        wh.scratch(name, data)
    elif wh.engine == "duckdb":
        wh.con.execute(f'INSERT INTO temp.main."{name}" BY NAME {wh._sql(data)}')
    else:
        raise NotImplementedError(f"batches of stays run on DuckDB only, not on {wh.engine}")


def group_starts(sizes: Sequence[int], budget: int) -> list[int]:
    """Indices where consecutive groups of ``sizes`` start, each group's sum at most ``budget``.

    A new group starts when the next size would overflow a non-empty group, so an item larger than the
    budget is a group of its own.
    """
    starts: list[int] = []
    filled = 0
    for i, n in enumerate(sizes):
        if not starts or (filled > 0 and filled + n > budget):
            starts.append(i)
            filled = 0
        filled += n
    return starts


def stay_ranges(wh, stays: ir.Table, size: int | None) -> list[Range]:
    """Half-open ``stay_id`` ranges ``[lo, hi)`` of whole hospitals, each up to ``size`` stays.

    One range ``(None, None)`` (everything) when ``size`` is None or the stays fit in one batch. Only one row
    per hospital comes back from the warehouse.
    """
    if size is None:
        return [(None, None)]
    per = stays.group_by("hospital_id").aggregate(first=stays.stay_id.min(), n=stays.count())
    rows = wh.to_arrow(per.order_by("first")).to_pylist()
    starts = [rows[i]["first"] for i in group_starts([row["n"] for row in rows], size)]
    bounds = [None, *starts[1:], None]
    return list(zip(bounds[:-1], bounds[1:], strict=True)) if starts else [(None, None)]


def within(table: ir.Table, lo: str | None, hi: str | None) -> ir.Table:
    """Rows of ``table`` whose ``stay_id`` is in ``[lo, hi)`` (None = unbounded)."""
    if lo is not None:
        table = table.filter(table.stay_id >= lo)
    if hi is not None:
        table = table.filter(table.stay_id < hi)
    return table


@contextmanager
def batched(wh, name: str, stays: ir.Table, linked: Sequence[ir.Table],
            compute: Callable[..., ir.Table], *, size: int | None = None,
            materialise: bool = False, one_pass: bool = False) -> Iterator[ir.Table]:
    """Yield ``compute(stays, *linked)``, computed batch by batch when the stays are many.

    ``compute`` takes the stays and the linked per-stay tables (diagnoses, procedures; each with
    ``stay_id``) of a batch and returns rows for those stays only. With one batch the expression itself is
    yielded, or with ``materialise`` a work table computed from it once (for a result read several times).
    With several, each batch's rows are appended to the stored table ``name`` (compressed on disk, so the
    collected rows take no working memory), the work tables a batch made are dropped before the next
    begins, and ``name`` is yielded; either table is dropped after the block. ``one_pass`` forces one batch
    (for a computation that is not exact over batches).
    """
    if one_pass:
        ranges = [(None, None)]
    else:
        ranges = stay_ranges(wh, stays, size if size is not None else getattr(wh, "batch_stays", None))
    if len(ranges) == 1 and not materialise:
        yield compute(stays, *linked)
        return
    if len(ranges) == 1:
        try:
            yield wh.scratch(name, compute(stays, *linked))
        finally:
            wh.drop(name)
        return
    wh.drop(name)
    try:
        for lo, hi in ranges:
            with work_scope(wh):
                wh.append(name, compute(within(stays, lo, hi), *[within(t, lo, hi) for t in linked]))
        yield wh.table(name)
    finally:
        wh.drop(name)
