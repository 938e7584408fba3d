"""Parquet ingest through Ibis expressions (ingest_parquet), on DuckDB: same results as the CSV ingest."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hospeval.errors import InputFileError
from hospeval.ingest import ingest_files
from hospeval.ingest.parquet import ingest_parquet
from hospeval.ingest.pseudonym import hmac_expr, hmac_hex
from hospeval.warehouse import Warehouse

from .helpers import N041_HEADER, N041_ROWS, write

BAD_ROWS = [
    "H001,BA0003,甲,,,,1,1,1990-01-01,34,2024-13-45,2024-01-05,0301,3,1,10,1,0,I21.000,1,,,,,,,",   # bad date
    "H001,BA0004,乙,,,,1,7,1990-01-01,34,2024-01-02,2024-01-05,0301,3,1,10,1,0,I21.000,1,,,,,,,",    # sex 7
    "H001,BA0006,丁,,,,1,1,1990-01-01,34,2024-01-02,,0301,3,1,10,1,0,I21.000,1,,,,,,,",              # no discharge
    "H001,BA0007,戊,,,,1,1,1990-01-01,34,2024-01-02,2024-01-05,0301,3,9,a\"b,1,0,I21.000,1,,,,,,,",  # bad cost
    N041_ROWS[0],                                                                                   # duplicate
]
CANONICAL_HEADER = ("hospital_id,medical_record_no,admission_count,sex,age_years,admit_time,discharge_time,"
                    "discharge_dept,los_days,discharge_disposition,cost_total,diagnoses,procedures")
CANONICAL_ROWS = ["H9,M1,1,1,60,2024-05-01 08:00,2024-05-09 10:00,0301,8,1,8000,I21.000| |E11.900,36.0601",
                  "H9,M2,1,2,70,2024-05-03,2024-05-05,0301,2,1,3000,I10.x00,",
                  "H9,M3,1,2,70,2024-05-03,2024-05-05,0301,2,1,3000,,",
                  "H9,M4,x,1,60,2024-05-01,2024/5/9 8:05,0301,8,1,800,K35.800,"]  # admission count x


def as_parquet(csv_path, parquet_path):
    """The CSV's rows as a Parquet file of text columns (empty cells become NULL, as read_csv does)."""
    duckdb.connect().execute(f"COPY (FROM read_csv('{csv_path}', all_varchar=true)) TO '{parquet_path}'")
    return parquet_path


def rows(wh, table, drop=("load_id",)):
    t = wh.to_arrow(table)
    return sorted(map(repr, t.drop_columns([c for c in drop if c in t.column_names]).to_pylist()))


@pytest.mark.parametrize("header,lines", [(N041_HEADER, N041_ROWS + BAD_ROWS), (CANONICAL_HEADER, CANONICAL_ROWS)],
                         ids=["n041", "canonical"])
def test_parquet_ingest_gives_the_csv_ingests_tables(tmp_path, header, lines):
    csv = write(tmp_path / "a.csv", header, lines)
    parquet = as_parquet(csv, tmp_path / "a.parquet")
    with Warehouse(":memory:") as by_csv, Warehouse(":memory:") as by_parquet:
        a = ingest_files(by_csv, [csv], secret="k").files[0]
        b = ingest_parquet(by_parquet, [parquet], secret="k", source_names=["a.csv"]).files[0]
        assert (b.rows_read, b.rows_loaded, b.rows_quarantined, b.reasons, b.profile) == \
            (a.rows_read, a.rows_loaded, a.rows_quarantined, a.reasons, a.profile)
        for table in ("stays", "stay_diagnoses", "stay_procedures", "ingest_quarantine"):
            expected = rows(by_csv, table)  # source_file / file too: the Parquet load was named a.csv
            assert rows(by_parquet, table) == expected, table
            assert expected or table == "stay_procedures"


