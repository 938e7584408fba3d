"""Benchmark: the engine-neutral Parquet ingest (``ingest_parquet``) of an N041 front-page file on DuckDB.

The same synthetic stays as ``bench_ingest.py`` (16 diagnosis and 8 procedure slots, every cost
category), written with N041 field-code headers as a Parquet file of text columns. Prints rows, seconds,
rows/s and the ingest process's peak RSS.

    python benchmarks/bench_ingest_parquet.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ingest import SYNTH, peak_rss_mb

from hospeval.ingest.export import export_front_page
from hospeval.warehouse import Warehouse


def make_file(rows: int, path: Path) -> None:
    from hospeval.model import cost_columns

    costs = ", ".join(f"CAST((2000 + (i * 37) % 30000) / 30.0 AS DECIMAL(14,2)) AS {c}" for c in cost_columns())
    csv = path.with_suffix(".csv")
    with Warehouse(":memory:") as wh:
        wh.con.execute(SYNTH.format(rows=rows, costs=costs))
        export_front_page(wh, csv, profile="n041")
        wh.con.execute(f"COPY (FROM read_csv('{csv}', all_varchar=true)) TO '{path}'")
    csv.unlink()


def run_ingest(path: Path) -> dict:
    from hospeval.ingest.parquet import ingest_parquet

    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "wh.duckdb") as wh:
        start = time.perf_counter()
        report = ingest_parquet(wh, [path], secret="bench-secret")
        seconds = time.perf_counter() - start
    f = report.files[0]
    return {"rows": f.rows_read, "loaded": f.rows_loaded, "seconds": seconds, "peak_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_ingest(args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n041.parquet"
        t0 = time.perf_counter()
        make_file(args.rows, path)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s")
        # Ingest in a fresh process so that its peak RSS is its own.
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"Parquet ingest on DuckDB: {r['rows']:,} rows, {r['loaded']:,} loaded, {r['seconds']:.1f} s, "
          f"{r['rows'] / r['seconds']:,.0f} rows/s, peak RSS {r['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
