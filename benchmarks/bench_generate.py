"""Benchmark the demo province generator: stays per second and peak memory.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_generate.py            # 1 million stays into a temp DuckDB file
    PYTHONPATH=src python benchmarks/bench_generate.py 20000000   # the 20 M scale
    PYTHONPATH=src python benchmarks/bench_generate.py 1000000 --memory   # in-memory warehouse
    PYTHONPATH=src python benchmarks/bench_generate.py 1000000 --transaction   # all-or-nothing
"""

from __future__ import annotations

import contextlib
import resource
import sys
import tempfile
import time
from pathlib import Path

from hospeval.demo.generator import generate_province
from hospeval.warehouse import Warehouse


def main() -> None:
    stays = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
    in_memory = "--memory" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        path = ":memory:" if in_memory else str(Path(tmp) / "bench.duckdb")
        with Warehouse(path) as wh:
            wh.con.execute("SET memory_limit = '3GB'")
            start = time.perf_counter()
            last = [start]

            def progress(done: int, total: int) -> None:
                now = time.perf_counter()
                if now - last[0] > 10 or done == total:
                    print(f"  {done:>12,} / {total:,} stays  {now - start:7.1f} s", flush=True)
                    last[0] = now

            atomic = wh.transaction() if "--transaction" in sys.argv else contextlib.nullcontext()
            with atomic:
                truth = generate_province(wh, stays=stays, seed=42, progress=progress)
            seconds = time.perf_counter() - start
            counts = {t: wh.count(t) for t in ("stays", "stay_diagnoses", "stay_procedures", "hospital_facts")}
        size = Path(path).stat().st_size / 1e6 if not in_memory else 0.0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = ("in-memory" if in_memory else "file") + (", one transaction" if "--transaction" in sys.argv else "")
    print(f"warehouse:        {mode}")
    print(f"stays:            {stays:,} in {len(truth.hospitals)} hospitals")
    print(f"rows:             {counts}")
    print(f"seconds:          {seconds:.1f}")
    print(f"stays per second: {stays / seconds:,.0f}")
    print(f"peak RSS:         {peak_mb:,.0f} MB")
    if size:
        print(f"warehouse file:   {size:,.0f} MB")


if __name__ == "__main__":
    main()
