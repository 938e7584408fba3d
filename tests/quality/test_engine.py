"""Engine behaviour: statuses (error, not_applicable), denominators, run id, isolation of broken rules."""

from __future__ import annotations

import pytest

from hospeval.errors import SchemaError, WarehouseError
from hospeval.quality.engine import run_rules
from hospeval.quality.spec import parse_catalogue
from hospeval.warehouse import Warehouse

from .fixtures import DICTIONARIES, warehouse_with

RULE = """
  - {{id: {id}, table: {table}, check: {check}, severity: error, category: validity, fields: [x],
     source: test, message_zh: 测试, message_en: test, fix_zh: 修正, fix_en: fix{extra}}}
"""


def catalogue(*rules: tuple[str, str, str] | tuple[str, str, str, str], dictionaries: str = "") -> object:
    body = "".join(RULE.format(id=r[0], table=r[1], check=r[2], extra=(", " + r[3]) if len(r) > 3 else "")
                   for r in rules)
    return parse_catalogue(f"version: t\n{dictionaries}\nrules:\n{body}")


def results(wh: Warehouse) -> dict[tuple[str, str | None], dict]:
    rows = wh.to_arrow("quality_rule_results").to_pylist()
    return {(r["rule_id"], r["hospital_id"]): r for r in rows}


def test_broken_rules_get_error_and_the_others_still_run():
    wh = warehouse_with({"s1": {"stay": {"payer": None}}, "s2": {}})
    cat = catalogue(
        ("T-1", "stays", "{kind: not_null, fields: [payer]}"),
        ("T-2", "stays", "{kind: not_null, fields: [no_such_field]}"),           # compile error
        ("T-3", "stays", "{kind: no_such_kind}"),                                 # unknown kind
        ("T-4", "stays", "{kind: pattern, field: payer, regex: '(['}"),          # fails when run
        ("T-5", "stay_diagnoses", "{kind: not_null, fields: [code]}"),
    )
    run = run_rules(wh, catalogue=cat)
    res = results(wh)
    assert run.statuses["T-2"][0] == "error" and "no_such_field" in run.statuses["T-2"][1]
    assert run.statuses["T-3"][0] == "error" and "no_such_kind" in run.statuses["T-3"][1]
    assert run.statuses["T-4"][0] == "error" and run.statuses["T-4"][1].startswith("run:")
    assert res[("T-1", "H1")]["status"] == "failed"
    assert (res[("T-1", "H1")]["violations"], res[("T-1", "H1")]["denominator"]) == (1, 2)
    assert res[("T-2", "H1")]["status"] == "error" and res[("T-2", "H1")]["violations"] is None
    assert res[("T-5", None)]["status"] == "passed"
    assert wh.con.execute("SELECT stay_id, rule_id FROM quality_findings").fetchall() == [("s1", "T-1")]


def test_missing_dictionary_gives_not_applicable_with_reason():
    wh = warehouse_with({"s1": {}})
    cat = catalogue(("T-1", "stay_diagnoses", "{kind: in_dictionary, field: code, dictionary: icd10}"),
                    ("T-2", "stays", "{kind: not_null, fields: [payer]}"),
                    dictionaries="dictionaries: {icd10: 'nowhere/{scheme}/icd10.csv'}")
    run = run_rules(wh, catalogue=cat)
    status, reason = run.statuses["T-1"]
    assert status == "not_applicable"
    assert "nowhere/chs-drg-1.1/icd10.csv not found" in reason
    assert results(wh)[("T-1", "H1")]["reason"] == reason
    assert run.statuses["T-2"][0] == "passed"


def test_dictionary_rule_runs_when_the_file_is_given():
    wh = warehouse_with({"s1": {"dx": [{"code": "k35.800"}, {"code": "X99.999"}]}})
    cat = catalogue(("T-1", "stay_diagnoses", "{kind: in_dictionary, field: code, dictionary: icd10}"),
                    dictionaries="dictionaries: {icd10: 'nowhere/icd10.csv'}")
    run_rules(wh, catalogue=cat, dictionaries={"icd10": DICTIONARIES["icd10"]})
    rows = wh.con.execute("SELECT field, value FROM quality_findings").fetchall()
    # codes are compared upper-cased, so "k35.800" is found
    assert rows == [("stay_diagnoses[1].code", "X99.999")]


def test_denominator_counts_rows_the_rule_applies_to():
    wh = warehouse_with({"dead": {"stay": {"discharge_disposition": "5"}},
                         "dead2": {"stay": {"discharge_disposition": "5", "autopsy": "2"}},
                         "alive": {}})
    cat = catalogue(("T-1", "stays", "{kind: conditional_required, fields: [autopsy]}",
                     "when: {field: discharge_disposition, in: ['5']}"))
    run_rules(wh, catalogue=cat)
    row = results(wh)[("T-1", "H1")]
    assert (row["violations"], row["denominator"], row["ratio"]) == (1, 2, 0.5)


def test_hospital_without_applicable_rows_is_not_applicable():
    wh = warehouse_with({"s1": {}})
    cat = catalogue(("T-1", "stays", "{kind: conditional_required, fields: [autopsy]}",
                     "when: {field: discharge_disposition, in: ['5']}"))
    run_rules(wh, catalogue=cat)
    row = results(wh)[("T-1", "H1")]
    assert row["status"] == "not_applicable" and row["denominator"] == 0 and row["ratio"] is None


def test_run_id_is_deterministic_and_follows_data_and_rules():
    cat = catalogue(("T-1", "stays", "{kind: not_null, fields: [payer]}"))
    first = run_rules(warehouse_with({"s1": {}}), catalogue=cat).run_id
    again = run_rules(warehouse_with({"s1": {}}), catalogue=cat).run_id
    more_data = run_rules(warehouse_with({"s1": {}, "s2": {}}), catalogue=cat).run_id
    other_rules = run_rules(warehouse_with({"s1": {}}),
                            catalogue=catalogue(("T-1", "stays", "{kind: not_null, fields: [sex]}"))).run_id
    assert first == again
    assert len({first, more_data, other_rules}) == 3


def test_work_tables_are_dropped():
    wh = warehouse_with({"s1": {}})
    run_rules(wh, dictionaries=DICTIONARIES)
    names = [r[0] for r in wh.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    assert not [n for n in names if n.startswith("_quality")]
    assert {"quality_findings", "quality_rule_results"} <= set(names)


def test_missing_tables_raise_a_warehouse_error():
    with Warehouse(":memory:") as wh, pytest.raises(WarehouseError, match="stays"):
        run_rules(wh)


def test_catalogue_errors_name_the_rule():
    with pytest.raises(SchemaError, match="T-1"):
        catalogue(("T-1", "stays", "{kind: not_null}", "severity: fatal"))
    with pytest.raises(SchemaError, match="not valid YAML"):
        parse_catalogue("rules: [ {id: x")
    with pytest.raises(SchemaError, match="check must be a mapping"):
        catalogue(("T-1", "stays", "not_null"))
    with pytest.raises(SchemaError, match="duplicate rule id"):
        catalogue(("T-1", "stays", "{kind: not_null}"), ("T-1", "stays", "{kind: not_null}"))
