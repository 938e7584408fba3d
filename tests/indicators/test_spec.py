"""Indicator files: validation errors name the file and field; expressions compile only from the whitelist."""

from __future__ import annotations

import ibis
import pytest

from hospeval.errors import SchemaError
from hospeval.indicators import expr
from hospeval.indicators.codelists import codelist
from hospeval.indicators.spec import load_fields, load_set_file, load_sets


def test_all_shipped_sets_load():
    sets = {s.id: s for s in load_sets()}
    assert {"tertiary", "secondary", "drg", "high_quality", "consortium"} <= set(sets)
    assert len(sets["tertiary"].indicators) == 56  # 55 + 1
    assert len(sets["secondary"].indicators) == 28
    assert sum(i.national_monitor for i in sets["secondary"].indicators) == 21
    drg_ids = {i.id for i in sets["drg"].indicators}
    assert {"drg_group_count", "drg_total_weight", "drg_cmi", "drg_cost_efficiency_index",
            "drg_time_efficiency_index", "drg_low_risk_mortality", "drg_mid_low_risk_mortality"} <= drg_ids
    for s in sets.values():
        for i in s.indicators:
            assert i.source_document and i.name_zh and i.name_en, i.id
    load_fields()


def _write(tmp_path, body):
    (tmp_path / "_fields.yaml").write_text("stay_fields: {}\n", encoding="utf-8")
    p = tmp_path / "x.yaml"
    p.write_text("set: x\nversion: '1'\nindicators:\n" + body, encoding="utf-8")
    return p


def test_unknown_direction_names_file_and_field(tmp_path):
    p = _write(tmp_path, "  - {id: a, name_zh: a, name_en: a, dimension: d, numerator: {agg: count}, "
                         "direction: up, data_source: front_page, source_document: s}\n")
    with pytest.raises(SchemaError, match="direction") as exc:
        load_set_file(p)
    assert str(p) in str(exc.value)


def test_unknown_metric_is_rejected(tmp_path):
    p = _write(tmp_path, "  - {id: a, name_zh: a, name_en: a, dimension: d, numerator: {fact: revenue_typo}, "
                         "direction: higher, data_source: finance, source_document: s}\n")
    with pytest.raises(SchemaError, match="revenue_typo"):
        load_set_file(p)


def test_bad_aggregate_and_missing_key(tmp_path):
    p = _write(tmp_path, "  - {id: a, name_zh: a, name_en: a, dimension: d, numerator: {agg: median, of: x}, "
                         "direction: higher, data_source: front_page, source_document: s}\n")
    with pytest.raises(SchemaError, match="agg must be one of"):
        load_set_file(p)
    p = _write(tmp_path, "  - {id: a, name_zh: a, dimension: d, numerator: {agg: count}, "
                         "direction: higher, data_source: front_page, source_document: s}\n")
    with pytest.raises(SchemaError, match="name_en"):
        load_set_file(p)


@pytest.mark.parametrize("text", ["__import__('os')", "x.y", "x[0]", "lambda: 1", "open('f')"])
def test_expression_whitelist(text):
    with pytest.raises(SchemaError):
        expr.parse(text)


def test_expression_compiles_and_evaluates():
    t = ibis.memtable({"code": ["T81.401", "I10.x00", None], "n": [1, 2, 3], "d": ["5", "1", "5"]})
    e = expr.compile_expr("in_codelist(code, 'complications') and d == '5'", t, codelist)
    assert t.select(r=e).to_pandas().r.tolist() == [True, False, False]
    e = expr.compile_expr("n * 2 + 1", t)
    assert t.select(r=e).to_pandas().r.tolist() == [3, 5, 7]
    e = expr.compile_expr("d in ('5', '9') and not n > 2", t)
    assert t.select(r=e).to_pandas().r.tolist() == [True, False, False]
    e = expr.compile_expr("startswith(code, 'T8', 'I1')", t)
    assert t.select(r=e).to_pandas().r.tolist() == [True, True, False]
    with pytest.raises(SchemaError, match="unknown field"):
        expr.compile_expr("missing_column > 1", t)


def test_codelists_have_sources():
    import csv

    from hospeval.paths import data_dir
    for name in ("surgery_level4", "minimally_invasive", "complications"):
        rows = list(csv.DictReader((data_dir("codelists") / f"{name}.csv").open(encoding="utf-8")))
        assert rows and all(r["code"] and r["name"] and r["source"] for r in rows)
    assert "T81.4" in codelist("complications")[5]


def test_set_level_restriction():
    consortium = {s.id: s for s in load_sets()}["consortium"]
    assert all(i.levels == ("hospital", "consortium", "district") for i in consortium.indicators)
