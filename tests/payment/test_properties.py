"""Invariants (hypothesis): payments are never negative; scaling the base rate scales standard-paid DRG
cases linearly; the DIP cases always add up to the budget."""

from __future__ import annotations

import dataclasses

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from payment_fixtures import make_warehouse, stay

from hospeval.payment.scenario import Scenario
from hospeval.payment.settle import settlements, simulate

case = st.tuples(
    st.floats(min_value=0, max_value=200000, allow_nan=False).map(lambda x: round(x, 2)),
    st.integers(min_value=0, max_value=90),
    st.sampled_from(["1", "2", "5", "9"]),
    st.sampled_from(["A", "B", None]),
    st.sampled_from(["H3", "H2", "H9"]),
    st.sampled_from(["03", "15"]),
)
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _wh(cases):
    stays = [stay(f"s{i}", h, c, los=los, disp=d, dept=dept) for i, (c, los, d, _, h, dept) in enumerate(cases)]
    groups = [(f"s{i}", "grouped" if g else "ungroupable", g) for i, (_, _, _, g, _, _) in enumerate(cases)]
    dips = [(f"s{i}", "grouped" if g else "ungroupable", {"A": "G1", "B": "G2"}.get(g))
            for i, (_, _, _, g, _, _) in enumerate(cases)]
    return make_warehouse(stays, groups=groups, dip_groups=dips,
                          drg_ref=[("A", 1.0, 10000.0, 10.0), ("B", 2.5, 30000.0, 8.0)],
                          dip_ref=[("G1", 10, 10000.0, 100.0), ("G2", 10, 20000.0, 180.0)])


def _payments(wh, run):
    return {r["stay_id"]: r for r in settlements(wh, run.run_id).to_pyarrow().to_pylist()}


@SETTINGS
@given(cases=st.lists(case, min_size=1, max_size=30), factor=st.floats(min_value=0.1, max_value=3.0))
def test_drg_never_negative_and_linear_in_base_rate(rules, cases, factor):
    with _wh(cases) as wh:
        base = _payments(wh, simulate(wh, rules, method="drg"))
        scaled = _payments(wh, simulate(wh, rules, method="drg", scenario=Scenario(base_rate_factor=factor)))
        assert all(r["payment"] >= 0 for r in base.values())
        assert all(r["payment"] >= 0 for r in scaled.values())
        for sid, r in base.items():
            if r["case_type"] == "normal":
                assert scaled[sid]["case_type"] == "normal"  # thresholds use the mean cost, not the rate
                assert abs(scaled[sid]["payment"] - round(r["payment"] * factor, 2)) <= 0.011


@SETTINGS
@given(cases=st.lists(case, min_size=1, max_size=30),
       budget=st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: round(x, 2)))
def test_dip_total_equals_budget(rules, cases, budget):
    dip = dataclasses.replace(rules.dip, budget_amount=budget)
    with _wh(cases) as wh:
        run = simulate(wh, rules.replace(dip=dip), method="dip")
        rows = _payments(wh, run).values()
        assert all(r["payment"] >= 0 for r in rows)
        in_budget = [r for r in rows if r["method"] == "dip"]
        if run.total_points:
            assert round(sum(r["payment"] for r in in_budget) * 100) == round(budget * 100)
        else:
            assert sum(r["payment"] for r in in_budget) == 0
