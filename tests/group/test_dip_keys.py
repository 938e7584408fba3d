"""DIP keys: diagnosis / procedure normalisation, procedure combinations, treatment kinds."""

from __future__ import annotations

import dataclasses

import ibis
import pytest

from hospeval.errors import SchemaError
from hospeval.group.dip_keys import diagnosis_key, procedure_key, stay_keys
from hospeval.group.dip_spec import load_dip_policy
from hospeval.reference.testing import add_diagnoses, add_procedures, add_stays
from hospeval.warehouse import Warehouse


def evaluate(expr_fn, codes):
    t = ibis.memtable({"code": codes}, schema={"code": "string"})
    return t.select(k=expr_fn(t.code)).to_pyarrow().column("k").to_pylist()


@pytest.mark.parametrize(("code", "four", "three"), [
    ("K35.800x001", "K35.8", "K35"),
    ("k358", "K35.8", "K35"),
    (" K35.8 ", "K35.8", "K35"),
    ("I10.x00x002", "I10", "I10"),    # x placeholder: no subcategory
    ("A18.0†", "A18.0", "A18"),
    ("K35", "K35", "K35"),
    ("O80.000", "O80.0", "O80"),
])
def test_diagnosis_key(code, four, three):
    assert evaluate(lambda c: diagnosis_key(c, 4), [code]) == [four]
    assert evaluate(lambda c: diagnosis_key(c, 3), [code]) == [three]


@pytest.mark.parametrize(("code", "full", "four"), [
    ("4701", "47.01", "47.01"),
    ("47.0100x001", "47.0100X001", "47.01"),
    ("00.6600X004", "00.6600X004", "00.66"),
    (" 47.09 01", "47.0901", "47.09"),
    ("99", "99", "99"),
])
def test_procedure_key(code, full, four):
    assert evaluate(lambda c: procedure_key(c, None), [code]) == [full]
    assert evaluate(lambda c: procedure_key(c, 4), [code]) == [four]


@pytest.fixture
def wh():
    with Warehouse(":memory:") as w:
        w.ensure_schema()
        yield w


def keys_of(wh, policy=None):
    expr = stay_keys(wh.table("stays"), wh.table("stay_diagnoses"), wh.table("stay_procedures"),
                     policy or load_dip_policy())
    return {r["stay_id"]: r for r in wh.to_arrow(expr).to_pylist()}


def test_combination_is_sorted_distinct_and_treatment_is_highest_kind(wh):
    add_stays(wh, [{"stay_id": s} for s in ("a", "b", "c", "d", "e", "f")])
    add_diagnoses(wh, [{"stay_id": s, "seq": 0, "code": "K35.800"} for s in "abcdef"]
                  + [{"stay_id": "a", "seq": 1, "code": "I10.x00"}])
    add_procedures(wh, [
        # a: repeated code, out of order, kinds diagnostic + surgical -> surgical
        {"stay_id": "a", "seq": 0, "code": "54.51", "procedure_kind": "1"},
        {"stay_id": "a", "seq": 1, "code": "47.01", "procedure_kind": "2"},
        {"stay_id": "a", "seq": 2, "code": "47.01", "procedure_kind": "2"},
        # b: no kind recorded: 88.01 (imaging, 87-91) -> diagnostic; 45.13 (diagnostic on intestine)
        {"stay_id": "b", "seq": 0, "code": "88.01"},
        {"stay_id": "b", "seq": 1, "code": "45.13"},
        # c: 93.39 (92-99) -> therapeutic; 47.09 without kind -> surgical: surgical wins
        {"stay_id": "c", "seq": 0, "code": "93.39"},
        {"stay_id": "d", "seq": 0, "code": "93.39"},
        {"stay_id": "c", "seq": 1, "code": "47.09"},
        # e: recorded kind 3 overrides the code rule (47.01 would be surgical)
        {"stay_id": "e", "seq": 0, "code": "47.01", "procedure_kind": "3"},
    ])
    keys = keys_of(wh)
    assert {s: (k["diagnosis"], k["category"], k["procedures"], k["treatment"]) for s, k in keys.items()} == {
        "a": ("K35.8", "K35", "47.01+54.51", "surgical"),
        "b": ("K35.8", "K35", "45.13+88.01", "diagnostic"),
        "c": ("K35.8", "K35", "47.09+93.39", "surgical"),
        "d": ("K35.8", "K35", "93.39", "therapeutic"),
        "e": ("K35.8", "K35", "47.01", "therapeutic"),
        "f": ("K35.8", "K35", "", "conservative"),
    }
    assert all(k["diagnosis_valid"] for k in keys.values())


def test_missing_and_invalid_principal_diagnosis(wh):
    add_stays(wh, [{"stay_id": "none"}, {"stay_id": "bad"}, {"stay_id": "other"}])
    add_diagnoses(wh, [{"stay_id": "bad", "seq": 0, "code": "123.4"},
                       {"stay_id": "other", "seq": 1, "code": "K35.8"}])  # no seq 0
    keys = keys_of(wh)
    assert {s: (k["diagnosis"], k["diagnosis_valid"]) for s, k in keys.items()} == {
        "none": (None, False), "bad": ("123.4", False), "other": (None, False)}


def test_procedure_code_chars_policy(wh):
    add_stays(wh, [{"stay_id": "a"}])
    add_diagnoses(wh, [{"stay_id": "a", "seq": 0, "code": "K35.8"}])
    add_procedures(wh, [{"stay_id": "a", "seq": 0, "code": "47.0100x001"},
                        {"stay_id": "a", "seq": 1, "code": "47.0101"}])
    policy = dataclasses.replace(load_dip_policy(), procedure_code_chars=4, diagnosis_chars=3)
    key = keys_of(wh, policy)["a"]
    assert (key["diagnosis"], key["procedures"]) == ("K35", "47.01")


def test_bad_dip_policy_names_the_field(tmp_path):
    path = tmp_path / "dip.yaml"
    path.write_text("procedure_kind_map: {'1': cutting}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="procedure_kind_map"):
        load_dip_policy(path)
    path.write_text("procedure_kind_rules: [{from: '90', to: '10', kind: surgical}]\n")
    with pytest.raises(SchemaError, match=r"procedure_kind_rules\[0\]"):
        load_dip_policy(path)
    path.write_text("diagnosis_chars: 6\n")
    with pytest.raises(SchemaError, match="diagnosis_chars"):
        load_dip_policy(path)
