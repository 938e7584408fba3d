from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from hospeval.errors import InputFileError
from hospeval.ingest import ingest_files, load
from hospeval.ingest.pseudonym import hmac_hex, hmac_sql

from .helpers import N041_HEADER, N041_ROWS, write

ZH_HEADER = "组织机构代码,病案号,姓名,住院次数,性别,年龄,入院时间,出院时间,出院科别,实际住院（天）,离院方式,住院总费用,主要诊断编码,其他诊断编码1"
ZH_ROWS = ["H001,BA1,张三,1,男,60,2024-05-01,2024-05-09,0301,8,1,8000,I21.000,E11.900",
           "H001,BA2,李四,1,女,70,2024-05-03,2024-05-05,0301,2,1,3000,I10.x00,"]


def counts(wh):
    return {t: wh.count(t) for t in ("stays", "stay_diagnoses", "stay_procedures")}


def test_gb18030_chinese_headers_detected_and_decoded(warehouse, tmp_path):
    path = write(tmp_path / "gb.csv", ZH_HEADER, ZH_ROWS, encoding="gb18030")
    report = ingest_files(warehouse, [path], secret="k")
    f = report.files[0]
    assert (f.encoding, f.profile, f.rows_loaded) == ("gb18030", "n041_zh", 2)
    assert warehouse.con.execute("SELECT list_sort(list(sex)) FROM stays").fetchone()[0] == ["1", "2"]


def test_utf8_bom_is_accepted(warehouse, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join([ZH_HEADER, *ZH_ROWS]) + "\n").encode())
    assert ingest_files(warehouse, [path], secret="k").files[0].rows_loaded == 2


def test_undecodable_row_is_quarantined_not_dropped(warehouse, tmp_path):
    good = ("\n".join([ZH_HEADER, *ZH_ROWS]) + "\n").encode("gb18030")
    bad = "H001,BA3,王五,1,男,50,2024-05-03,2024-05-05,0301,2,1,3000,K35.800,".encode("gb18030")
    bad = bad.replace("王".encode("gb18030"), b"\x81\x20")  # an invalid GB18030 sequence
    path = tmp_path / "broken.csv"
    path.write_bytes(good + bad + b"\n")
    f = ingest_files(warehouse, [path], encoding="gb18030", secret="k").files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    assert f.reasons == {"encoding": 1}


def test_invalid_utf8_row_is_quarantined(warehouse, tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(("\n".join([ZH_HEADER, *ZH_ROWS]) + "\n").encode() +
                     b"H001,BA9,\xff\xfe,1,1,50,2024-05-03,2024-05-05,0301,2,1,3000,K35.800,\n")
    f = ingest_files(warehouse, [path], encoding="utf-8", secret="k").files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)


def test_broken_rows_quarantined_with_reasons_and_counts_reconcile(warehouse, tmp_path):
    rows = list(N041_ROWS) + [
        "H001,BA0003,甲,,,,1,1,1990-01-01,34,2024-13-45,2024-01-05,0301,3,1,10,1,0,I21.000,1,,,,,,,",  # bad date
        "H001,BA0004,乙,,,,1,7,1990-01-01,34,2024-01-02,2024-01-05,0301,3,1,10,1,0,I21.000,1,,,,,,,",  # sex 7
        "H001,BA0005,丙,,,,1,1,1990-01-01,34,2024-01-02,2024-01-05,0301,3,1,10",                         # short row
        "H001,BA0006,丁,,,,1,1,1990-01-01,34,2024-01-02,,0301,3,1,10,1,0,I21.000,1,,,,,,,",            # no discharge
        "H001,BA0007,戊,,,,1,1,1990-01-01,34,2024-01-02,2024-01-05,0301,3,9,abc,1,0,I21.000,1,,,,,,,",  # bad cost
        "H001,BA0008,己,,,,1,1,1990-01-01,34,2024-01-02,2024-01-05,0301,3,1,10,1,0,I21.000,1,,,,,,,,x,y",  # long row
    ]
    f = ingest_files(warehouse, [write(tmp_path / "b.csv", N041_HEADER, rows)], secret="k").files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (9, 3, 6)
    assert f.reconciles
    q = warehouse.con.execute("SELECT source_row, field, reason FROM ingest_quarantine ORDER BY 1").fetchall()
    assert q == [(4, "RYSJ", "bad_date"), (5, "XB", "unknown_code"), (6, "*", "missing_columns"),
                 (7, "CYSJ", "missing_required"), (8, "ZFY", "bad_number"), (9, "*", "too_many_columns")]
    # the quarantined record keeps the data but not the identifiers
    record = warehouse.con.execute("SELECT record FROM ingest_quarantine WHERE source_row = 4").fetchone()[0]
    assert "2024-13-45" in record and "BA0003" not in record and "甲" not in record


