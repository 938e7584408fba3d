"""Benchmark: the engine-neutral Parquet ingest (``ingest_parquet``) of an N041 front-page file on DuckDB.

The same synthetic stays as ``bench_ingest.py`` (16 diagnosis and 8 procedure slots, every cost
category), written with N041 field-code headers as a Parquet file of text columns. Prints rows, seconds,
rows/s and the ingest process's peak RSS.

    python benchmarks/bench_ingest_parquet.py --rows 1000000
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import ingest_main, synthetic_stays, timed_ingest

from hospeval.ingest.export import export_front_page


def make_file(rows: int, path: Path) -> None:
    csv = path.with_suffix(".csv")
    with synthetic_stays(rows) as wh:
        export_front_page(wh, csv, profile="n041")
        wh.con.execute(f"COPY (FROM read_csv('{csv}', all_varchar=true)) TO '{path}'")
    csv.unlink()


def run_ingest(path: Path) -> dict:
    from hospeval.ingest.parquet import ingest_parquet

    return timed_ingest(ingest_parquet, path)


def show(args: argparse.Namespace, r: dict) -> None:
    print(f"Parquet ingest on DuckDB: {r['rows']:,} rows, {r['loaded']:,} loaded, {r['seconds']:.1f} s, "
          f"{r['rows'] / r['seconds']:,.0f} rows/s, peak RSS {r['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    ingest_main(__doc__, __file__, "n041.parquet", make_file, run_ingest, show)
