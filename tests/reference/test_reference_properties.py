"""Hypothesis properties of drg_reference."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospeval.reference.drg_reference import build_drg_reference, reference_rows
from hospeval.reference.spec import Population, TrimPolicy, load_reference_policy
from hospeval.reference.testing import add_stay_groups, add_stays
from hospeval.warehouse import Warehouse

SCHEME = "chs-drg-1.1"
stay = st.tuples(
    st.sampled_from("ABCDEFG"),
    st.floats(min_value=1.0, max_value=1e6, allow_nan=False),
    st.integers(min_value=0, max_value=60),
    st.booleans(),
)
population = st.lists(stay, min_size=1, max_size=60)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(stays, trim: TrimPolicy):
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    add_stays(wh, [{"stay_id": f"s{i}", "cost_total": round(c, 2), "los_days": los,
                    "discharge_disposition": "5" if died else "1"}
                   for i, (_, c, los, died) in enumerate(stays)])
    add_stay_groups(wh, [{"stay_id": f"s{i}", "drg": d} for i, (d, *_) in enumerate(stays)], scheme=SCHEME)
    policy = dataclasses.replace(load_reference_policy(), trim=trim)
    build_drg_reference(wh, Population(SCHEME), "v", policy)
    rows = reference_rows(wh, SCHEME, "v").to_pylist()
    wh.close()
    return rows


@SETTINGS
@given(population)
def test_untrimmed_weights_mortality_and_grades(stays):
    rows = build(stays, TrimPolicy(method="none"))
    n = sum(r["n_stays"] for r in rows)
    assert n == len(stays)
    # case-weighted mean of the relative weights over the reference population = 1
    assert sum(r["n_stays"] * r["relative_weight"] for r in rows) / n == pytest.approx(1.0)
    for r in rows:
        deaths = sum(1 for d, _, _, died in stays if d == r["drg"] and died)
        assert r["mortality"] == pytest.approx(deaths / r["n_stays"])
        assert (r["risk_grade"] == 0) == (deaths == 0) and r["risk_grade"] in (0, 1, 2, 3, 4)
    dead = sorted((r for r in rows if r["mortality"] > 0), key=lambda r: r["mortality"])
    grades = [r["risk_grade"] for r in dead]
    assert grades == sorted(grades)  # a higher mortality never gets a lower grade


@SETTINGS
@given(population, st.sampled_from(["iqr", "percentile"]), st.integers(min_value=1, max_value=6))
def test_trimmed_weights_and_means(stays, method, min_stays):
    rows = build(stays, TrimPolicy(method=method, iqr_k=1.5, min_stays=min_stays))
    kept = [(r["n_stays"] - r["n_trimmed"], r["relative_weight"]) for r in rows]
    assert all(0 <= r["n_trimmed"] < r["n_stays"] for r in rows)  # positive costs: something is kept
    # mean of the weights weighted by the kept stays = 1
    assert sum(k * w for k, w in kept) / sum(k for k, _ in kept) == pytest.approx(1.0)
    for r in rows:
        costs = [round(c, 2) for d, c, _, _ in stays if d == r["drg"]]
        assert min(costs) - 1e-6 <= r["mean_cost"] <= max(costs) + 1e-6