def test_reload_replaces_instead_of_duplicating(warehouse, tmp_path):
    path = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    ingest_files(warehouse, [path], secret="k")
    first = counts(warehouse)
    ingest_files(warehouse, [path], secret="k")
    assert counts(warehouse) == first == {"stays": 3, "stay_diagnoses": 4, "stay_procedures": 1}


def test_duplicate_stay_inside_a_file_is_quarantined(warehouse, tmp_path):
    f = ingest_files(warehouse, [write(tmp_path / "d.csv", N041_HEADER, N041_ROWS + N041_ROWS[:1])],
                     secret="k").files[0]
    assert (f.rows_loaded, f.reasons) == (3, {"duplicate_key": 1})


def test_unreadable_file_loads_nothing(warehouse, tmp_path):
    good = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    junk = tmp_path / "b.xlsx"
    junk.write_bytes(b"this is not a workbook")
    with pytest.raises(InputFileError, match="Excel"):
        ingest_files(warehouse, [good, junk], secret="k")
    assert counts(warehouse) == {"stays": 0, "stay_diagnoses": 0, "stay_procedures": 0}


def test_failure_while_writing_rolls_everything_back(warehouse, tmp_path, monkeypatch):
    ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS[:1])], secret="k")
    before = counts(warehouse)
    real = load._insert_long

    def explode(con, good, prof, report, kind):
        real(con, good, prof, report, kind)
        if kind == "procedures":
            raise RuntimeError("disk full")

    monkeypatch.setattr(load, "_insert_long", explode)
    with pytest.raises(RuntimeError):
        ingest_files(warehouse, [write(tmp_path / "b.csv", N041_HEADER, N041_ROWS)], secret="k")
    assert counts(warehouse) == before
    assert warehouse.count("ingest_loads") == 1


def parked(wh):
    return [r[0] for r in wh.con.execute("SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, "
                                         "?)", [load.PARKED_PREFIX]).fetchall()]


def test_parked_rows_are_dropped_after_a_load_and_after_a_failed_one(warehouse, tmp_path, monkeypatch):
    ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)], secret="k")
    assert parked(warehouse) == []
    junk = tmp_path / "b.xlsx"
    junk.write_bytes(b"this is not a workbook")
    with pytest.raises(InputFileError):  # the first file is parked before the second one fails
        ingest_files(warehouse, [write(tmp_path / "c.csv", N041_HEADER, N041_ROWS), junk], secret="k")
    assert parked(warehouse) == []
    monkeypatch.setattr(load, "_commit", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        ingest_files(warehouse, [write(tmp_path / "d.csv", N041_HEADER, N041_ROWS)], secret="k")
    assert parked(warehouse) == []


def test_leftovers_of_a_killed_load_are_cleared(warehouse, tmp_path):
    warehouse.con.execute(f"CREATE TABLE {load.PARKED_PREFIX}dead_0_good AS SELECT 1 AS x")
    ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)], secret="k")
    assert parked(warehouse) == []


def test_same_stay_in_two_files_of_one_call_the_later_file_wins(warehouse, tmp_path):
    first = write(tmp_path / "a.csv", ZH_HEADER, ZH_ROWS)
    later = write(tmp_path / "b.csv", ZH_HEADER, [ZH_ROWS[0].replace(",8000,", ",9100,").replace(",E11.900", ",")])
    ingest_files(warehouse, [first, later], secret="k")
    con = warehouse.con
    assert con.execute("SELECT count(*), sum(cost_total) FROM stays").fetchone() == (2, 12100)
    # the later file's row has no secondary diagnosis; the earlier file's E11.900 must not survive
    assert con.execute("SELECT count(*) FROM stay_diagnoses WHERE code = 'E11.900'").fetchone()[0] == 0


