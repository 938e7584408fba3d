"""The province is realistic and carries the built-in differences the evaluation must find."""

from __future__ import annotations

import re


def rows(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchall()


def scalar(wh, sql, params=None):
    return wh.con.execute(sql, params or []).fetchone()[0]


def test_every_stay_maps_back_to_its_template(wh):
    assert scalar(wh, "SELECT count(*) FROM stay_templates") == wh.count("stays")


def test_tertiary_case_mix_is_heavier_than_community(wh):
    cmi = dict(rows(wh, """SELECT h.level, avg(t.relative_weight) FROM stays s JOIN hospitals h USING (hospital_id)
                           JOIN stay_templates t USING (stay_id) GROUP BY 1"""))
    assert cmi["3"] > cmi["2"] > cmi["1"]
    assert cmi["3"] > 1.5 * cmi["1"]
    surgical = dict(rows(wh, """SELECT h.level, avg((t.kind = 'surgical')::INT) FROM stay_templates t
                                JOIN stays s USING (stay_id) JOIN hospitals h USING (hospital_id) GROUP BY 1"""))
    assert surgical["3"] > 0.3 > 0.05 > surgical["1"]


def test_specialty_and_maternal_child_hospitals_treat_their_mdcs(wh, truth):
    share = dict(rows(wh, """SELECT h.category, avg((t.mdc IN ('O', 'P'))::INT) FROM stay_templates t
                             JOIN stays s USING (stay_id) JOIN hospitals h USING (hospital_id) GROUP BY 1"""))
    assert share["maternal_child"] > 0.5 > 0.1 > share["general"]
    eye = next(h.hospital_id for h in truth.hospitals if h.specialty == "eye")
    assert scalar(wh, "SELECT avg((t.mdc = 'C')::INT) FROM stay_templates t JOIN stays s USING (stay_id) "
                      "WHERE s.hospital_id = ?", [eye]) > 0.8


def _indexed(wh, measure: str) -> dict[str, float]:
    """Hospital mean of ``measure`` relative to each ADRG's province mean (TEI / CEI style)."""
    return dict(rows(wh, f"""
        WITH x AS (SELECT s.hospital_id, t.adrg, CAST({measure} AS DOUBLE) AS v FROM stays s
                   JOIN stay_templates t USING (stay_id) WHERE NOT s.day_surgery AND s.discharge_disposition <> '5'),
             ref AS (SELECT adrg, avg(v) AS m FROM x GROUP BY 1)
        SELECT hospital_id, sum(v) / sum(m) FROM x JOIN ref USING (adrg) GROUP BY 1"""))


def test_inefficient_hospital_has_longer_and_costlier_stays_for_the_same_adrg(wh, truth):
    for measure in ("los_days", "cost_total"):
        index = _indexed(wh, measure)
        target = index[truth.inefficient_hospital]
        peers = [index[p] for p in truth.peers(truth.inefficient_hospital)]
        assert target > max(peers), measure
        assert target > 1.12 * sum(peers) / len(peers), measure  # its own cases lift the reference


def test_low_risk_death_excess(wh, truth):
    rate = dict(rows(wh, """SELECT s.hospital_id, avg((s.discharge_disposition = '5')::INT) FROM stays s
                            JOIN stay_templates t USING (stay_id) WHERE t.low_risk GROUP BY 1
                            HAVING count(*) >= 100"""))
    planted = truth.low_risk_death_hospital
    others = scalar(wh, """SELECT avg((s.discharge_disposition = '5')::INT) FROM stays s
                           JOIN stay_templates t USING (stay_id) WHERE t.low_risk AND s.hospital_id <> ?""", [planted])
    assert rate[planted] > 5 * others
    assert rate[planted] == max(rate.values())


def test_deaths_concentrate_in_high_risk_conditions(wh, truth):
    low_share = scalar(wh, """SELECT avg(t.low_risk::INT) FROM stays s JOIN stay_templates t USING (stay_id)
                              WHERE s.discharge_disposition = '5' AND s.hospital_id <> ?""", [truth.low_risk_death_hospital])
    mortality = scalar(wh, "SELECT avg((discharge_disposition = '5')::INT) FROM stays")
    assert low_share < 0.1
    assert 0.003 < mortality < 0.02


def test_day_surgery_leader_has_the_highest_share_of_elective_operations(wh, truth):
    share = dict(rows(wh, """SELECT s.hospital_id, avg(s.day_surgery::INT) FROM stays s
                             JOIN stay_procedures p ON p.stay_id = s.stay_id AND p.seq = 0
                             WHERE p.procedure_kind = '1' AND p.urgency <> '2' GROUP BY 1 HAVING count(*) > 30"""))
    leader = truth.day_surgery_leader
    assert share[leader] == max(share.values())
    peers = [share[p] for p in truth.peers(leader) if p in share]
    assert share[leader] > 2 * sum(peers) / len(peers)
    assert scalar(wh, """SELECT max(los_days) FROM stays WHERE day_surgery AND stay_id NOT IN
                         (SELECT stay_id FROM demo_planted_errors WHERE kind = 'los_mismatch')""") == 1


def test_sex_age_and_newborns_are_consistent_with_diagnoses(wh):
    assert scalar(wh, """SELECT count(*) FROM stays s JOIN stay_diagnoses d USING (stay_id)
                         WHERE s.sex = '1' AND d.code LIKE 'O%'""") == 0
    assert scalar(wh, """SELECT count(*) FROM stays s JOIN stay_templates t USING (stay_id)
                         WHERE t.mdc = 'O' AND (s.age_years < 15 OR s.age_years > 55)""") == 0
    newborns = rows(wh, """SELECT s.age_years, s.age_days, s.birth_weight_g FROM stays s
                           JOIN stay_templates t USING (stay_id) WHERE t.mdc = 'P'""")
    assert newborns and all(a == 0 and d <= 28 for a, d, _ in newborns)
    missing = scalar(wh, "SELECT count(*) FROM demo_planted_errors WHERE kind = 'missing_birth_weight'")
    assert sum(w is None for _, _, w in newborns) <= missing
    assert scalar(wh, """SELECT count(*) FROM stays WHERE age_years <>
                         date_sub('year', birth_date, CAST(admit_time AS DATE))""") == 0
    assert scalar(wh, "SELECT count(*) FROM stays WHERE (age_years = 0) <> (age_days IS NOT NULL)") == 0


def test_transfers_and_referrals_between_levels(wh, truth):
    up = rows(wh, """SELECT h.level, r.level, count(*) FROM stays s JOIN hospitals h USING (hospital_id)
                     JOIN hospitals r ON r.name = s.receiving_institution
                     WHERE s.discharge_disposition = '2' GROUP BY ALL""")
    assert all(to >= frm for frm, to, _ in up)
    down = rows(wh, """SELECT DISTINCT r.level FROM stays s JOIN hospitals r ON r.name = s.receiving_institution
                       WHERE s.discharge_disposition = '3'""")
    assert down == [("1",)]
    assert scalar(wh, "SELECT count(*) FROM stays WHERE admission_route = '3'") > 0


def test_calendar_is_seasonal_and_within_the_year(wh, truth):
    months = dict(rows(wh, "SELECT month(discharge_time), count(*) FROM stays GROUP BY 1"))
    assert set(months) == set(range(1, 13))
    assert months[2] < months[1] and months[2] < months[12]
    assert scalar(wh, "SELECT count(*) FROM stays WHERE year(discharge_time) <> ?", [truth.year]) == 0


def test_doctors_departments_and_surgery_details(wh):
    doctors = rows(wh, "SELECT hospital_id, count(DISTINCT attending_doctor) FROM stays GROUP BY 1")
    assert all(re.fullmatch(r"H\d{3}-D\d{3}", d) for (d,) in rows(wh, "SELECT DISTINCT attending_doctor FROM stays WHERE attending_doctor IS NOT NULL"))
    assert max(n for _, n in doctors) >= 24
    assert scalar(wh, "SELECT count(*) FROM stays WHERE substr(attending_doctor, 1, 4) <> hospital_id") == 0
    assert scalar(wh, "SELECT count(DISTINCT discharge_dept) FROM stays") > 20
    levels = dict(rows(wh, "SELECT surgery_level, count(*) FROM stay_procedures WHERE procedure_kind = '1' GROUP BY 1"))
    assert set(levels) >= {1, 2, 3, 4}
    assert scalar(wh, """SELECT count(*) FROM stay_procedures WHERE procedure_kind = '1'
                         AND (incision_class IS NULL OR anaesthesia_method IS NULL OR urgency IS NULL)""") == 0
    assert scalar(wh, "SELECT count(*) FROM stays WHERE icu_hours > 0") > 0
    assert scalar(wh, "SELECT count(*) FROM stays WHERE ventilator_hours > icu_hours") == 0


def test_no_front_page_rule_is_broken_by_the_templates_themselves(wh):
    assert scalar(wh, """SELECT count(*) FROM stay_diagnoses WHERE seq = 0 AND (code LIKE 'Z37%' OR code LIKE 'Z38%'
                         OR code LIKE 'B95%' OR code LIKE 'B96%' OR code LIKE 'B97%' OR code LIKE 'T31%')""") == 0
    assert scalar(wh, """SELECT count(*) FROM stays s JOIN stay_diagnoses d USING (stay_id)
                         WHERE d.code LIKE 'Z37%' AND s.sex <> '2'""") == 0


def test_sex_specific_codes_match_the_sex(wh):
    female = ["O", "N7", "N8", "N9", "C53", "C56", "D25", "Z34", "Z37"]
    male = ["N40", "N45", "C61", "C62", "D29"]
    like = lambda codes: " OR ".join(f"d.code LIKE '{c}%'" for c in codes)  # noqa: E731
    assert scalar(wh, f"SELECT count(*) FROM stays s JOIN stay_diagnoses d USING (stay_id) "
                      f"WHERE s.sex = '1' AND ({like(female)})") == 0
    assert scalar(wh, f"SELECT count(*) FROM stays s JOIN stay_diagnoses d USING (stay_id) "
                      f"WHERE s.sex = '2' AND ({like(male)})") == 0
