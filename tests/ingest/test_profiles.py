from __future__ import annotations

import pytest

from hospeval.errors import InputFileError
from hospeval.ingest import ingest_files
from hospeval.ingest.export import export_front_page
from hospeval.ingest.profiles import all_profiles, detect_profile, load_profile, normalise_header
from hospeval.model import table_spec

from .helpers import N041_HEADER, N041_ROWS, write


def test_every_profile_maps_to_canonical_columns():
    names = {p.name for p in all_profiles()}
    assert {"n041", "n041_zh", "hqms", "canonical", "hospitals", "hospital_facts"} <= names
    for p in all_profiles():
        canonical = set(table_spec(p.target).names)
        assert set(p.columns.values()) <= canonical, p.name


def test_header_normalisation_matches_bracket_variants():
    assert normalise_header("实际住院（天）") == normalise_header("实际住院(天)") == "实际住院天"
    assert normalise_header(" yzzy_yljg ") == "YZZYYLJG"


@pytest.mark.parametrize(("headers", "expected"), [
    (["BAH", "JBDM", "ZFY", "CYSJ"], "n041"),
    (["病案号", "主要诊断编码", "住院总费用", "出院时间"], "n041_zh"),
    (["A48", "C03C", "D01", "B15"], "hqms"),
    (["stay_id", "hospital_id", "diagnoses", "cost_total"], "canonical"),
    (["hospital_id", "period", "metric", "value"], "hospital_facts"),
])
def test_detect_profile(headers, expected):
    assert detect_profile(headers, "f.csv").name == expected


def test_detect_profile_rejects_unrelated_file():
    with pytest.raises(InputFileError, match="no header profile"):
        detect_profile(["foo", "bar"], "f.csv")


def test_n041_file_loads_long_tables(warehouse, tmp_path):
    report = ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)], secret="k")
    f = report.files[0]
    assert (f.profile, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("n041", 3, 3, 0)
    con = warehouse.con
    assert con.execute("SELECT count(*) FROM stay_diagnoses").fetchone()[0] == 4
    row = con.execute("SELECT seq, code, procedure_date, surgery_level, incision_class, healing_grade "
                      "FROM stay_procedures").fetchall()
    assert [(r[0], r[1], str(r[2]), r[3], r[4], r[5]) for r in row] == [(0, "36.0601", "2024-01-03", 4, "1", "A")]
    los, cost, disp = con.execute("SELECT los_days, cost_total, discharge_disposition FROM stays "
                                  "WHERE discharge_dept = '0401' AND hospital_id = 'H001'").fetchone()
    assert (los, float(cost), disp) == (8, 12000.0, "5")
    # the three date spellings all parse
    days = con.execute("SELECT strftime(admit_time, '%Y-%m-%d') FROM stays ORDER BY 1").fetchall()
    assert [d[0] for d in days] == ["2024-01-02", "2024-02-02", "2024-03-01"]


@pytest.mark.parametrize("profile", ["n041", "n041_zh", "hqms", "canonical"])
def test_export_then_ingest_round_trips_every_stay_profile(warehouse, tmp_path, profile):
    ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)], secret="k")
    out = tmp_path / f"{profile}.csv"
    assert export_front_page(warehouse, out, profile=profile) == 3
    from hospeval.warehouse import Warehouse

    with Warehouse(tmp_path / "second.duckdb") as wh2:
        report = ingest_files(wh2, [out], secret="k")
        f = report.files[0]
        assert (f.profile, f.rows_loaded, f.rows_quarantined) == (profile, 3, 0)
        cols = "hospital_id, sex, age_years, los_days, discharge_disposition, cost_total, cost_western_drugs"
        hqms_has = "hospital_id, sex, age_years, los_days, discharge_disposition, cost_total"
        sel = hqms_has if profile == "hqms" else cols
        before = warehouse.con.execute(f"SELECT {sel} FROM stays ORDER BY ALL").fetchall()
        after = wh2.con.execute(f"SELECT {sel} FROM stays ORDER BY ALL").fetchall()
        assert before == after
        dx = "SELECT seq, code FROM stay_diagnoses ORDER BY ALL"
        assert warehouse.con.execute(dx).fetchall() == wh2.con.execute(dx).fetchall()


def test_hospitals_and_facts_with_chinese_headers(warehouse, tmp_path):
    hosp = write(tmp_path / "h.csv", "机构代码,机构名称,医院等级,机构类别,区县,床位数",
                 ["H001,市第一人民医院,三级,综合医院,东城区,1200", "H002,东城社区卫生服务中心,一级,社区卫生服务中心,东城区,60"])
    facts = write(tmp_path / "f.csv", "机构代码,期间,指标,数值",
                  ["H001,2024,staff_doctors,420", "H001,2024,staff_nurses,800", "H001,2024,no_such_metric,1"])
    report = ingest_files(warehouse, [hosp, facts], secret="k")
    assert [(f.table, f.rows_loaded, f.rows_quarantined) for f in report.files] == [
        ("hospitals", 2, 0), ("hospital_facts", 2, 1)]
    assert warehouse.con.execute("SELECT level, category FROM hospitals ORDER BY hospital_id").fetchall() == [
        ("3", "general"), ("1", "community")]
    assert report.files[1].reasons == {"unknown_code": 1}


def test_named_profile_overrides_detection(warehouse, tmp_path):
    path = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    with pytest.raises(InputFileError):
        load_profile("no_such_profile")
    report = ingest_files(warehouse, [path], profile="n041", secret="k")
    assert report.files[0].profile == "n041"
