"""The demo province's built-in differences come out of grouping, indicators and evaluation."""

from __future__ import annotations

import pytest
from rich.console import Console

from hospeval.demo.generator import generate_province
from hospeval.pipeline import RunContext, run_stage
from hospeval.warehouse import Warehouse


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    with Warehouse(":memory:") as wh:
        truth = generate_province(wh, stays=20_000, seed=5)
        ctx = RunContext(warehouse=wh, output=tmp_path_factory.mktemp("eval"), console=Console(quiet=True))
        for stage in ("group", "reference", "indicators", "evaluate"):
            run_stage(stage, ctx)
        yield wh, truth


def _hospital_values(wh, indicator_id):
    return dict(wh.con.execute(
        "SELECT hospital_id, value FROM indicator_values WHERE level = 'hospital' AND period = '2024' "
        "AND indicator_id = ? AND value IS NOT NULL", [indicator_id]).fetchall())


def test_inefficient_hospital_has_the_highest_cost_and_time_indexes_of_its_peers(evaluated):
    wh, truth = evaluated
    bad, peers = truth.inefficient_hospital, truth.peers(truth.inefficient_hospital)
    for indicator in ("drg_cost_efficiency_index", "drg_time_efficiency_index"):
        values = _hospital_values(wh, indicator)
        assert values[bad] > 1.1, indicator
        assert values[bad] == max(values[h] for h in [bad, *peers] if h in values), indicator


def test_inefficient_hospital_ranks_last_in_its_peer_group(evaluated):
    wh, truth = evaluated
    rows = wh.con.execute(
        "SELECT method, hospital_id, rank, max(rank) OVER (PARTITION BY method, peer_group) AS last "
        "FROM evaluation_scores WHERE indicator_set = 'drg' AND peer_group = ("
        "  SELECT peer_group FROM evaluation_scores WHERE hospital_id = ? LIMIT 1)",
        [truth.inefficient_hospital]).fetchall()
    ranks = {method: (rank, last) for method, hospital, rank, last in rows if hospital == truth.inefficient_hospital}
    assert ranks["topsis"][0] == ranks["topsis"][1]
    assert all(rank >= last - 1 for rank, last in ranks.values()), ranks


def test_low_risk_death_hospital_has_the_highest_low_risk_mortality_and_loses_most_points(evaluated):
    wh, truth = evaluated
    values = _hospital_values(wh, "drg_low_risk_mortality")
    assert max(values, key=values.get) == truth.low_risk_death_hospital
    lost = dict(wh.con.execute(
        "SELECT hospital_id, max(points_lost) FROM evaluation_indicator_scores "
        "WHERE indicator_set = 'drg' AND indicator_id = 'drg_low_risk_mortality' GROUP BY 1").fetchall())
    peers = [h for h in truth.peers(truth.low_risk_death_hospital) if h in lost]
    assert lost[truth.low_risk_death_hospital] > max(lost[h] for h in peers)
