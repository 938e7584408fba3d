"""Hand-made stays worked out from the CHS-DRG 1.1 tables: precedence, splits, exclusions, special rules."""

from __future__ import annotations

from tests.group.conftest import record

# J13.x00 (肺炎链球菌性肺炎) enters MDCE and ES3 呼吸系统感染/炎症 (ES31 MCC / ES33 CC / ES35 none).
# Its CC-exclusion table is 101: MCC J09.x00 (流感) is in table 101 and so excluded; MCC A01.100 (table 1)
# and CC A00.100 (table 1) count.


def test_split_without_cc_gives_the_none_drg(group_records):
    r = group_records([record("a", "J13.x00")])["a"]
    assert (r["status"], r["mdc"], r["adrg"], r["drg"], r["cc_level"]) == ("grouped", "MDCE", "ES3", "ES35", "none")


def test_split_mcc(group_records):
    r = group_records([record("a", "J13.x00|A01.100")])["a"]
    assert (r["drg"], r["cc_level"]) == ("ES31", "MCC")
    assert "A01.100 MCC" in r["explanation"]


def test_split_cc(group_records):
    r = group_records([record("a", "J13.x00|A00.100")])["a"]
    assert (r["drg"], r["cc_level"]) == ("ES33", "CC")


def test_mcc_in_the_principals_exclusion_table_does_not_count(group_records):
    r = group_records([record("a", "J13.x00|J09.x00"), record("b", "J13.x00|J09.x00|A00.100")])
    assert (r["a"]["drg"], r["a"]["cc_level"]) == ("ES35", "none")
    assert "J09.x00 MCC 被排除 excluded (表 101)" in r["a"]["explanation"]
    assert r["b"]["drg"] == "ES33"  # the excluded MCC does not hide the counted CC


def test_cc_as_principal_position_does_not_count(group_records):
    # A01.100 is an MCC, but only secondary diagnoses count
    r = group_records([record("a", "A01.100|J13.x00")])["a"]
    assert r["cc_level"] != "MCC" or r["adrg"] != "ES3"


def test_mdca_takes_precedence_over_the_principal_diagnosis_mdc(group_records):
    # 96.7201 (有创呼吸机治疗≥96小时) is a valid OR procedure listed under AH1
    r = group_records([record("a", "J13.x00", "96.7201")])["a"]
    assert (r["mdc"], r["adrg"]) == ("MDCA", "AH1")


def test_surgical_adrg_precedes_medical_adrg_in_the_same_mdc(group_records):
    r = group_records([record("a", "J13.x00", "32.2000x002")])["a"]
    assert (r["mdc"], r["adrg"]) == ("MDCE", "EB1")


def test_sex_specific_mdc(group_records):
    # N50.823 is in the MDCM (male) table only; 58.3102 is an MJ1 procedure
    r = group_records([record("m", "N50.823", "58.3102", sex="1"), record("f", "N50.823", "58.3102", sex="2")])
    assert (r["m"]["mdc"], r["m"]["drg"]) == ("MDCM", "MJ19")
    assert r["f"]["mdc"] != "MDCM"


def test_procedure_table_formula(group_records):
    # JA1: principal dx + table 1 + table 2, or + tables 1, 3 and 4; JA2: table 1, or tables 2 and 3
    dx = "C50.900x005"
    r = group_records([
        record("t12", dx, "85.5300x001|85.4300x003", sex="2"),
        record("t134", dx, "85.5300x001|85.2100x003|40.2100", sex="2"),
        record("t13", dx, "85.5300x001|85.2100x003", sex="2"),
    ])
    assert r["t12"]["adrg"] == "JA1"
    assert r["t134"]["adrg"] == "JA1"
    assert r["t13"]["adrg"] != "JA1"


def test_newborn_weight_bands(group_records):
    nb = {"age_years": "0", "age_days": "5"}
    r = group_records([
        record("w1400", "P07.300", birth_weight_g="1400", **nb),
        record("w1800", "P07.300", birth_weight_g="1800", **nb),
        record("w2200", "P07.300", birth_weight_g="2200", **nb),
        record("w3000", "P07.300", birth_weight_g="3000", **nb),
    ])
    assert [r[k]["adrg"] for k in ("w1400", "w1800", "w2200", "w3000")] == ["PS1", "PS2", "PS3", "PS4"]


def test_pv1_requires_29_days_or_more(group_records):
    # KNOWN_DIFFERENCES.md: PV1 is 源于新生儿(29 天≤出生年龄＜1 周岁)诊断的婴儿疾患 with its own list
    infant = group_records([record("a", "A04.000x001", age_years="0", age_days="100")])["a"]
    assert (infant["mdc"], infant["adrg"]) == ("MDCP", "PV1")
    # P05.001 is in the MDCP table but in no P-ADRG list; the reference puts this newborn in PV15
    newborn = group_records([record("b", "P05.001", age_years="0", age_days="10", birth_weight_g="3000")])["b"]
    assert newborn["adrg"] != "PV1"


def test_i48_900x003_is_not_fu2(group_records):
    # KNOWN_DIFFERENCES.md: 心房扑动 I48.900x003 is listed under FL1 (with ablation), not FU2
    # (the reference gives FU25 here)
    r = group_records([record("a", "I48.900x003")])
    assert r["a"]["adrg"] != "FU2"
    assert r["a"]["status"] == "ungroupable"


def test_mdcz_needs_two_trauma_sites(group_records):
    # S01.800x011 is 头颈部创伤, S21.100x002 胸部创伤 (sites of the MDCZ table)
    r = group_records([record("two", "S01.800x011|S21.100x002"), record("one", "S01.800x011")])
    assert r["two"]["mdc"] == "MDCZ"
    assert r["one"]["mdc"] != "MDCZ"


def test_chs_drg_10_scheme_loads_and_groups(scheme):
    from hospeval.group.spec import available_schemes, load_scheme

    assert {"chs-drg-1.0", "chs-drg-1.1"} <= set(available_schemes())
    old = load_scheme("chs-drg-1.0")
    assert old.version == "1.0" and old.table("drg").num_rows == 618
    assert scheme.table("drg").num_rows == 628
    # AH1 is two rules in 1.0 (AH1_1 principal procedure, AH1_2 any procedure 39.6500) reporting one ADRG
    rules = old.table("adrg").to_pylist()
    assert [r["group_as"] for r in rules if r["adrg"].startswith("AH1")] == ["AH1", "AH1"]


def test_beijing_los_and_age_splits(scheme):
    import pyarrow as pa

    from hospeval.group.engine import group_stays
    from hospeval.group.records import RECORD_COLUMNS, records_to_canonical
    from hospeval.group.spec import load_scheme
    from hospeval.warehouse import Warehouse

    # RC1 恶性增生性疾患放射治疗（体外照射）: RC12 >= 13 days, RC14 6-12, RC16 2-5, RC18 1 day
    rows = [record(f"los{d}", "C95.100x012", "92.2200", los_days=str(d)) for d in (1, 3, 8, 20)]
    data = pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})
    with Warehouse(":memory:") as wh:
        stays, dx, px = records_to_canonical(wh.scratch("_records", data))
        out = group_stays(wh, load_scheme("beijing-2022"), stays, dx, px).to_pyarrow().to_pylist()
    got = {r["stay_id"]: r["drg"] for r in out}
    assert got == {"los1": "RC18", "los3": "RC16", "los8": "RC14", "los20": "RC12"}
