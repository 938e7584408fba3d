"""Benchmark: every indicator set by hospital, department, doctor and month over N synthetic stays.

Generates the stays, diagnoses, procedures, DRG groups, reference and hospital facts inside DuckDB, then runs
``evaluate_indicators`` and prints seconds, rows/s and peak RSS.

    PYTHONPATH=src python benchmarks/bench_indicators.py --stays 1000000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from hospeval.indicators.engine import evaluate_indicators
from hospeval.warehouse import Warehouse


def generate(wh: Warehouse, n: int, hospitals: int = 200, drgs: int = 600) -> None:
    con = wh.con
    wh.ensure_schema()
    con.execute(f"""
        INSERT INTO stays (stay_id, hospital_id, patient_id, sex, age_years, admit_time, discharge_time,
                           discharge_dept, attending_doctor, los_days, discharge_disposition, cost_total,
                           cost_western_drugs, day_surgery, admission_route)
        SELECT 'S' || i, 'H' || (i % {hospitals}), 'P' || (hash(i) % 5000000), CAST(1 + i % 2 AS VARCHAR),
               CAST(hash(i * 3) % 90 AS SMALLINT),
               TIMESTAMP '2023-01-01' + INTERVAL (hash(i * 5) % 720) DAY,
               TIMESTAMP '2023-01-01' + INTERVAL (hash(i * 5) % 720 + 1 + hash(i * 7) % 12) DAY,
               'D' || (hash(i * 11) % 30), 'A' || (hash(i * 11) % 30) || '-' || (hash(i * 13) % 5),
               CAST(1 + hash(i * 7) % 12 AS INTEGER),
               CASE WHEN hash(i * 17) % 100 = 0 THEN '5' WHEN hash(i * 17) % 100 = 1 THEN '3' ELSE '1' END,
               CAST(2000 + hash(i * 19) % 30000 AS DECIMAL(14, 2)), CAST(hash(i * 23) % 3000 AS DECIMAL(14, 2)),
               hash(i * 29) % 20 = 0, CASE WHEN hash(i * 31) % 10 = 0 THEN '3' ELSE '2' END
        FROM range({n}) t(i)""")
    con.execute("""
        INSERT INTO stay_diagnoses (stay_id, seq, code, admission_condition)
        SELECT stay_id, s.seq, CASE WHEN s.seq = 2 AND hash(stay_id) % 50 = 0 THEN 'T81.401' ELSE 'I10.x00' END,
               CASE WHEN s.seq = 0 THEN '1' ELSE '4' END
        FROM stays, (SELECT unnest([0, 1, 2]) AS seq) s""")
    con.execute("""
        INSERT INTO stay_procedures (stay_id, seq, code, procedure_kind, surgery_level, urgency, incision_class,
                                     healing_grade)
        SELECT stay_id, 0, CASE WHEN hash(stay_id) % 5 = 0 THEN '51.2300' ELSE '36.1001' END, '1',
               CAST(1 + hash(stay_id || 'l') % 4 AS TINYINT), CASE WHEN hash(stay_id) % 3 = 0 THEN '2' ELSE '1' END,
               '1', CASE WHEN hash(stay_id) % 100 = 0 THEN 'C' ELSE 'A' END
        FROM stays WHERE hash(stay_id || 'p') % 10 < 6""")
    con.execute("CREATE OR REPLACE TABLE stay_groups AS SELECT stay_id, 'chs-drg-1.1' AS scheme, "
                "CASE WHEN hash(stay_id) % 50 = 0 THEN 'ungroupable' ELSE 'grouped' END AS status, NULL AS reason, "
                "'F' AS mdc, 'FA' AS adrg, 'G' || (hash(stay_id || 'g') % " + str(drgs) + ") AS drg, "
                "NULL AS drg_name, 'none' AS cc_level, '' AS explanation FROM stays")
    con.execute(f"CREATE OR REPLACE TABLE drg_reference AS SELECT 'chs-drg-1.1' AS scheme, '2024' AS version, "
                f"'G' || i AS drg, 1000 AS n_stays, 0 AS n_trimmed, 0.5 + (i % 40) / 10.0 AS relative_weight, "
                f"5000.0 + i * 30 AS mean_cost, 3.0 + i % 10 AS mean_los, (i % 7) / 100.0 AS mortality, "
                f"CAST(i % 5 AS INTEGER) AS risk_grade FROM range({drgs}) t(i)")
    con.execute(f"INSERT INTO hospitals (hospital_id, name, level, category, district, consortium_id, "
                f"consortium_role, beds) SELECT 'H' || i, 'Hospital ' || i, CAST(1 + i % 3 AS VARCHAR), 'general', "
                f"'X' || (i % 16), 'K' || (i % 40), CASE WHEN i < 40 THEN 'lead' ELSE 'member' END, 300 "
                f"FROM range({hospitals}) t(i)")
    con.execute("""
        INSERT INTO hospital_facts SELECT hospital_id, y.period, m.metric, 1000 + hash(hospital_id || m.metric) % 9000
        FROM hospitals, (SELECT unnest(['2023', '2024']) AS period) y,
             (SELECT unnest(['revenue_total', 'revenue_medical', 'revenue_medical_service', 'expense_business',
                             'expense_personnel', 'expense_energy', 'staff_doctors', 'staff_nurses',
                             'outpatient_visits', 'antibiotic_ddds', 'satisfaction_inpatient']) AS metric) m""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stays", type=int, default=1_000_000)
    parser.add_argument("--levels", default="hospital,dept,doctor")
    parser.add_argument("--grains", default="year,month")
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "bench.duckdb") as wh:
        wh.con.execute(f"SET memory_limit = '{args.memory_limit}'; SET threads = 2")
        t0 = time.perf_counter()
        generate(wh, args.stays)
        gen = time.perf_counter() - t0
        print(f"generated {args.stays:,} stays (+{wh.count('stay_diagnoses'):,} diagnoses, "
              f"{wh.count('stay_procedures'):,} procedures) in {gen:.1f} s")
        t0 = time.perf_counter()
        run = evaluate_indicators(wh, None, levels=args.levels.split(","), grains=args.grains.split(","))
        secs = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"all sets ({', '.join(run.sets)}) by {args.levels} x {args.grains}: {secs:.1f} s, "
              f"{args.stays / secs:,.0f} stays/s, {run.rows:,} values {run.rows_by_level}, peak RSS {rss:,.0f} MB")
        for phase, t in run.timings.items():
            print(f"  {phase:<28} {t:7.1f} s")
        print(f"extrapolated to 10M stays (linear): {secs * 10_000_000 / args.stays:.0f} s")


if __name__ == "__main__":
    main()
