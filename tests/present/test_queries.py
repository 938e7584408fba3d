"""DRG performance figures on a hand-computed fixture, live and from the materialised summary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hospeval.present import queries, sample
from hospeval.present.auth import Principal
from hospeval.present.catalog import result_table
from hospeval.present.db import Reader
from hospeval.present.scope import Scope
from hospeval.present.stage import build_summaries
from hospeval.present.tables import NotComputed, read_page
from hospeval.warehouse import Warehouse

ADMIN = Scope(Principal("t", "admin"), None)
STAYS = [  # stay_id, hospital, dept, doctor, discharge, disposition, cost, los, drg
    ("s1", "H1", "D1", "DR1", "2024-01-10", "1", 1200, 6, "A"),
    ("s2", "H1", "D1", "DR2", "2024-01-20", "5", 800, 4, "A"),
    ("s3", "H1", "D2", "DR1", "2024-02-03", "1", 6000, 12, "B"),
    ("s4", "H1", "D2", "DR1", "2024-02-09", "2", 500, 2, None),
    ("s5", "H2", "D1", "DR9", "2024-02-09", "1", 1000, 5, "A"),
]


@pytest.fixture()
def reader():
    wh = Warehouse(":memory:")
    wh.ensure_schema()
    con = wh.con
    con.execute("INSERT INTO hospitals (hospital_id, name, level, category) VALUES "
                "('H1', '甲医院', '3', 'general'), ('H2', '乙医院', '2', 'general')")
    for sid, h, dept, doc, day, disp, cost, los, _ in STAYS:
        con.execute("INSERT INTO stays (stay_id, hospital_id, patient_id, sex, admit_time, discharge_time, "
                    "discharge_dept, attending_doctor, los_days, discharge_disposition, cost_total, "
                    "receiving_institution) VALUES (?, ?, 'p', '1', ?::TIMESTAMP - INTERVAL 3 DAY, ?::TIMESTAMP, "
                    "?, ?, ?, ?, ?, ?)", [sid, h, day, day, dept, doc, los, disp, cost,
                                          "乙医院" if disp == "2" else None])
    con.execute("CREATE TABLE stay_groups AS SELECT * FROM (VALUES "
                "('s1', 'chs-drg-1.1', 'grouped', 'A'), ('s2', 'chs-drg-1.1', 'grouped', 'A'), "
                "('s3', 'chs-drg-1.1', 'grouped', 'B'), ('s4', 'chs-drg-1.1', 'ungroupable', NULL), "
                "('s5', 'chs-drg-1.1', 'grouped', 'A'), ('s1', 'other', 'grouped', 'B')) "
                "v(stay_id, scheme, status, drg)")
    con.execute("CREATE TABLE drg_reference AS SELECT * FROM (VALUES "
                "('chs-drg-1.1', '2024', 'A', 1.0, 1000.0, 5.0, 1), ('chs-drg-1.1', '2024', 'B', 2.0, 4000.0, 10.0, 3), "
                "('chs-drg-1.1', '2023', 'A', 9.0, 1.0, 1.0, 4)) "
                "v(scheme, version, drg, relative_weight, mean_cost, mean_los, risk_grade)")
    con.execute("CREATE TABLE payment_settlements AS SELECT * FROM (VALUES "
                "('r', 'drg', 's1', 'H1', 'A', 'normal', 1000.0, 1100.0, 100.0), "
                "('r', 'drg', 's2', 'H1', 'A', 'normal', 1500.0, 1100.0, -400.0), "
                "('r', 'drg', 's5', 'H2', 'A', 'normal', 1000.0, 1100.0, 100.0)) "
                "v(run_id, scheme, stay_id, hospital_id, drg, case_type, cost, payment, surplus)")
    yield Reader(wh)
    wh.close()


def h1(reader, scope=ADMIN, by=("hospital_id",)):
    rows = queries.performance(reader, scope, list(by), where={"hospital_id": "H1"})
    return rows


def test_hospital_figures_match_hand_computation(reader):
    [row] = h1(reader)
    # 4 stays, 3 grouped with a weight: CMI = (1 + 1 + 2) / 3
    assert row["stays"] == 4 and row["grouped"] == 3
    assert row["cmi"] == pytest.approx(4 / 3)
    # cost index = ((1200 + 800) / 1000 + 6000 / 4000) / 3 ; time index = ((6 + 4) / 5 + 12 / 10) / 3
    assert row["cost_index"] == pytest.approx(3.5 / 3)
    assert row["time_index"] == pytest.approx(3.2 / 3)
    # low-risk (grade 1) DRG A: 2 stays, 1 death
    assert row["low_risk_mortality"] == pytest.approx(0.5)
    assert row["mortality"] == pytest.approx(0.25)
    assert row["mean_cost"] == pytest.approx(8500 / 4)
    assert row["drg_count"] == 2


def test_monthly_and_department_drilldown(reader):
    months = {r["period"]: r for r in h1(reader, by=("period",))}
    assert months["2024-01"]["stays"] == 2 and months["2024-01"]["cmi"] == pytest.approx(1.0)
    assert months["2024-02"]["stays"] == 2 and months["2024-02"]["cmi"] == pytest.approx(2.0)
    depts = {r["dept"]: r for r in h1(reader, by=("dept",))}
    assert depts["D2"]["grouped"] == 1 and depts["D2"]["mortality"] == 0


def test_materialised_summary_gives_the_same_figures(reader):
    live = h1(reader)[0]
    counts = build_summaries(reader, "chs-drg-1.1")
    assert counts[queries.SUMMARY] > 0 and reader.has(queries.SUMMARY)
    stored = h1(reader)[0]
    for key in ("stays", "cmi", "cost_index", "time_index", "low_risk_mortality"):
        assert stored[key] == pytest.approx(live[key]), key


def test_scheme_selects_groups_and_scope_limits_rows(reader):
    other = queries.performance(reader, ADMIN, ["hospital_id"], scheme="other")
    assert {r["hospital_id"]: r["grouped"] for r in other} == {"H1": 0, "H2": 0}  # no 'other' reference
    only_h2 = Scope(Principal("h", "hospital", hospital_id="H2"), frozenset({"H2"}))
    assert [r["hospital_id"] for r in queries.performance(reader, only_h2, ["hospital_id"])] == ["H2"]


def test_payment_what_if(reader):
    [row] = queries.payment_by(reader, ADMIN, "drg", hospital_id="H1", factor=1.1)
    assert row["cases"] == 2 and row["surplus"] == pytest.approx(-300)
    assert row["what_if_surplus"] == pytest.approx(2 * 1100 * 1.1 - 2500)


def test_referral_flows_match_receiver_by_name(reader):
    [flow] = queries.referral_flows(reader, ADMIN)
    assert (flow["hospital_id"], flow["receiver_id"], flow["stays"]) == ("H1", "H2", 1)


def test_missing_tables_name_the_stage_to_run():
    wh = Warehouse(":memory:")
    reader = Reader(wh)
    with pytest.raises(NotComputed) as err:
        queries.latest_scores(reader, ADMIN)
    assert err.value.stage == "hospeval evaluate" and "not computed yet" in str(err.value)
    with pytest.raises(NotComputed, match="hospeval ingest"):
        queries.performance(reader, ADMIN, ["hospital_id"])


_SAMPLE = Warehouse(":memory:")
sample.build(_SAMPLE, hospitals=3, stays=400)
_READER = Reader(_SAMPLE)


@settings(max_examples=15, deadline=None)
@given(limit=st.integers(1, 60), hospital=st.sampled_from([None, "H001", "H002"]))
def test_pages_partition_the_scoped_rows(limit, hospital):
    scope = ADMIN if hospital is None else Scope(Principal("h", "hospital", hospital_id=hospital),
                                                 frozenset({hospital}))
    spec = result_table("quality_findings")
    first = read_page(spec, _READER, scope, {}, limit=limit)
    seen, offset = [], 0
    while offset < first.total:
        page = read_page(spec, _READER, scope, {}, limit=limit, offset=offset)
        assert page.total == first.total
        seen += page.rows
        offset += limit
    keys = [(r["hospital_id"], r["stay_id"], r["rule_id"]) for r in seen]
    assert len(keys) == len(set(keys)) == first.total
    assert keys == sorted(keys)
    if hospital:
        assert {r["hospital_id"] for r in seen} <= {hospital}


def test_page_queries_compile_to_parameterised_templates():
    from hospeval.present import reports

    reader = Reader(_SAMPLE)
    for scope in (ADMIN, Scope(Principal("h", "hospital", hospital_id="H001"), frozenset({"H001"}))):
        reports.hospital_sections(reader, scope, "H001")
        reports.jurisdiction_sections(reader, scope)
        read_page(result_table("stay_groups"), reader, scope, {"drg": "DRG001"}, limit=5)
    templates = {k: v for k, v in reader._memo.items() if k[0] == "sql"}
    assert len(templates) > 10
    assert all(v is not None for v in templates.values()), [k for k, v in templates.items() if v is None]
    sql, names = templates[("sql", ("page", "stay_groups", False, ("drg",), None))]
    assert "H001" not in sql and "DRG001" not in sql and set(names) == {"scope", "filter_drg"}


def test_stale_summaries_are_not_used(reader):
    build_summaries(reader, "chs-drg-1.1")
    assert queries.summaries_fresh(reader) and reader.has(queries.PAYMENTS)
    assert h1(reader)[0]["stays"] == 4
    reader.warehouse.con.execute("INSERT INTO stays (stay_id, hospital_id, patient_id, sex, admit_time, "
                                 "discharge_time, discharge_dept, los_days, discharge_disposition, cost_total) "
                                 "VALUES ('s9', 'H1', 'p', '1', TIMESTAMP '2024-03-01', TIMESTAMP '2024-03-02', "
                                 "'D1', 1, '1', 100)")
    reader.invalidate()  # what a job's end does in the server
    assert not queries.summaries_fresh(reader)
    assert h1(reader)[0]["stays"] == 5  # read live from stays
    [row] = queries.payment_by(reader, ADMIN, "drg", hospital_id="H1")
    assert row["surplus"] == pytest.approx(-300)


def test_warm_up_compiles_the_page_questions():
    from hospeval.present.app import warm_up

    reader = Reader(_SAMPLE)
    assert warm_up(reader) >= 15
    assert Reader(Warehouse(":memory:")).has("hospitals") is False
    assert warm_up(Reader(Warehouse(":memory:"))) == 0
