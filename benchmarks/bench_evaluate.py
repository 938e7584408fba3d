"""Benchmark: evaluation (all five methods, grades, ranks, year-on-year) of N hospitals on the tertiary set.

Synthetic ``indicator_values`` (two years, every tertiary indicator) and ``hospitals`` are generated in DuckDB.

    PYTHONPATH=src python benchmarks/bench_evaluate.py --hospitals 500
"""

from __future__ import annotations

import argparse
import resource
import time

from hospeval.evaluate.engine import evaluate_hospitals
from hospeval.evaluate.spec import METHODS
from hospeval.indicators.spec import load_set
from hospeval.warehouse import Warehouse


def generate(wh: Warehouse, hospitals: int, set_id: str) -> None:
    wh.ensure_schema()
    ids = [i.id for i in load_set(set_id).indicators if i.computable]
    wh.con.execute(f"INSERT INTO hospitals (hospital_id, name, level, category, district, beds) "
                   f"SELECT 'H' || i, 'Hospital ' || i, '3', ['general', 'tcm', 'specialty'][1 + i % 3], "
                   f"'X' || (i % 16), 300 FROM range({hospitals}) t(i)")
    wh.con.execute("CREATE TABLE indicator_values (run_id VARCHAR, indicator_set VARCHAR, indicator_id VARCHAR, "
                   "level VARCHAR, unit_id VARCHAR, hospital_id VARCHAR, period VARCHAR, numerator DOUBLE, "
                   "denominator DOUBLE, value DOUBLE)")
    wh.con.execute(f"""
        INSERT INTO indicator_values
        SELECT 'bench', '{set_id}', ind, 'hospital', hospital_id, hospital_id, y, n, d, n / d * 100
        FROM (SELECT hospital_id, ind, y, 1 + hash(hospital_id || ind || y) % 50 AS n,
                     100 + hash(ind || hospital_id) % 400 AS d
              FROM hospitals, (SELECT unnest({ids!r}) AS ind), (SELECT unnest(['2023', '2024']) AS y))""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hospitals", type=int, default=500)
    parser.add_argument("--set", default="tertiary")
    args = parser.parse_args()
    with Warehouse(":memory:") as wh:
        wh.con.execute("SET threads = 2")
        generate(wh, args.hospitals, args.set)
        t0 = time.perf_counter()
        run = evaluate_hospitals(wh, args.set, "2024", METHODS)
        secs = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n_scores = wh.count("evaluation_scores")
        print(f"evaluated {run.hospitals} hospitals x {len(load_set(args.set).indicators)} indicators, "
              f"{len(METHODS)} methods + previous year: {secs:.1f} s ({n_scores} scores, "
              f"{wh.count('evaluation_points')} indicator points), peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
