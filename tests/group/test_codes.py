from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hospeval.group.codes import canonical_code, canonical_code_expr, normalise_codes


@pytest.mark.parametrize(("raw", "canonical"), [
    (" i97.000X002 ", "I97.000x002"),
    ("S06600", "S06.600"),
    ("J98000x013", "J98.000x013"),
    ("I10.X00X002", "I10.x00x002"),
    ("X59.900", "X59.900"),          # chapter letter X stays upper-case
    ("x59900", "X59.900"),
    ("E88.905+G99.0*", "E88.905+G99.0*"),
    ("36.0700X004", "36.0700x004"),
    ("360700x004", "36.0700x004"),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_canonical_code(raw, canonical):
    assert canonical_code(raw) == canonical


code_text = st.text(alphabet="AIJSXxij0123456789. +*", max_size=14)


@settings(max_examples=60, deadline=None)
@given(st.lists(code_text, min_size=1, max_size=20))
def test_expression_matches_the_function(codes):
    t = ibis.memtable({"code": codes}, schema={"code": "string"})
    got = t.mutate(c=canonical_code_expr(t.code)).to_pyarrow().column("c").to_pylist()
    assert got == [canonical_code(c) for c in codes]


@settings(max_examples=60, deadline=None)
@given(code_text)
def test_canonical_code_is_idempotent(code):
    once = canonical_code(code)
    assert canonical_code(once) == once


def test_normalise_only_maps_to_dictionary_codes():
    codes = ibis.memtable({"code": ["j13.x00", "J13.x00", "q99999", " A01.100 "]})
    dictionary = ibis.memtable({"code": ["J13.x00", "A01.100"]})
    exact = normalise_codes(codes, dictionary, "exact").order_by("code_recorded").to_pyarrow().to_pylist()
    assert [(r["code"], r["code_known"]) for r in exact] == [
        ("A01.100", True), ("J13.x00", True), ("j13.x00", False), ("q99999", False)]
    norm = normalise_codes(codes, dictionary, "normalise").order_by("code_recorded").to_pyarrow().to_pylist()
    assert [(r["code"], r["code_known"]) for r in norm] == [
        ("A01.100", True), ("J13.x00", True), ("J13.x00", True), ("q99999", False)]
    with pytest.raises(ValueError, match="unknown code policy"):
        normalise_codes(codes, dictionary, "fuzzy")
