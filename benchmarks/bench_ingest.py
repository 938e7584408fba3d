"""Benchmark: ingest an N041 front-page CSV with Chinese headers in GB18030.

Prints file size, rows, seconds, rows/s and the ingest process's peak RSS. The issue's target:
1 million stays in under 60 s with peak memory under 4 GB on the 2-core machine.

    python benchmarks/bench_ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import ingest_main, synthetic_stays, timed_ingest

from hospeval.ingest.export import export_front_page


def make_file(rows: int, path: Path) -> None:
    with synthetic_stays(rows) as wh:
        export_front_page(wh, path, profile="n041_zh", encoding="gb18030")


def run_ingest(path: Path) -> dict:
    from hospeval.ingest import ingest_files

    return timed_ingest(ingest_files, path, "encoding", "profile")


def show(args: argparse.Namespace, r: dict) -> None:
    print(f"ingest: {r['rows']:,} rows ({r['profile']}, {r['encoding']}), {r['loaded']:,} loaded, "
          f"{r['seconds']:.1f} s, {r['rows'] / r['seconds']:,.0f} rows/s, peak RSS {r['peak_mb']:,.0f} MB")
    print(f"target: < 60 s and < 4096 MB for 1,000,000 rows -> "
          f"{'MET' if r['seconds'] < 60 * args.rows / 1e6 and r['peak_mb'] < 4096 else 'NOT MET'}")


if __name__ == "__main__":
    ingest_main(__doc__, __file__, "n041_zh_gb18030.csv", make_file, run_ingest, show)
