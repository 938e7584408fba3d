"""Bad input never stops the run and never drops a stay: each gets an error or ungroupable reason."""

from __future__ import annotations

from tests.group.conftest import record


def test_every_bad_record_gets_a_status_and_reason(group_records):
    rows = [
        record("ok", "J13.x00"),
        record("sex0", "J13.x00", sex="0"),
        record("sexempty", "J13.x00", sex=""),
        record("noage", "J13.x00", age_years=""),
        record("age200", "J13.x00", age_years="200"),
        record("ageneg", "J13.x00", age_years="-3"),
        record("agejunk", "J13.x00", age_years="abc"),
        record("losneg", "J13.x00", los_days="-2"),
        record("nb_noweight", "P07.300", age_years="0", age_days="3"),
        record("infant_nodays", "P07.300", age_years="0"),
        record("nodx", ""),
        record("emptyprincipal", "|J13.x00"),
        record("unknown", "Q99.999x999|J13.x00"),
        record("lower", "j13.x00"),
    ]
    r = group_records(rows)
    assert r["ok"]["status"] == "grouped" and r["ok"]["reason"] is None
    for key in ("sex0", "sexempty", "noage", "age200", "ageneg", "agejunk", "losneg", "nb_noweight",
                "infant_nodays"):
        assert r[key]["status"] == "error", key
        assert r[key]["reason"], key
        assert r[key]["drg"] is None
    assert "negative" in r["losneg"]["reason"]
    assert "impossible" in r["age200"]["reason"]
    assert "birth weight" in r["nb_noweight"]["reason"]
    for key in ("nodx", "emptyprincipal"):
        assert r[key]["status"] == "ungroupable"
        assert "no principal diagnosis" in r[key]["reason"]
    assert r["unknown"]["status"] == "ungroupable"
    assert "Q99.999x999" in r["unknown"]["reason"] and "not a code" in r["unknown"]["reason"]
    assert r["lower"]["status"] == "ungroupable"  # exact policy: as the reference


def test_normalise_policy_fixes_case_dot_and_x(group_records):
    rows = [record("lower", "j13.x00"), record("nodot", "J13X00"), record("upperx", "J13.X00|A01100"),
            record("space", "  J13.x00 ")]
    exact = group_records(rows)
    assert exact["lower"]["status"] == exact["nodot"]["status"] == "ungroupable"
    assert exact["space"]["drg"] == "ES35"  # whitespace is always trimmed
    norm = group_records(rows, code_policy="normalise")
    assert {k: v["drg"] for k, v in norm.items()} == {"lower": "ES35", "nodot": "ES35", "upperx": "ES31",
                                                        "space": "ES35"}


def test_row_number_keys_give_the_same_result(group_records, monkeypatch):
    # the engine falls back to row-number stay keys when two ids share a hash
    import hospeval.group.engine as engine

    rows = [record("a", "J13.x00|A00.100"), record("b", "Z99.999"), record("c", "J13.x00", sex="0")]
    hashed = group_records(rows)
    monkeypatch.setattr(engine, "hash_keys_unique", lambda stays: False)
    numbered = group_records(rows)
    assert hashed == numbered
    assert hashed["a"]["drg"] == "ES33"


def test_map_policy_translates_clinical_edition_codes(group_records):
    # icd10_map.csv: clinical 2.0 A02.100x004 -> insurance 2.0 A02.100 (沙门菌脓毒症)
    rows = [record("clinical", "A02.100x004|j13x00"), record("insurance", "A02.100|J13.x00")]
    exact = group_records(rows)
    assert exact["clinical"]["status"] == "ungroupable"
    mapped = group_records(rows, code_policy="map")
    assert mapped["insurance"]["status"] == "grouped"
    assert {k: mapped["clinical"][k] for k in ("mdc", "adrg", "drg", "cc_level")} == \
        {k: mapped["insurance"][k] for k in ("mdc", "adrg", "drg", "cc_level")}


def test_single_query_mode_gives_the_same_result(scheme):
    import pyarrow as pa

    from hospeval.group.engine import group_stays
    from hospeval.group.records import RECORD_COLUMNS, records_to_canonical
    from hospeval.warehouse import Warehouse

    rows = [record("a", "J13.x00|A00.100"), record("b", "J13.x00", "96.7201"), record("c", "", sex="3")]
    data = pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})
    results = []
    for materialise in (True, False):
        with Warehouse(":memory:") as wh:
            stays, dx, px = records_to_canonical(wh.scratch("_records", data))
            out = group_stays(wh, scheme, stays, dx, px, materialise=materialise)
            results.append(sorted(out.to_pyarrow().to_pylist(), key=lambda r: r["stay_id"]))
    assert results[0] == results[1]
    assert [r["drg"] for r in results[0]] == ["ES33", "AH15", None]
