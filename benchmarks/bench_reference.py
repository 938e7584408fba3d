"""Benchmark: build drg_reference and a DIP catalogue, and DIP-group N million synthetic stays.

Synthetic stays / stay_groups / stay_diagnoses / stay_procedures are generated directly in DuckDB
(600 DRGs, ~6,000 diagnosis subcategories, 0-3 procedures per stay). Prints seconds, stays per second and
peak RSS.

Usage:
    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_reference.py --millions 1
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from hospeval.group.dip import build_dip, group_dip
from hospeval.reference.drg_reference import build_drg_reference
from hospeval.reference.spec import Population, load_reference_policy
from hospeval.reference.testing import ensure_stay_groups
from hospeval.warehouse import Warehouse

GENERATE = """
INSERT INTO stays BY NAME
SELECT 's' || i AS stay_id, 'H' || (i % 50) AS hospital_id, 'P' || i AS patient_id, '1' AS sex,
       TIMESTAMP '2024-01-01' + to_days(CAST(i % 360 AS INTEGER)) AS admit_time,
       TIMESTAMP '2024-01-01' + to_days(CAST(i % 360 + 1 + d % 20 AS INTEGER)) AS discharge_time,
       '03' AS discharge_dept, 1 + d % 20 AS los_days,
       CASE WHEN random() < (d % 600) / 20000.0 THEN '5' ELSE '1' END AS discharge_disposition,
       round((500 + (d % 600) * 40) * (0.5 + random()) * CASE WHEN random() < 0.01 THEN 20 ELSE 1 END, 2)
           AS cost_total
FROM (SELECT range AS i, hash(range) % 1000003 AS d FROM range({n}));

INSERT INTO stay_groups
SELECT 's' || i, 'chs-drg-1.1', 'grouped', NULL, 'M', 'A', 'D' || lpad(CAST(d % 600 AS VARCHAR), 3, '0'),
       NULL, 'none', NULL
FROM (SELECT range AS i, hash(range) % 1000003 AS d FROM range({n}));

INSERT INTO stay_diagnoses (stay_id, seq, code)
SELECT 's' || i, 0,
       chr(CAST(65 + d % 20 AS INTEGER)) || lpad(CAST((d * 7) % 100 AS VARCHAR), 2, '0') || '.'
           || CAST(i % 10 AS VARCHAR) || '00'
FROM (SELECT range AS i, hash(range) % 1000003 AS d FROM range({n}));

INSERT INTO stay_procedures (stay_id, seq, code, procedure_kind)
SELECT 's' || i, k, lpad(CAST((d + k * 13) % 99 AS VARCHAR), 2, '0') || '.' || CAST(i % 4 AS VARCHAR) || '1',
       CAST(1 + (d + k) % 3 AS VARCHAR)
FROM (SELECT range AS i, hash(range) % 1000003 AS d FROM range({n})),
     (SELECT range AS k FROM range(3))
WHERE k < (i % 4);
"""


def timed(label: str, fn, n: int):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<42} {seconds:8.2f} s   {n / seconds:12,.0f} stays/s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--millions", type=float, default=1.0, help="stays, in millions")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--warehouse", help="keep the generated warehouse here and reuse it next time")
    args = parser.parse_args()
    n = int(args.millions * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp, Warehouse(args.warehouse or Path(tmp) / "bench.duckdb") as wh:
        wh.con.execute(f"SET memory_limit = '{args.memory_limit}'")
        wh.ensure_schema()
        ensure_stay_groups(wh)
        if wh.count("stays") != n:
            for table in ("stays", "stay_groups", "stay_diagnoses", "stay_procedures"):
                wh.con.execute(f"DELETE FROM {table}")
            timed("generate synthetic tables", lambda: wh.con.execute(GENERATE.format(n=n)), n)
        print(f"stays {wh.count('stays'):,}  procedures {wh.count('stay_procedures'):,}")
        exact = load_reference_policy()
        built = timed("drg_reference (IQR trim, exact percentiles)",
                      lambda: build_drg_reference(wh, Population("chs-drg-1.1"), "2024", exact), n)
        print(f"  {built.n_drgs} DRGs, {built.n_trimmed:,} trimmed, grades {built.grade_counts}")
        approx = exact.__class__(**{**exact.__dict__, "percentiles": "approximate"})
        timed("drg_reference (IQR trim, approximate)",
              lambda: build_drg_reference(wh, Population("chs-drg-1.1"), "2024a", approx), n)
        catalogue, _ = timed("DIP catalogue derivation (dip build)",
                             lambda: build_dip(wh, "bench", "2024", folder=Path(tmp) / "dip"), n)
        f = catalogue.figures
        print(f"  {f['n_core_groups']:,} core + {f['n_comprehensive_groups']:,} comprehensive groups, "
              f"core share {f['core_share']:.1%}")
        result = timed("DIP grouping (dip group)", lambda: group_dip(wh, catalogue), n)
        print(f"  {result.by_status}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:,.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
