"""Property tests of the code-prefix matching every coding rule relies on."""

from __future__ import annotations

import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from hospeval.quality.checks import prefix_match

LETTERS = "ABCDEOSTVWXYZ"
codes = st.builds(lambda letter, num, sub: f"{letter}{num:02d}" + (f".{sub}" if sub is not None else ""),
                  st.sampled_from(LETTERS), st.integers(0, 99), st.one_of(st.none(), st.integers(0, 999)))
bounds = st.builds(lambda letter, a, b: (f"{letter}{min(a, b):02d}", f"{letter}{max(a, b):02d}"),
                   st.sampled_from(LETTERS), st.integers(0, 99), st.integers(0, 99))


def reference(code: str, prefixes: list[str]) -> bool:
    norm = code.upper().replace(".", "")
    for p in prefixes:
        p = p.upper().replace(".", "")
        if "-" in p:
            lo, hi = p.split("-")
            if lo <= norm[: len(lo)] <= hi:
                return True
        elif norm.startswith(p):
            return True
    return False


@settings(max_examples=40, deadline=None)
@given(st.lists(codes, min_size=1, max_size=30), st.lists(st.one_of(
    bounds.map(lambda b: f"{b[0]}-{b[1]}"), st.builds(lambda c: c[:3], codes)), min_size=1, max_size=4))
def test_prefix_match_agrees_with_reference(sample, prefixes):
    t = ibis.memtable(pa.table({"code": sample}))
    got = ibis.duckdb.connect().execute(t.select(hit=prefix_match(t.code, prefixes)))["hit"].tolist()
    assert got == [reference(c, prefixes) for c in sample]


def test_ranges_cover_whole_chapters():
    t = ibis.memtable(pa.table({"code": ["V01.000", "W19.X00", "Y98", "U07.1", "O84.9", "O85.0", "74.1000"]}))
    con = ibis.duckdb.connect()
    ext = con.execute(t.select(hit=prefix_match(t.code, ["V01-Y98"])))["hit"].tolist()
    assert ext == [True, True, True, False, False, False, False]
    delivery = con.execute(t.select(hit=prefix_match(t.code, ["O80-O84", "72-74"])))["hit"].tolist()
    assert delivery == [False, False, False, False, True, False, True]
