"""The hospital roster: every kind of institution, unique names, consortia, wards and doctors."""

from __future__ import annotations

import numpy as np
import pytest

from hospeval.demo.roster import build_roster, default_hospital_count


@pytest.mark.parametrize("n", [14, 40, 147, 400])
def test_roster_sizes_names_and_consortia(n):
    hospitals, consortia = build_roster(n, np.random.default_rng(n))
    assert len(hospitals) == n
    assert len({h.name for h in hospitals}) == n  # receiving_institution refers to hospitals by name
    assert len({h.hospital_id for h in hospitals}) == n
    ids = {h.hospital_id: h for h in hospitals}
    for c in consortia:
        assert ids[c.lead].consortium_role == "lead" and ids[c.lead].category == "general"
        assert all(ids[m].consortium_id == c.consortium_id and ids[m].level <= ids[c.lead].level
                   for m in c.members)
        assert all(ids[m].district == c.district for m in c.members)
    tags = [t for h in hospitals for t in h.tags]
    assert sorted(tags) == ["day_surgery_leader", "inefficient", "low_risk_deaths", "poor_front_page_quality"]


def test_default_hospital_count_grows_with_volume():
    assert default_hospital_count(100) == 14
    assert default_hospital_count(1_000) <= 16
    assert 35 <= default_hospital_count(20_000) <= 45
    assert default_hospital_count(20_000_000) == 400


def test_wards_and_doctors(wh, truth):
    wards = dict(wh.con.execute("SELECT hospital_id, count(DISTINCT discharge_dept) FROM stays GROUP BY 1").fetchall())
    doctors = dict(wh.con.execute("SELECT hospital_id, count(DISTINCT attending_doctor) FROM stays GROUP BY 1").fetchall())
    for h in truth.hospitals:
        if h.category == "community":
            assert wards.get(h.hospital_id, 1) == 1
        if h.level == "3" and h.category == "general":
            assert 12 <= wards[h.hospital_id] <= 18
            assert 24 <= doctors[h.hospital_id] <= 120  # a few dozen attending doctors
    community_depts = wh.con.execute("""SELECT DISTINCT discharge_dept FROM stays JOIN hospitals USING (hospital_id)
                                        WHERE category = 'community'""").fetchall()
    assert community_depts == [("02",)]


def test_truth_serialises_to_json(truth):
    import json

    data = json.loads(json.dumps(truth.as_dict(), ensure_ascii=False))
    assert data["inefficient_hospital"] == truth.inefficient_hospital
    assert len(data["hospitals"]) == len(truth.hospitals)
    assert sum(n for kinds in data["planted_errors"].values() for n in kinds.values()) == truth.planted_error_count()
    assert any("day_surgery_leader" in h["tags"] for h in data["hospitals"])
    assert len(truth.summary_lines()) >= 6
