"""The end-to-end demo: generated files go through the real ingest path and every stage runs."""

from __future__ import annotations

from rich.console import Console

from hospeval.demo.run import run_demo
from hospeval.pipeline import available_stages
from hospeval.warehouse import Warehouse


def test_demo_runs_every_stage_on_ingested_files(tmp_path):
    out = tmp_path / "demo"
    result = run_demo(out, stays=1500, seed=11, console=Console(quiet=True), secret="demo-test")
    assert result.failures == {}
    assert [s.stage for s in result.summaries] == available_stages()
    front_pages = sorted((out / "input").glob("front_page_*.csv"))
    assert front_pages, "one front-page file per hospital"
    header = front_pages[0].read_bytes().split(b"\n")[0].decode("gb18030")
    assert header.startswith("病案号") and "主要诊断编码" in header
    with Warehouse(result.warehouse, read_only=True) as wh:
        assert wh.count("stays") == 1500
        loads = wh.con.execute("SELECT sum(rows_read), sum(rows_loaded + rows_quarantined) FROM ingest_loads")
        read, accounted = loads.fetchone()
        assert read == accounted
        # the synthetic record numbers and names written into the files never reach the warehouse
        first_row = front_pages[0].read_bytes().split(b"\n")[1].decode("gb18030").split(",")
        mrn, name = first_row[0], first_row[1]
        assert mrn.startswith("BA") and name.startswith("患者")
        for table in ("stays", "ingest_quarantine"):
            cols = [r[0] for r in wh.con.execute(f"DESCRIBE {table}").fetchall()]
            text = wh.con.execute(f"SELECT string_agg(concat_ws('|', {', '.join(cols)}), '|') FROM {table}").fetchone()[0]
            assert mrn not in (text or "") and name not in (text or "")
