"""Batches of stays (hospeval.batches): exact cover of the stays, and the same rows as one pass."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hospeval.batches import batched, stay_ranges, within
from hospeval.demo.generator import generate_province
from hospeval.pipeline import RunContext, run_stage
from hospeval.warehouse import Warehouse

# any printable text: ids come from files, where control characters are rejected at ingest
_ID_CHARS = st.characters(blacklist_categories=("Cc", "Cs"))


def _stays(wh: Warehouse, rows: list[tuple[str, str]]) -> None:
    wh.replace("stays", pa.table({"stay_id": [r[0] for r in rows], "hospital_id": [r[1] for r in rows]}))


def test_ranges_pack_whole_hospitals_up_to_the_batch_size():
    # hospital A 3 stays, B 2, C 4, D 1: with size 5, A+B | C+D
    counts = {"A": 3, "B": 2, "C": 4, "D": 1}
    with Warehouse(":memory:") as wh:
        _stays(wh, [(f"{h}-{i}", h) for h, n in counts.items() for i in range(n)])
        ranges = stay_ranges(wh, wh.table("stays"), 5)
        assert ranges == [(None, "C-0"), ("C-0", None)]
        sizes = [wh.to_arrow(within(wh.table("stays"), lo, hi)).num_rows for lo, hi in ranges]
        assert sizes == [5, 5]
        assert stay_ranges(wh, wh.table("stays"), 10) == [(None, None)]  # all fit: no filter at all
        assert stay_ranges(wh, wh.table("stays"), None) == [(None, None)]
        # a hospital larger than the batch is a batch of its own
        assert stay_ranges(wh, wh.table("stays"), 2) == [(None, "B-0"), ("B-0", "C-0"), ("C-0", "D-0"),
                                                          ("D-0", None)]


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.text(_ID_CHARS, min_size=1, max_size=6), st.sampled_from("PQRST")), min_size=1,
                     max_size=60, unique_by=lambda r: r[0]),
       size=st.integers(min_value=1, max_value=25))
def test_ranges_cover_every_stay_exactly_once_whatever_the_ids(rows, size):
    # ids need not start with the hospital: sizes then vary, but no stay is lost or counted twice
    with Warehouse(":memory:") as wh:
        _stays(wh, rows)
        seen = []
        for lo, hi in stay_ranges(wh, wh.table("stays"), size):
            seen += wh.to_arrow(within(wh.table("stays"), lo, hi))["stay_id"].to_pylist()
        assert sorted(seen) == sorted(r[0] for r in rows)


def test_batched_drops_its_table_and_the_batches_work_tables_also_on_failure():
    with Warehouse(":memory:") as wh:
        _stays(wh, [(f"{h}-{i}", h) for h in "ABC" for i in range(3)])

        def compute(stays):
            return wh.scratch("_intermediate", stays.mutate(twice=stays.stay_id + stays.stay_id))

        with batched(wh, "_collected", wh.table("stays"), [], compute, size=3) as rows:
            assert wh.has_table("_collected")
            assert wh.to_arrow(rows).num_rows == 9
            assert wh.work_tables() == set()  # each batch's intermediates are gone
        assert not wh.has_table("_collected")

        def failing(stays):
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError), batched(wh, "_collected", wh.table("stays"), [], failing, size=3):
            pass
        assert not wh.has_table("_collected") and wh.work_tables() == set()


def _ordered(wh: Warehouse, table: str) -> list[tuple]:
    return wh.con.execute(f'SELECT * EXCLUDE (run_id) FROM "{table}" ORDER BY ALL').fetchall() \
        if "run_id" in wh.table(table).columns else wh.con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()


@pytest.mark.parametrize("scheme", ["chs-drg-1.1", "zhejiang-2022"])
def test_grouping_and_dip_in_batches_give_the_same_rows_as_one_pass(tmp_path, scheme):
    # zhejiang-2022 regroups ungroupable stays with each further procedure: a second pass per batch
    tables = ("stay_groups", "drg_reference", "dip_catalogue", "stay_dip_groups")
    results = {}
    for size in (None, 400):
        with Warehouse(":memory:") as wh:
            wh.batch_stays = size
            generate_province(wh, stays=2_500, seed=11)
            for stage in ("group", "reference"):
                run_stage(stage, RunContext(warehouse=wh, output=tmp_path / str(size), scheme=scheme,
                                            console=Console(quiet=True)))
            if size:
                assert len(stay_ranges(wh, wh.table("stays"), size)) >= 5  # really batched
            assert wh.work_tables() == set()
            assert not any(name.endswith("_batches") for (name,) in wh.con.execute("SHOW TABLES").fetchall())
            results[size] = {t: _ordered(wh, t) for t in tables}
    for table in tables:
        one, many = results[None][table], results[400][table]
        assert one and len(many) == len(one), table
        for a, b in zip(many, one, strict=True):
            assert all(_same(x, y) for x, y in zip(a, b, strict=True)), (table, a, b)


def _same(x: object, y: object) -> bool:
    """Equal; floats to 1e-9 relative (sums over the rows in another order)."""
    return math.isclose(x, y, rel_tol=1e-9) if isinstance(x, float) and isinstance(y, float) else x == y


def test_indicators_in_batches_give_the_same_values_as_one_pass(tmp_path):
    # additive measures are summed from per-batch cells; DRG counts (count_distinct) read distinct rows
    values = {}
    for size in (None, 400):
        with Warehouse(":memory:") as wh:
            wh.batch_stays = size
            generate_province(wh, stays=2_500, seed=12)
            for stage in ("group", "reference", "indicators"):
                summary = run_stage(stage, RunContext(warehouse=wh, output=tmp_path / str(size),
                                                      console=Console(quiet=True)))
            assert wh.work_tables() == set()
            # the benchmark reports the part that reads stays apart from the part that works on units
            assert set(summary.timings) == {"stays", "units"} and min(summary.timings.values()) > 0
            values[size] = _ordered(wh, "indicator_values")
    one, many = values[None], values[400]
    assert len(one) > 1_000 and len(many) == len(one)
    for a, b in zip(many, one, strict=True):
        assert all(_same(x, y) for x, y in zip(a, b, strict=True)), (a, b)


def test_indicators_batch_only_what_batches_can_give():
    from hospeval.indicators.compile import batchable, measure_names
    from hospeval.indicators.spec import load_sets

    measures = measure_names([i for s in load_sets(None) for i in s.indicators if i.computable])
    assert any(m.agg == "count_distinct" for m in measures.values())
    assert batchable(measures, ["hospital", "dept", "doctor", "consortium", "district"])
    assert not batchable(measures, ["hospital", "drg"])  # the DRG level reads every row


def test_quality_rules_in_batches_give_the_same_findings_and_results_as_one_pass():
    # denominators are summed per hospital over batches; duplicate keys hold the stay or the hospital
    from hospeval.quality.engine import run_rules

    rows = {}
    for size in (None, 400):
        with Warehouse(":memory:") as wh:
            wh.batch_stays = size
            generate_province(wh, stays=2_500, seed=13)
            # a stay reported twice under another record number: same patient and admission time
            wh.con.execute("INSERT INTO stays SELECT * REPLACE (stay_id || 'x' AS stay_id) FROM stays "
                           "WHERE stay_id = (SELECT max(stay_id) FROM stays)")
            if size:
                assert len(stay_ranges(wh, wh.table("stays"), size)) >= 5
            run = run_rules(wh)
            assert wh.work_tables() == set()
            rows[size] = (_ordered(wh, "quality_findings"), _ordered(wh, "quality_rule_results"), run.statuses)
    one, many = rows[None], rows[400]
    assert len(one[0]) > 1_000 and many[0] == one[0]
    assert any(r[2] == "FP-S025" for r in many[0])  # a hospital's stays share a batch: duplicates are found
    assert many[1] == one[1] and many[2] == one[2]


def test_quality_rules_batch_only_when_duplicate_keys_stay_within_a_hospital():
    from dataclasses import replace

    from hospeval.quality.engine import batchable
    from hospeval.quality.spec import Check, load_catalogue

    catalogue = load_catalogue()
    assert batchable(catalogue)
    rule = next(r for r in catalogue.rules if r.check.kind == "duplicate_key")
    across = replace(rule, check=Check("duplicate_key", (("keys", ("patient_id", "admit_time")),)))
    assert not batchable(replace(catalogue, rules=(*catalogue.rules, across)))
