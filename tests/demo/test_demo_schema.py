"""The generated tables have exactly the canonical columns, types and code sets."""

from __future__ import annotations

import re

import pytest

from hospeval.model import TABLES, code_sets, metrics, table_spec


def scalar(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchone()[0]



@pytest.mark.parametrize("name", TABLES)
def test_columns_and_types_match_the_schema_files(wh, name):
    described = wh.con.execute(f'DESCRIBE "{name}"').fetchall()
    spec = table_spec(name)
    assert [(r[0], r[1]) for r in described] == [(c.name, c.sql_type) for c in spec.columns]
    assert wh.count(name) > 0


@pytest.mark.parametrize("name", TABLES)
def test_primary_keys_are_unique(wh, name):
    key = ", ".join(table_spec(name).primary_key)
    assert scalar(wh, f'SELECT count(*) - count(DISTINCT ({key})) FROM "{name}"') == 0


@pytest.mark.parametrize("name", TABLES)
def test_coded_columns_use_only_allowed_codes(wh, name):
    sets = code_sets()
    for col in table_spec(name).columns:
        if col.codes in sets:
            allowed = list(sets[col.codes])
            bad = scalar(wh, f'SELECT count(*) FROM "{name}" WHERE "{col.name}" IS NOT NULL '
                             f'AND CAST("{col.name}" AS VARCHAR) NOT IN (SELECT unnest(?))', [allowed])
            assert bad == 0, col.name


@pytest.mark.parametrize("name", TABLES)
def test_bounds_and_required_fields(wh, name):
    for col in table_spec(name).columns:
        if col.min is not None:
            assert scalar(wh, f'SELECT count(*) FROM "{name}" WHERE "{col.name}" < ?', [col.min]) == 0, col.name
        if col.max is not None:
            assert scalar(wh, f'SELECT count(*) FROM "{name}" WHERE "{col.name}" > ?', [col.max]) == 0, col.name
        if col.required:
            assert scalar(wh, f'SELECT count(*) FROM "{name}" WHERE "{col.name}" IS NULL') == 0, col.name


def test_every_metric_for_both_years_and_valid_periods(wh, truth):
    rows = wh.con.execute("SELECT DISTINCT metric FROM hospital_facts").fetchall()
    assert {r[0] for r in rows} == set(metrics())
    for period in (str(truth.year), str(truth.year - 1)):
        n = scalar(wh, "SELECT count(*) FROM hospital_facts WHERE period = ?", [period])
        assert n == len(truth.hospitals) * len(metrics())
    periods = [r[0] for r in wh.con.execute("SELECT DISTINCT period FROM hospital_facts").fetchall()]
    assert all(re.fullmatch(r"[0-9]{4}(-[0-9]{2})?", p) for p in periods)
    assert f"{truth.year}-12" in periods


def test_every_level_and_category_and_consortia(wh, truth):
    kinds = set(wh.con.execute("SELECT level, category FROM hospitals").fetchall())
    assert {("3", "general"), ("3", "tcm"), ("3", "specialty"), ("2", "general"), ("1", "community")} <= kinds
    assert any(cat == "maternal_child" for _, cat in kinds)
    assert scalar(wh, "SELECT count(DISTINCT district) FROM hospitals") >= 3
    leads = wh.con.execute("SELECT consortium_id, count(*) FROM hospitals WHERE consortium_role = 'lead' "
                           "GROUP BY 1").fetchall()
    assert leads and all(n == 1 for _, n in leads)
    assert {c.consortium_id[:3] for c in truth.consortia} == {"UMG", "CMC"}
    assert 30 <= len(truth.hospitals) <= 50
