"""Money rounding: half a cent goes up, as decimal arithmetic rounds it, whatever the binary double says.

Hand-computed: base rate 9,876.55 yuan, level 3 (coefficient 1.0), normal cases (cost within 0.4 to 3 times
the group mean) of DRG H5 (weight 0.5), H3 (0.3) and H7 (0.7):

- 9876.55 x 0.5 = 4938.275 -> 4938.28 (the double is 4938.275 exactly; SQL ROUND(x, 2) gives 4938.27)
- 9876.55 x 0.3 = 2962.965 -> 2962.97 (the double is 2962.9649999999997)
- 9876.55 x 0.7 = 6913.585 -> 6913.59 (the double is 6913.584999999999)
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal

import hypothesis.strategies as st
import ibis
from hypothesis import given, settings
from payment_fixtures import RULES, make_warehouse, stay, write_rules

from hospeval.payment.rounding import round_half_up, round_to
from hospeval.payment.settle import rollup, settlements, simulate
from hospeval.payment.spec import load_rules

HALF_CENT = {  # stay: (DRG, weight, cost, payment, surplus)
    "h5": ("H5", 0.5, 4000.0, 4938.28, 938.28),
    "h3": ("H3", 0.3, 3000.1, 2962.97, -37.13),
    "h7": ("H7", 0.7, 7000.0, 6913.59, -86.41),
}


def test_drg_payments_on_a_half_cent_round_up(tmp_path):
    doc = copy.deepcopy(RULES)
    doc["drg"]["base_rate"] = 9876.55
    rules = load_rules(write_rules(tmp_path, doc))
    wh = make_warehouse([stay(s, "H3", cost) for s, (_, _, cost, _, _) in HALF_CENT.items()],
                        groups=[(s, "grouped", g) for s, (g, _, _, _, _) in HALF_CENT.items()],
                        drg_ref=[(g, w, cost, 10.0) for g, w, cost, _, _ in HALF_CENT.values()])
    run = simulate(wh, rules, method="drg")
    rows = {r["stay_id"]: r for r in settlements(wh, run.run_id).to_pyarrow().to_pylist()}
    assert {s: r["case_type"] for s, r in rows.items()} == dict.fromkeys(HALF_CENT, "normal")
    assert {s: (r["payment"], r["surplus"]) for s, r in rows.items()} == {
        s: (pay, surplus) for s, (_, _, _, pay, surplus) in HALF_CENT.items()}
    hosp = rollup(wh, run.run_id, "hospital").to_pyarrow().to_pylist()[0]
    assert hosp["payment"] == 14814.84  # 4938.28 + 2962.97 + 6913.59
    assert hosp["surplus"] == 814.74  # 14814.84 - 14000.10
    assert hosp["payment_to_cost"] == 1.0582  # 14814.84 / 14000.10 = 1.058194...
    wh.close()


DUCK = ibis.duckdb.connect()
MANTISSA = 10 ** 14  # 6 decimals below 1e8: at most 14 significant digits, the contract of round_to


@st.composite
def decimal_and_digits(draw) -> tuple[Decimal, int]:
    """A decimal of at most 6 places below 1e8, often on a half of the last kept digit or next to it."""
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
