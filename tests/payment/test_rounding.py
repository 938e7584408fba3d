"""Money rounding: half a cent goes up, as decimal arithmetic rounds it, whatever the binary double says."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import hypothesis.strategies as st
import ibis
from hypothesis import given, settings

from hospeval.payment.rounding import round_half_up, round_to

DUCK = ibis.duckdb.connect()
MANTISSA = 10 ** 14  # 6 decimals below 1e8: at most 14 significant digits, the contract of round_to


@st.composite
def decimal_and_digits(draw) -> tuple[Decimal, int]:
    """A decimal of at most 6 places below 1e8, often exactly on a half of the last kept digit or next to it."""
    digits = draw(st.sampled_from([2, 4]))
    unit = 10 ** (6 - digits)  # the kept last digit, in millionths
    kind = draw(st.sampled_from(["any", "half", "near half"]))
    if kind == "any":
        millionths = draw(st.integers(-MANTISSA + 1, MANTISSA - 1))
    else:
        whole = draw(st.integers(-(MANTISSA // unit) + 1, MANTISSA // unit - 2))
        millionths = whole * unit + unit // 2 + (draw(st.sampled_from([-1, 1])) if kind == "near half" else 0)
    return Decimal(millionths).scaleb(-6), digits


@settings(max_examples=60, deadline=None)
@given(st.lists(decimal_and_digits(), min_size=1, max_size=40))
def test_round_to_is_decimal_half_up(values):
    t = ibis.memtable({"i": list(range(len(values))), "x": [float(v) for v, _ in values],
                       "d": [d for _, d in values]})
    rounded = {d: round_to(t.x, d) for d in (2, 4)}
    got = DUCK.to_pyarrow(t.select("i", r=(t.d == 2).ifelse(rounded[2], rounded[4])).order_by("i"))
    for (v, d), r in zip(values, got.column("r").to_pylist(), strict=True):
        want = float(v.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))
        assert r == want, (v, d, r)
        assert round_half_up(float(v), d) == want, (v, d)


def test_round_to_is_exact_at_the_edges():
    t = ibis.memtable({"x": [0.125, -0.125, 1.005, -1.005, 99999999.995, 0.0049999, -0.004, None]})
    got = DUCK.to_pyarrow(t.select(r=round_to(t.x, 2))).column("r").to_pylist()
    assert got == [0.13, -0.13, 1.01, -1.01, 100000000.0, 0.0, 0.0, None]
    assert str(got[6]) == "0.0"  # not -0.0
    assert round_half_up(-0.004, 2) == 0.0 and str(round_half_up(-0.004, 2)) == "0.0"
