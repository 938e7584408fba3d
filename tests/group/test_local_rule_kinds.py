"""The rule kinds of local schemes (Zhejiang 2022), one by one, on a tiny hand-made scheme.

The scheme ``mini`` (written below) has three MDCs and five ADRGs, so that each expected group can be
worked out by hand:

* MDCA: entered by a valid OR principal procedure (01.2400, 00.5500) or by 96.7201 (``mdc_procedures``);
  AH1 = principal procedure 96.7201; DRG AH11 needs 96.7201 *and* 39.9500 among the procedures, AH19 else.
* MDCB: principal diagnosis I60.000 / I63.900. BB1 = I60.000 with principal procedure 01.2400 (surgical);
  BR1 = I60.000 or I63.900 with no valid OR principal procedure (``not_principal_valid``); its DRGs in
  order BR19 (department ICU), BR11 (MCC), BR15.
* MDCR: principal diagnosis C45.100 / J13.x00. RE1 = principal diagnosis NOT C45.100 (``principal_not``)
  with principal procedure 00.0100; RR1 = C45.100 or J13.x00, no procedure condition.
* ``retry_each_procedure``: a stay reaching no DRG is grouped again with each further procedure alone.

00.0100, 96.7201 and 39.9500 are not valid OR procedures; 00.5500 is valid but in no rule's list.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from hospeval.errors import SchemaError
from hospeval.group.engine import group_stays, scheme_features
from hospeval.group.records import RECORD_COLUMNS, records_to_canonical
from hospeval.group.spec import load_scheme
from hospeval.warehouse import Warehouse
from tests.group.conftest import record

FILES = {
    "icd10": "code,name\nI60.000,a\nI63.900,b\nC45.100,c\nJ13.x00,d\nA02.100,e\n",
    "icd9cm3": "code,name\n01.2400,a\n00.5500,b\n00.0100,c\n96.7201,d\n39.9500,e\n",
    "valid_procedures": "code,name\n01.2400,a\n00.5500,b\n",
    "mdc": "mdc,name,priority,entry,sex,age_years_max,min_sites\nMDCA,A,1,principal_valid,,,\n"
           "MDCB,B,2,principal_dx,,,\nMDCR,R,3,principal_dx,,,\n",
    "mdc_procedures": "mdc,code\nMDCA,96.7201\n",
    "mdc_diagnoses": "mdc,code,site\nMDCB,I60.000,\nMDCB,I63.900,\nMDCR,C45.100,\nMDCR,J13.x00,\n",
    "adrg": "adrg,mdc,name,priority,group_as,dx,dx2,proc,proc_formula,sex,age_years_min,age_years_max,"
            "age_days_min,age_days_max,birth_weight_min,birth_weight_max,dept\n"
            "AH1,MDCA,h,1,,,,principal,,,,,,,,,\n"
            "BB1,MDCB,b,1,,principal,,principal,,,,,,,,,\n"
            "BR1,MDCB,r,2,,principal,,not_principal_valid,,,,,,,,,\n"
            "RE1,MDCR,e,1,,principal_not,,principal,,,,,,,,,\n"
            "RR1,MDCR,r,2,,principal,,,,,,,,,,,\n",
    "adrg_codes": "adrg,kind,table,code\nAH1,procedure,1,96.7201\nBB1,diagnosis,1,I60.000\n"
                  "BB1,procedure,1,01.2400\nBR1,diagnosis,1,I60.000\nBR1,diagnosis,1,I63.900\n"
                  "RE1,diagnosis,1,C45.100\nRE1,procedure,1,00.0100\nRR1,diagnosis,1,C45.100\n"
                  "RR1,diagnosis,1,J13.x00\n",
    "drg": "drg,adrg,name,priority,split,age_years_min,age_years_max,los_min,los_max,dept,procedures\n"
           "AH11,AH1,x,1,none,,,,,,96.7201 39.9500\nAH19,AH1,x,2,none,,,,,,\nBB19,BB1,x,1,none,,,,,,\n"
           "BR19,BR1,x,1,none,,,,,ICU,\nBR11,BR1,x,2,mcc,,,,,,\nBR15,BR1,x,3,none,,,,,,\n"
           "RE19,RE1,x,1,none,,,,,,\nRR19,RR1,x,1,none,,,,,,\n",
    "cc": "code,level,exclusion_table\nA02.100,MCC,1\n",
    "cc_exclusion": "principal_code,exclusion_table\n",
}


def write_mini(root, *, retry: bool = True, mdc_procedures: bool = True) -> None:
    folder = root / "schemes" / "mini"
    folder.mkdir(parents=True, exist_ok=True)
    files = {k: v for k, v in FILES.items() if mdc_procedures or k != "mdc_procedures"}
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    listing = "".join(f"  {n}: {n}.csv\n" for n in files)
    (folder / "scheme.yaml").write_text(
        f"name: mini\nversion: '1'\nsource: hand-made test scheme\nlicence: test\n"
        f"retry_each_procedure: {str(retry).lower()}\nfiles:\n{listing}", encoding="utf-8")


@pytest.fixture
def group_mini(tmp_path, monkeypatch):
    """Group records under the mini scheme (options as :func:`write_mini`); rows keyed by record id."""
    monkeypatch.setenv("HOSPEVAL_DATA", str(tmp_path))

    def run(rows: list[dict[str, str]], **options) -> dict[str, dict]:
        write_mini(tmp_path, **options)
        scheme = load_scheme.__wrapped__("mini")
        data = pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})
        with Warehouse(":memory:") as wh:
            stays, dx, px = records_to_canonical(wh.scratch("_records", data))
            out = group_stays(wh, scheme, stays, dx, px).to_pyarrow().to_pylist()
        assert len(out) == len(rows)
        return {r["stay_id"]: r for r in out}
    return run


def test_not_principal_valid_takes_stays_without_a_valid_or_principal_procedure(group_mini):
    r = group_mini([record("none", "I60.000"), record("nonvalid", "I60.000", "00.0100"),
                    record("surgery", "I60.000", "01.2400"), record("valid", "I63.900", "00.5500")])
    assert (r["none"]["adrg"], r["none"]["drg"]) == ("BR1", "BR15")
    assert "no valid OR principal procedure" in r["none"]["explanation"]
    assert r["nonvalid"]["drg"] == "BR15"
    assert r["surgery"]["drg"] == "BB19"
    # a valid OR principal procedure in no list: MDCA and MDCB entered, no rule holds, nothing to retry
    assert (r["valid"]["status"], r["valid"]["drg"]) == ("ungroupable", None)


def test_principal_not_requires_the_principal_diagnosis_outside_the_list(group_mini):
    r = group_mini([record("outside", "J13.x00", "00.0100"), record("inside", "C45.100", "00.0100")])
    assert (r["outside"]["adrg"], r["outside"]["drg"]) == ("RE1", "RE19")
    assert "J13.x00 ∉ RE1" in r["outside"]["explanation"]
    assert (r["inside"]["adrg"], r["inside"]["drg"]) == ("RR1", "RR19")


def test_listed_principal_procedure_enters_the_mdc(group_mini):
    stay = [record("a", "I60.000", "96.7201")]
    assert group_mini(stay)["a"]["drg"] == "AH19"  # 96.7201 is not a valid OR procedure
    assert group_mini(stay, mdc_procedures=False)["a"]["drg"] == "BR15"  # without the list: medical BR1


def test_drg_split_on_given_procedures_needs_all_of_them(group_mini):
    r = group_mini([record("both", "I60.000", "96.7201|39.9500"), record("one", "I60.000", "96.7201|00.0100"),
                    record("alone", "I60.000", "96.7201")])
    assert r["both"]["drg"] == "AH11"
    assert "procedures 96.7201 39.9500" in r["both"]["explanation"]
    assert r["one"]["drg"] == r["alone"]["drg"] == "AH19"


def test_drg_split_on_department(group_mini):
    r = group_mini([record("icu", "I60.000", dept_code="ICU"), record("ward", "I60.000|A02.100"),
                    record("icu_mcc", "I60.000|A02.100", dept_code="ICU")])
    assert r["icu"]["drg"] == "BR19"
    assert r["ward"]["drg"] == "BR11"
    assert r["icu_mcc"]["drg"] == "BR19"  # BR19 comes first in the ADRG's DRG order


def test_retry_with_each_further_procedure(group_mini):
    rows = [record("second", "I60.000", "00.5500|00.0100"),  # 00.0100 alone: BR1
            record("order", "I60.000", "00.5500|01.2400|00.0100"),  # 01.2400 (2nd) comes before 00.0100 (3rd)
            record("never", "I63.900", "00.5500|00.5500")]
    r = group_mini(rows)
    assert (r["second"]["status"], r["second"]["drg"]) == ("grouped", "BR15")
    assert "regrouped with procedure 00.0100 (no. 2)" in r["second"]["explanation"]
    assert r["second"]["reason"] is None
    assert r["order"]["drg"] == "BB19"
    assert (r["never"]["status"], r["never"]["drg"]) == ("ungroupable", None)
    off = group_mini(rows, retry=False)
    assert [off[k]["status"] for k in ("second", "order")] == ["ungroupable", "ungroupable"]


def test_schemes_without_the_local_kinds_leave_them_out():
    local = ("dx_not", "not_principal_valid", "mdc_procs", "drg_dept", "drg_procs", "retry")
    for name in ("chs-drg-1.1", "chs-drg-1.0", "beijing-2022"):
        features = scheme_features(load_scheme(name))
        assert not any(features[k] for k in local), name
    features = scheme_features(load_scheme("zhejiang-2022"))
    assert all(features[k] for k in local)


def test_scheme_mistakes_in_the_local_kinds_name_file_and_field(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSPEVAL_DATA", str(tmp_path))
    write_mini(tmp_path)
    folder = tmp_path / "schemes" / "mini"
    (folder / "mdc_procedures.csv").write_text("mdc,code\nMDCQ,96.7201\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        load_scheme.__wrapped__("mini")
    assert "mdc_procedures.csv" in str(err.value) and "MDCQ" in str(err.value)
    write_mini(tmp_path)
    manifest = folder / "scheme.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("retry_each_procedure: true",
                                                                     "retry_each_procedure: sometimes"))
    with pytest.raises(SchemaError, match="retry_each_procedure"):
        load_scheme.__wrapped__("mini")