def test_reload_over_stored_stays_in_several_files(warehouse, tmp_path):
    """Stored stays reloaded by any file of a call are replaced once; a stay in two files of the call
    keeps the later file's row and diagnoses; stays the call does not mention are untouched."""
    ingest_files(warehouse, [write(tmp_path / "a.csv", ZH_HEADER, ZH_ROWS)], secret="k")
    third = "H001,BA3,王五,1,男,50,2024-05-03,2024-05-05,0301,2,1,500,K35.800,"
    b = write(tmp_path / "b.csv", ZH_HEADER, [ZH_ROWS[0].replace(",8000,", ",7000,")])
    c = write(tmp_path / "c.csv", ZH_HEADER, [ZH_ROWS[0].replace(",8000,", ",9100,").replace(",E11.900", ","),
                                              third])
    ingest_files(warehouse, [b, c], secret="k")
    con = warehouse.con
    assert sorted(con.execute("SELECT cost_total FROM stays").fetchall()) == [(500,), (3000,), (9100,)]
    assert sorted(r[0] for r in con.execute("SELECT code FROM stay_diagnoses").fetchall()) == [
        "I10.x00", "I21.000", "K35.800"]


def test_no_clear_identifier_reaches_any_table(warehouse, tmp_path):
    ingest_files(warehouse, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS + ["x,y"])], secret="k")
    clear = ["张三", "李四", "王五", "110101199001011234", "13800138000", "北京市", "BA0001", "BA0002"]
    con = warehouse.con
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    assert "ingest_quarantine" in tables
    for t in tables:
        cols = [r[0] for r in con.execute(f'DESCRIBE "{t}"').fetchall()]
        text = con.execute(f'SELECT string_agg(concat_ws(\'|\', {", ".join(chr(34) + c + chr(34) for c in cols)}), \'\n\') '
                           f'FROM "{t}"').fetchone()[0] or ""
        for value in clear:
            assert value not in text, (t, value)


def test_pseudonyms_are_keyed_and_stable(tmp_path):
    from hospeval.warehouse import Warehouse

    path = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    ids = []
    for secret in ("k1", "k1", "k2"):
        with Warehouse(":memory:") as wh:
            ingest_files(wh, [path], secret=secret)
            ids.append(wh.con.execute("SELECT list(stay_id ORDER BY stay_id), list(patient_id ORDER BY stay_id) "
                                      "FROM stays").fetchone())
    assert ids[0] == ids[1] and ids[0] != ids[2]
    # same ID card number -> same patient in any hospital; derivation matches the documented HMAC
    expected = hmac_hex("k1", "id|110101199001011234")[:24]
    assert expected in ids[0][1]


def test_sql_hmac_matches_reference():
    con = duckdb.connect()
    for secret in ("s", "密钥", "x" * 100):
        sql = hmac_sql(secret, "'id|中文'")
        assert con.execute(f"SELECT {sql}").fetchone()[0] == hmac_hex(secret, "id|中文")


def test_xlsx_and_parquet(warehouse, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(ZH_HEADER.split(","))
    for r in ZH_ROWS:
        ws.append([int(x) if x.isdigit() and len(x) < 5 else (x or None) for x in r.split(",")])
    ws.append(["H001", "BA3", "x", 1, "男", 60, "2024-05-01", "2024-05-09", "0301", 8, 1, 8000, "I21.000", None,
               "extra"])
    wb.save(tmp_path / "a.xlsx")
    f = ingest_files(warehouse, [tmp_path / "a.xlsx"], secret="k").files[0]
    assert (f.rows_read, f.rows_loaded, f.reasons) == (3, 2, {"too_many_columns": 1})
    table = pa.table({h: [r.split(",")[i] for r in ZH_ROWS] for i, h in enumerate(ZH_HEADER.split(","))})
    pq.write_table(table, tmp_path / "b.parquet")
    f = ingest_files(warehouse, [tmp_path / "b.parquet"], secret="k").files[0]
    assert (f.rows_read, f.rows_loaded) == (2, 2)


def test_unsupported_type_and_empty_file(warehouse, tmp_path):
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(InputFileError, match="unsupported file type"):
        ingest_files(warehouse, [tmp_path / "a.json"])
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputFileError, match="empty"):
        ingest_files(warehouse, [tmp_path / "e.csv"])