def test_canonical_lists_become_numbered_rows(tmp_path):
    parquet = as_parquet(write(tmp_path / "c.csv", CANONICAL_HEADER, CANONICAL_ROWS), tmp_path / "c.parquet")
    with Warehouse(":memory:") as wh:
        ingest_parquet(wh, [parquet], secret="k")
        got = wh.con.execute("SELECT seq, code FROM stay_diagnoses ORDER BY code").fetchall()
    # the blank item keeps its place: E11.900 is the third code, seq 2
    assert got == [(2, "E11.900"), (0, "I10.x00"), (0, "I21.000")]


def test_quarantine_names_file_row_field_and_counts_reconcile(tmp_path):
    parquet = as_parquet(write(tmp_path / "b.csv", N041_HEADER, N041_ROWS + BAD_ROWS), tmp_path / "b.parquet")
    with Warehouse(":memory:") as wh:
        f = ingest_parquet(wh, [parquet], secret="k").files[0]
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (8, 3, 5) and f.reconciles
        q = wh.con.execute("SELECT file, source_row, field, reason FROM ingest_quarantine "
                           "ORDER BY source_row, field").fetchall()
        log = wh.con.execute("SELECT file, rows_read, rows_loaded, rows_quarantined, encoding "
                             "FROM ingest_loads").fetchall()
        message = wh.con.execute("SELECT message FROM ingest_quarantine WHERE field = 'ZFY'").fetchone()[0]
    assert q == [("b.parquet", 4, "RYSJ", "bad_date"), ("b.parquet", 5, "XB", "unknown_code"),
                 ("b.parquet", 6, "CYSJ", "missing_required"), ("b.parquet", 7, "ZFY", "bad_number"), ("b.parquet", 8, "stay_id", "duplicate_key")]
    assert message == 'ZFY (住院总费用): a"b is not a valid decimal'
    assert log == [("b.parquet", 8, 3, 5, "parquet")]


def test_reload_replaces_stays_by_key(tmp_path):
    parquet = as_parquet(write(tmp_path / "a.csv", N041_HEADER, N041_ROWS), tmp_path / "a.parquet")
    with Warehouse(":memory:") as wh:
        ingest_parquet(wh, [parquet], secret="k")
        first = {t: wh.count(t) for t in ("stays", "stay_diagnoses", "stay_procedures")}
        ingest_parquet(wh, [parquet], secret="k")
        assert {t: wh.count(t) for t in first} == first == {"stays": 3, "stay_diagnoses": 4, "stay_procedures": 1}
        assert wh.count("ingest_loads") == 2


def test_same_stay_in_two_files_of_one_call_the_last_file_wins(tmp_path):
    changed = N041_ROWS[0].replace(",5000.50,", ",6000,").replace("E11.900,1,", ",,")
    a = as_parquet(write(tmp_path / "a.csv", N041_HEADER, N041_ROWS), tmp_path / "a.parquet")
    b = as_parquet(write(tmp_path / "b.csv", N041_HEADER, [changed]), tmp_path / "b.parquet")
    with Warehouse(":memory:") as wh:
        ingest_parquet(wh, [a, b], secret="k")
        assert wh.count("stays") == 3
        assert wh.con.execute("SELECT cost_total, source_file FROM stays WHERE source_row = 1 "
                              "AND source_file = 'b.parquet'").fetchall() == [(6000, "b.parquet")]
        assert wh.count("stay_diagnoses") == 3  # the reloaded stay lost its second diagnosis


def test_typed_parquet_columns_are_read_as_their_text(tmp_path):
    table = pa.table({"USERNAME": ["H1"], "BAH": ["B1"], "ZYCS": pa.array([2], pa.int64()), "XB": ["1"],
                      "RYSJ": pa.array([dt.datetime(2024, 3, 1, 8, 30)], pa.timestamp("us")),
                      "CYSJ": pa.array([dt.date(2024, 3, 4)], pa.date32()), "CYKB": ["0301"],
                      "SJZYTS": pa.array([3.0]), "LYFS": ["1"], "ZFY": pa.array([1234.5]), "JBDM": ["J18.900"]})
    pq.write_table(table, tmp_path / "t.parquet")
    with Warehouse(":memory:") as wh:
        f = ingest_parquet(wh, [tmp_path / "t.parquet"], secret="k").files[0]
        got = wh.con.execute("SELECT admission_count, admit_time, discharge_time, los_days, cost_total "
                             "FROM stays").fetchall()
    assert f.rows_loaded == 1
    assert got == [(2, dt.datetime(2024, 3, 1, 8, 30), dt.datetime(2024, 3, 4), 3, 1234.5)]


