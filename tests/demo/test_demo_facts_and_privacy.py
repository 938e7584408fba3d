"""hospital_facts agree with the stays; no clear identifier is generated."""

from __future__ import annotations

import re

import pytest


def rows(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchall()


def scalar(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchone()[0]


def _facts(wh, period):
    out = {}
    for h, m, v in rows(wh, "SELECT hospital_id, metric, value FROM hospital_facts WHERE period = ?", [period]):
        out.setdefault(h, {})[m] = v
    return out


def test_inpatient_revenue_equals_the_stays_costs(wh, truth):
    facts = _facts(wh, str(truth.year))
    cost = dict(rows(wh, "SELECT hospital_id, CAST(sum(cost_total) AS DOUBLE) FROM stays GROUP BY 1"))
    for h, f in facts.items():
        assert f["revenue_inpatient"] == pytest.approx(cost[h], abs=0.05)
        assert f["revenue_medical"] == pytest.approx(f["revenue_inpatient"] + f["revenue_outpatient"], abs=0.05)
        assert f["revenue_total"] > f["revenue_medical"]
        assert f["revenue_inpatient_drugs"] <= f["revenue_drugs"] and f["revenue_inpatient_insurance"] <= cost[h]


def test_bed_days_beds_and_staff_are_consistent(wh, truth):
    facts = _facts(wh, str(truth.year))
    los = dict(rows(wh, "SELECT hospital_id, sum(los_days) FROM stays GROUP BY 1"))
    added = dict(rows(wh, "SELECT hospital_id, count(*) FROM demo_planted_errors WHERE kind = 'los_mismatch' GROUP BY 1"))
    beds = dict(rows(wh, "SELECT hospital_id, beds FROM hospitals"))
    for h, f in facts.items():
        # facts come from the true LOS; planted LOS errors add 1-3 days each on the front page
        assert 0 <= los[h] - f["bed_days_occupied"] <= 3 * added.get(h, 0)
        assert f["beds_open"] == beds[h]
        assert f["bed_days_open"] == beds[h] * 366  # 2024 is a leap year
        assert 0.3 < f["bed_days_occupied"] / f["bed_days_open"] <= 1.0 or beds[h] == 3
        assert 1.5 <= f["staff_nurses"] / f["staff_doctors"] <= 2.2 or f["staff_doctors"] < 10
        assert f["staff_doctors"] + f["staff_nurses"] <= f["staff_health_technicians"]
        assert 80 <= f["satisfaction_inpatient"] <= 95 and 80 <= f["satisfaction_outpatient"] <= 95


def test_monthly_lines_add_up_to_the_year(wh, truth):
    year = str(truth.year)
    bad = rows(wh, f"""SELECT m.hospital_id, m.metric FROM
                         (SELECT hospital_id, metric, sum(value) AS v FROM hospital_facts
                          WHERE period LIKE '{year}-%' GROUP BY ALL) m
                       JOIN hospital_facts a ON a.hospital_id = m.hospital_id AND a.metric = m.metric
                        AND a.period = '{year}'
                       WHERE abs(a.value - m.v) > 0.05""")
    assert bad == []
    assert scalar(wh, f"SELECT count(DISTINCT period) FROM hospital_facts WHERE period LIKE '{year}-%'") == 12


def test_previous_year_supports_growth_rates(wh, truth):
    now, before = _facts(wh, str(truth.year)), _facts(wh, str(truth.year - 1))
    growth = [now[h]["revenue_medical"] / before[h]["revenue_medical"] - 1 for h in now]
    assert -0.1 < sum(growth) / len(growth) < 0.2
    assert all(float(before[h]["staff_doctors"]).is_integer() for h in before)


def test_referrals_in_facts_match_transfers(wh, truth):
    facts = _facts(wh, str(truth.year))
    down = dict(rows(wh, "SELECT hospital_id, count(*) FROM stays WHERE discharge_disposition = '3' GROUP BY 1"))
    for h, f in facts.items():
        assert f["referrals_down_inpatient"] == down.get(h, 0)
    leads = {c.lead for c in truth.consortia}
    members = {m for c in truth.consortia for m in c.members}
    assert all(facts[h]["doctors_sent_to_primary"] > 0 for h in leads)
    assert sum(facts[h]["referrals_up"] for h in members) > 0


def test_identifiers_are_pseudonymous(wh):
    assert scalar(wh, "SELECT count(*) FROM stays WHERE NOT regexp_full_match(patient_id, '[0-9a-f]{32}')") == 0
    assert scalar(wh, "SELECT count(*) FROM stays WHERE NOT regexp_full_match(stay_id, 'H[0-9]{3}-[0-9a-f]{16}')") == 0
    repeat = scalar(wh, "SELECT count(*) FROM (SELECT patient_id FROM stays GROUP BY 1 HAVING count(*) > 1)")
    assert repeat > 0
    consistent = scalar(wh, """SELECT count(*) FROM (SELECT patient_id FROM stays GROUP BY 1
                               HAVING count(DISTINCT sex) > 1 OR count(DISTINCT birth_date) > 1)""")
    assert consistent == 0


def test_no_clear_identifier_in_any_text_column(wh):
    id_card = re.compile(r"\d{17}[\dXx]")
    phone = re.compile(r"1[3-9]\d{9}")
    for table in ("stays", "stay_diagnoses", "stay_procedures"):
        columns = [r[0] for r in rows(wh, f'DESCRIBE "{table}"') if r[1] == "VARCHAR"]
        assert not {"name_of_patient", "patient_name", "id_card_no", "phone", "address"} & set(columns)
        for col in columns:
            values = [r[0] for r in rows(wh, f'SELECT DISTINCT "{col}" FROM "{table}" WHERE "{col}" IS NOT NULL LIMIT 5000')]
            tokens = [t for v in values for t in re.split(r"[-|#/ ]", v)]
            assert not any(id_card.fullmatch(t) or phone.fullmatch(t) for t in tokens), (table, col)
    # the only `name` columns are code names from the scheme dictionaries, never a person's name
    unnamed = rows(wh, "SELECT count(*) FROM (SELECT name FROM stay_diagnoses UNION ALL SELECT name FROM stay_procedures) "
                       "WHERE name IS NOT NULL AND name NOT IN (SELECT name FROM read_csv('schemes/chs-drg-1.1/icd10.csv') "
                       "UNION ALL SELECT name FROM read_csv('schemes/chs-drg-1.1/icd9cm3.csv'))")
    assert unnamed == [(0,)]
