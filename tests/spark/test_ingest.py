"""Parquet ingest on Spark gives DuckDB's tables: the demo province as N041 Parquet files, with bad rows.

Compared exactly, except ``load_id`` (a new id per load) and ``ingest_loads``' timestamps.
"""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from hospeval.ingest import ingest_files
from hospeval.ingest.export import export_front_page
from hospeval.ingest.parquet import ingest_parquet
from hospeval.warehouse import Warehouse

from .compare import assert_same_table
from .conftest import SECRET

TABLES = ("stays", "stay_diagnoses", "stay_procedures", "hospitals", "hospital_facts", "ingest_quarantine")


def _text_parquet(table: pa.Table, path):
    pq.write_table(pa.table({c: pc.cast(table[c], pa.string()) for c in table.column_names}), path)
    return path


def _plant_bad_rows(path):
    """Append to a front-page file: a bad date, an unknown code, a missing required field, a repeated
    stay (same 病案号, 住院次数, 入院时间), and a new good stay whose cost has a thousands separator."""
    table = pq.read_table(path)
    first = table.slice(0, 5).to_pylist()
    first[0]["RYSJ"] = "2024-02-30 08:00:00"
    first[1]["XB"] = "7"
    first[2]["CYKB"] = None
    first[4].update(BAH="BA-PLANTED", ZFY="12,345.678")  # commas are dropped, cents rounded
    planted = [*first[:3], dict(first[3]), first[4]]
    pq.write_table(pa.concat_tables([table, pa.Table.from_pylist(planted, schema=table.schema)]), path)
    return len(table)


@pytest.fixture(scope="module")
def parquet_files(province, tmp_path_factory):
    root = tmp_path_factory.mktemp("parquet-input")
    hospitals = sorted(r[0] for r in province.con.execute("SELECT DISTINCT hospital_id FROM stays").fetchall())
    half = len(hospitals) // 2
    files = [_text_parquet(province.to_arrow("hospitals"), root / "hospitals.parquet"),
             _text_parquet(province.to_arrow("hospital_facts"), root / "hospital_facts.parquet")]
    for n, group in enumerate((hospitals[:half], hospitals[half:])):
        csv = root / f"front_page_{n}.csv"
        ids = ", ".join(f"'{h}'" for h in group)
        export_front_page(province, csv, profile="n041", where=f"s.hospital_id IN ({ids})")
        parquet = root / f"front_page_{n}.parquet"
        duckdb.connect().execute(f"COPY (FROM read_csv('{csv}', all_varchar=true)) TO '{parquet}'")
        files.append(parquet)
    _plant_bad_rows(files[2])
    return files


@pytest.fixture(scope="module")
def loaded(parquet_files, spark, tmp_path_factory):
    from hospeval.spark import SparkWarehouse

    root = tmp_path_factory.mktemp("ingest-engines")
    duck = Warehouse(root / "duck.duckdb")
    duck_report = ingest_parquet(duck, parquet_files, secret=SECRET)
    sw = SparkWarehouse(root / "spark", session=spark)
    t0 = time.perf_counter()
    spark_report = ingest_files(sw, parquet_files, secret=SECRET)  # the Spark engine routes Parquet here
    seconds = time.perf_counter() - t0
    print(f"\nSpark Parquet ingest of the test province: {seconds:.1f}s "
          f"({sum(f.rows_read for f in spark_report.files):,} rows in {len(parquet_files)} files)")
    yield duck, sw, duck_report, spark_report
    duck.close()
    sw.close()


def test_reports_agree_and_reconcile(loaded):
    _duck, _sw, duck_report, spark_report = loaded
    for a, b in zip(duck_report.files, spark_report.files, strict=True):
        assert (a.file, a.table, a.profile, a.rows_read, a.rows_loaded, a.rows_quarantined, a.reasons) == \
            (b.file, b.table, b.profile, b.rows_read, b.rows_loaded, b.rows_quarantined, b.reasons)
        assert b.reconciles
    front = spark_report.files[2]
    assert front.reasons == {"bad_date": 1, "unknown_code": 1, "missing_required": 1, "duplicate_key": 1}
    assert front.rows_quarantined == 4 and front.rows_loaded == front.rows_read - 4


@pytest.mark.parametrize("table", TABLES)
def test_tables_are_the_same_on_both_engines(loaded, table):
    duck, sw, *_ = loaded
    a, b = duck.to_arrow(table), sw.to_arrow(table)
    assert a.num_rows > 0
    assert_same_table(a, b, name=table, ignore=("load_id",))