def test_hmac_expression_matches_the_reference():
    t = ibis.memtable({"m": ["id|中文", "stay|H1|BA1|1|2024-01-02 08:00", ""]})
    con = ibis.duckdb.connect()
    for secret in ("s", "密钥", "x" * 100):
        got = con.to_pyarrow(t.select(h=hmac_expr(secret, t.m)))["h"].to_pylist()
        assert got == [hmac_hex(secret, m) for m in t.execute()["m"]]


def test_unreadable_and_non_parquet_files(tmp_path):
    junk = tmp_path / "x.parquet"
    junk.write_bytes(b"not parquet at all")
    with Warehouse(":memory:") as wh:
        with pytest.raises(InputFileError, match="cannot read as Parquet"):
            ingest_parquet(wh, [junk])
        with pytest.raises(InputFileError, match="not a Parquet file"):
            ingest_parquet(wh, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)])
        assert wh.count("stays") == 0


def test_spark_engine_asks_for_parquet(tmp_path):
    spark_like = SimpleNamespace(engine="spark")  # the format check comes before any Spark work
    with pytest.raises(InputFileError, match="convert this file to Parquet first"):
        ingest_files(spark_like, [write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)])


def test_cli_on_the_spark_engine_refuses_csv_with_advice(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import hospeval.ingest.cli as ingest_cli
    from hospeval.cli import app

    class NotStarted:  # stands for the Spark warehouse: the format check happens before any Spark work
        engine = "spark"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    opened = []
    monkeypatch.setenv("HOSPEVAL_ENGINE", "duckdb")  # restored after the test; --engine sets it
    monkeypatch.setattr(ingest_cli, "open_warehouse", lambda s: opened.append(s.engine) or NotStarted())
    csv = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    result = CliRunner().invoke(app, ["--engine", "spark", "--spark-warehouse", str(tmp_path / "s"),
                                      "ingest", str(csv)])
    assert opened == ["spark"]
    assert isinstance(result.exception, InputFileError)
    assert "convert this file to Parquet first" in str(result.exception) and "a.csv" in str(result.exception)


@pytest.mark.parametrize("suffix,loader,runs", [
    (".csv", ingest_files, 2),          # the SQL ingest sorts each file's rows: one sorted run per file
    (".parquet", ingest_files, 2),
    (".parquet", ingest_parquet, 1),    # the Ibis ingest (Spark's) writes the whole table sorted
], ids=["csv", "parquet-sql", "parquet-ibis"])
def test_diagnoses_and_procedures_are_stored_in_key_order(tmp_path, suffix, loader, runs):
    # the batched stages cut stays by stay_id range: stored in key order, a range is a few row groups
    from hospeval.demo.generator import generate_province
    from hospeval.ingest.export import export_front_page

    with Warehouse(":memory:") as source:
        generate_province(source, stays=3_000, seed=8)
        files = [tmp_path / f"{h}{suffix}" for h in ("a", "b")]
        export_front_page(source, files[0], where="hospital_id >= 'H004'")  # hospitals out of order
        export_front_page(source, files[1], where="hospital_id < 'H004'")
    with Warehouse(":memory:") as wh:
        loader(wh, files, secret="k")
        wh.con.execute("SET threads = 1")  # one thread reads the table in its stored order
        for table in ("stay_diagnoses", "stay_procedures"):
            stored = wh.con.execute(f"SELECT stay_id, seq FROM {table}").fetchall()
            descents = sum(a > b for a, b in zip(stored, stored[1:], strict=False))
            assert len(stored) > 3_000 and descents == runs - 1, (table, descents)
