"""Benchmark: set-based DRG grouping vs OpenDRG's record-at-a-time grouper on the same records.

Records are the 3,000 golden-sample records repeated (with new ids) to the requested size. OpenDRG is run
from a snapshot outside the repository (never part of hospeval), on the first ``--opendrg-records``
records; hospeval groups a DuckDB warehouse of ``--stays`` stays built from the same records.

Usage::

    PYTHONPATH=src python benchmarks/bench_group.py --opendrg /tmp/opendrg --stays 2000000
    PYTHONPATH=src python benchmarks/bench_group.py --stays 10000000 --skip-opendrg

Prints records/s for both, the ratio, the time for the warehouse run and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import opendrg_rate

from hospeval.group.warehouse_run import group_warehouse
from hospeval.paths import data_root
from hospeval.warehouse import Warehouse

RELATIVE = "shared/reference/chs-drg-1.1/golden-sample.csv"
GOLDEN = next((p / RELATIVE for p in data_root().parents if (p / RELATIVE).exists()), None)

def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_warehouse(wh: Warehouse, stays: int) -> None:
    """Fill the canonical tables with ``stays`` stays made from the golden records (set-based, in DuckDB)."""
    wh.ensure_schema()
    con = wh.con
    con.execute(f"CREATE TEMP TABLE golden AS SELECT * FROM read_csv('{GOLDEN}', all_varchar=true)")
    reps = -(-stays // 3000)
    con.execute(f"""CREATE TEMP TABLE rec AS
        SELECT g.*, g.record_id || '_' || r.i AS stay_id FROM golden g, range({reps}) r(i)
        LIMIT {stays}""")
    con.execute("""INSERT INTO stays (stay_id, hospital_id, patient_id, sex, age_years, age_days, birth_weight_g,
        discharge_dept, los_days, discharge_disposition)
        SELECT stay_id, 'H1', stay_id, sex, TRY_CAST(NULLIF(age_years, '') AS INTEGER),
               TRY_CAST(NULLIF(age_days, '') AS SMALLINT), TRY_CAST(NULLIF(birth_weight_g, '') AS INTEGER),
               dept_code, TRY_CAST(los_days AS INTEGER), discharge_status FROM rec""")
    for col, table in (("diagnoses", "stay_diagnoses"), ("procedures", "stay_procedures")):
        con.execute(f"""INSERT INTO {table} (stay_id, seq, code)
            SELECT stay_id, CAST(i - 1 AS SMALLINT), parts[i] FROM (
                SELECT stay_id, string_split({col}, '|') AS parts FROM rec WHERE coalesce({col}, '') <> ''
            ), LATERAL (SELECT unnest(range(1, len(parts) + 1)) AS i)""")
    con.execute("DROP TABLE rec")


def main() -> None:
    ap = argparse.ArgumentParser(description="DRG grouping benchmark")
    ap.add_argument("--stays", type=int, default=1_000_000)
    ap.add_argument("--opendrg", type=Path, default=Path("/tmp/opendrg"))
    ap.add_argument("--opendrg-records", type=int, default=20_000)
    ap.add_argument("--skip-opendrg", action="store_true")
    ap.add_argument("--memory-limit", default="5GB", help="DuckDB memory_limit (keeps peak RSS under the 8 GB target)")
    args = ap.parse_args()
    if GOLDEN is None:
        sys.exit(f"golden sample not found ({RELATIVE})")
    print(f"machine: {os.cpu_count()} cores")
    theirs = None
    if not args.skip_opendrg:
        theirs = opendrg_rate(args.opendrg, GOLDEN, args.opendrg_records)
        print(f"OpenDRG record-at-a-time: {args.opendrg_records} records, {theirs:,.0f} records/s")
    with tempfile.TemporaryDirectory() as tmp:
        # same records, small: ours on the OpenDRG sample size
        with Warehouse(Path(tmp) / "small.duckdb") as wh:
            build_warehouse(wh, args.opendrg_records)
            t = time.perf_counter()
            group_warehouse(wh, "chs-drg-1.1")
            small = args.opendrg_records / (time.perf_counter() - t)
        print(f"hospeval set-based, same {args.opendrg_records} records: {small:,.0f} records/s")
        with Warehouse(Path(tmp) / "big.duckdb") as wh:
            wh.con.execute(f"SET memory_limit = '{args.memory_limit}'")
            wh.con.execute(f"SET temp_directory = '{tmp}/spill'")
            wh.con.execute("SET preserve_insertion_order = false")
            t = time.perf_counter()
            build_warehouse(wh, args.stays)
            print(f"built warehouse of {args.stays:,} stays in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            summary = group_warehouse(wh, "chs-drg-1.1")
            secs = time.perf_counter() - t
        big = args.stays / secs
        print(f"hospeval set-based, {args.stays:,} stays: {secs:.1f} s, {big:,.0f} records/s "
              f"(grouped {summary.grouped:,}, ungroupable {summary.ungroupable:,}, errors {summary.errors:,})")
    if theirs:
        print(f"ratio (large run / OpenDRG): {big / theirs:,.0f}x; (same small sample / OpenDRG): {small / theirs:,.1f}x")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