def test_planted_rows_are_quarantined_identically(loaded):
    duck, sw, *_ = loaded
    t = sw.table("ingest_quarantine")
    got = sorted(sw.to_arrow(t.select("file", "field", "reason")).to_pylist(), key=str)
    assert got == sorted([{"file": "front_page_0.parquet", "field": f, "reason": r} for f, r in
                          (("RYSJ", "bad_date"), ("XB", "unknown_code"), ("CYKB", "missing_required"),
                           ("stay_id", "duplicate_key"))], key=str)
    # the good planted row: '12,345.678' loads as 12345.68 on both engines
    assert duck.con.execute("SELECT count(*) FROM stays WHERE cost_total = 12345.68").fetchone()[0] >= 1
    assert sw.count("stays", {"cost_total": 12345.68}) == duck.count("stays", {"cost_total": 12345.68})


def test_loads_log_matches(loaded):
    duck, sw, *_ = loaded
    assert_same_table(duck.to_arrow("ingest_loads"), sw.to_arrow("ingest_loads"), name="ingest_loads",
                      ignore=("load_id", "started_at", "finished_at"))


def test_reload_on_spark_replaces_stays_and_pseudonyms_match_the_reference(spark, tmp_path):
    import ibis

    from hospeval.ingest.pseudonym import hmac_expr, hmac_hex
    from hospeval.spark import SparkWarehouse
    from tests.ingest.helpers import N041_HEADER, N041_ROWS, write

    csv = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    parquet = tmp_path / "a.parquet"
    duckdb.connect().execute(f"COPY (FROM read_csv('{csv}', all_varchar=true)) TO '{parquet}'")
    sw = SparkWarehouse(tmp_path / "spark", session=spark)
    try:
        ingest_files(sw, [parquet], secret="k")
        ingest_files(sw, [parquet], secret="k")
        assert {t: sw.count(t) for t in ("stays", "stay_diagnoses", "stay_procedures", "ingest_loads")} == \
            {"stays": 3, "stay_diagnoses": 4, "stay_procedures": 1, "ingest_loads": 2}
        with Warehouse(":memory:") as duck:
            ingest_files(duck, [csv], secret="k")  # the CSV ingest's pseudonyms
            expected = sorted(duck.to_arrow("stays").select(["stay_id", "patient_id"]).to_pylist(), key=str)
        assert sorted(sw.to_arrow("stays").select(["stay_id", "patient_id"]).to_pylist(), key=str) == expected
        t = ibis.memtable({"m": ["id|110101199001011234", "密钥|中文"]})
        got = sw.to_arrow(t.select(h=hmac_expr("k", t.m)))["h"].to_pylist()
        assert got == [hmac_hex("k", "id|110101199001011234"), hmac_hex("k", "密钥|中文")]
    finally:
        sw.close()


def test_cli_ingests_parquet_on_spark(spark, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import hospeval.ingest.cli as ingest_cli
    from hospeval.cli import app
    from hospeval.spark import SparkWarehouse
    from tests.ingest.helpers import N041_HEADER, N041_ROWS, write

    csv = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    parquet = tmp_path / "a.parquet"
    duckdb.connect().execute(f"COPY (FROM read_csv('{csv}', all_varchar=true)) TO '{parquet}'")
    monkeypatch.setenv("HOSPEVAL_ENGINE", "duckdb")  # restored after the test; --engine sets it
    monkeypatch.setenv("HOSPEVAL_SECRET", "k")
    opened = []

    def open_on_the_test_session(s):  # the CLI's own session would stop the shared one on close
        opened.append((s.engine, s.spark_warehouse))
        return SparkWarehouse(s.spark_warehouse, session=spark)

    monkeypatch.setattr(ingest_cli, "open_warehouse", open_on_the_test_session)
    root = tmp_path / "spark"
    result = CliRunner().invoke(app, ["--engine", "spark", "--spark-warehouse", str(root), "ingest", str(parquet)])
    assert result.exit_code == 0, result.output
    assert "reconciled" in result.output and opened == [("spark", str(root))]
    sw = SparkWarehouse(root, session=spark)
    try:
        assert sw.count("stays") == 3 and sw.count("ingest_loads") == 1
    finally:
        sw.close()
