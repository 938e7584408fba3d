"""Same seed -> identical tables; different seed -> different stays; batch-wise generation."""

from __future__ import annotations

import pytest

from hospeval.demo.generator import PLANTED_ERRORS_TABLE, generate_province
from hospeval.errors import HospevalError
from hospeval.model import TABLES, table_spec
from hospeval.warehouse import Warehouse


def _tables(seed: int, stays: int = 3000) -> dict:
    with Warehouse(":memory:") as wh:
        generate_province(wh, stays=stays, seed=seed, batch_size=1000)
        out = {}
        for name in (*TABLES, PLANTED_ERRORS_TABLE):
            key = ", ".join(table_spec(name).primary_key) if name in TABLES else "stay_id, kind"
            out[name] = wh.con.execute(f'SELECT * FROM "{name}" ORDER BY {key}').to_arrow_table()
        return out


def test_same_seed_gives_identical_tables():
    first, second = _tables(11), _tables(11)
    for name in first:
        assert first[name].equals(second[name]), name


def test_different_seed_gives_different_stays():
    a, b = _tables(11), _tables(12)
    assert not a["stays"].equals(b["stays"])
    assert set(a["stays"]["stay_id"].to_pylist()).isdisjoint(b["stays"]["stay_id"].to_pylist())


def test_progress_is_reported_per_batch_and_counts_add_up():
    seen = []
    with Warehouse(":memory:") as wh:
        generate_province(wh, stays=2500, seed=3, batch_size=1000, progress=lambda done, total: seen.append((done, total)))
        assert wh.count("stays") == 2500
        assert wh.con.execute("SELECT count(DISTINCT stay_id) FROM stay_diagnoses").fetchone()[0] == 2500
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_refuses_a_filled_warehouse_unless_replace():
    with Warehouse(":memory:") as wh:
        generate_province(wh, stays=500, seed=1)
        with pytest.raises(HospevalError, match="already holds data"):
            generate_province(wh, stays=500, seed=1)
        generate_province(wh, stays=700, seed=2, replace=True)
        assert wh.count("stays") == 700
        assert wh.con.execute("SELECT count(*) FROM stays WHERE load_id = 'demo-1-2024'").fetchone()[0] == 0


def test_hospital_count_override_and_scaling():
    with Warehouse(":memory:") as wh:
        truth = generate_province(wh, stays=500, seed=1, hospitals=20)
        assert wh.count("hospitals") == 20 == len(truth.hospitals)


def test_a_failed_run_inside_a_transaction_leaves_the_warehouse_as_it_was():
    def fail(done, total):
        if done >= 1000:
            raise RuntimeError("interrupted")

    with Warehouse(":memory:") as wh:
        wh.ensure_schema()
        with pytest.raises(RuntimeError), wh.transaction():
            generate_province(wh, stays=3000, seed=1, batch_size=1000, progress=fail)
        assert all(wh.count(t) == 0 for t in TABLES)


def test_planted_error_table_is_optional():
    with Warehouse(":memory:") as wh:
        truth = generate_province(wh, stays=1000, seed=1, planted_errors_table=None)
        assert not wh.has_table(PLANTED_ERRORS_TABLE)
        assert truth.planted_errors_table is None and truth.planted_error_count() >= 0
