"""Benchmark: ingest an N041 front-page CSV with Chinese headers in GB18030.

Prints file size, rows, seconds, rows/s and the ingest process's peak RSS. The issue's target:
1 million stays in under 60 s with peak memory under 4 GB on the 2-core machine.

    python benchmarks/bench_ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hospeval.ingest.export import export_front_page
from hospeval.warehouse import Warehouse

# Synthetic but shaped like a real export: 16 diagnosis and 8 procedure slots, all cost categories.
SYNTH = """
CREATE TABLE stays AS SELECT
  'H' || lpad(CAST(i % 200 AS VARCHAR), 3, '0') || '-' || lpad(CAST(i AS VARCHAR), 10, '0') AS stay_id,
  'H' || lpad(CAST(i % 200 AS VARCHAR), 3, '0') AS hospital_id,
  md5(CAST(i AS VARCHAR)) AS patient_id, CAST(1 + i % 3 AS SMALLINT) AS admission_count,
  CAST(1 + i % 8 AS VARCHAR) AS payer, CAST(1 + i % 2 AS VARCHAR) AS sex,
  DATE '1950-01-01' + CAST(i % 25000 AS INTEGER) AS birth_date, CAST(i % 90 AS SMALLINT) AS age_years,
  CAST(NULL AS SMALLINT) AS age_days, CAST(NULL AS INTEGER) AS birth_weight_g, CAST(NULL AS INTEGER) AS admission_weight_g,
  CAST(1 + i % 2 AS VARCHAR) AS admission_route,
  TIMESTAMP '2024-01-01 08:00:00' + to_minutes(CAST(i % 500000 AS BIGINT)) AS admit_time, '0301' AS admit_dept,
  TIMESTAMP '2024-01-01 08:00:00' + to_minutes(CAST(i % 500000 AS BIGINT)) + to_days(CAST(1 + i % 20 AS INTEGER)) AS discharge_time,
  '0' || CAST(301 + i % 30 AS VARCHAR) AS discharge_dept, CAST(1 + i % 20 AS INTEGER) AS los_days,
  'D' || CAST(i % 50 AS VARCHAR) AS attending_doctor, 'D' || CAST(i % 7 AS VARCHAR) AS director_doctor,
  NULL AS external_cause_code, NULL AS pathology_code, CAST(CASE WHEN i % 97 = 0 THEN 5 ELSE 1 END AS VARCHAR) AS discharge_disposition,
  NULL AS receiving_institution, NULL AS autopsy, '1' AS readmission_plan_31d, i % 10 = 0 AS day_surgery,
  CAST(NULL AS DOUBLE) AS icu_hours, CAST(NULL AS DOUBLE) AS ventilator_hours,
  CAST(2000 + (i * 37) % 30000 AS DECIMAL(14,2)) AS cost_total, CAST(100 AS DECIMAL(14,2)) AS cost_self_pay,
  {costs},
  'bench' AS source_file, i AS source_row, 'bench' AS load_id
FROM range({rows}) t(i);
CREATE TABLE stay_diagnoses AS SELECT s.stay_id, CAST(k AS SMALLINT) AS seq,
  ['I21.000','E11.900','I10.x00','J18.900','K35.800','N18.500','C34.900','I63.900'][1 + (s.source_row + k) % 8] AS code,
  NULL AS name, '1' AS admission_condition FROM stays s, range(0, CAST(1 + s.source_row % 6 AS BIGINT)) r(k);
CREATE TABLE stay_procedures AS SELECT s.stay_id, CAST(0 AS SMALLINT) AS seq, '36.0601' AS code, NULL AS name,
  CAST(s.admit_time AS DATE) + 1 AS procedure_date, CAST(3 AS TINYINT) AS surgery_level, NULL AS operator,
  '1' AS incision_class, 'A' AS healing_grade, '1' AS anaesthesia_method, NULL AS anaesthetist, '1' AS procedure_kind,
  '1' AS urgency, false AS minimally_invasive FROM stays s WHERE s.source_row % 3 = 0;
"""


def make_file(rows: int, path: Path) -> None:
    from hospeval.model import cost_columns

    costs = ", ".join(f"CAST((2000 + (i * 37) % 30000) / 30.0 AS DECIMAL(14,2)) AS {c}" for c in cost_columns())
    with Warehouse(":memory:") as wh:
        wh.con.execute(SYNTH.format(rows=rows, costs=costs))
        export_front_page(wh, path, profile="n041_zh", encoding="gb18030")


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and so
    would report the parent's (the file generator's) peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ingest(path: Path) -> dict:
    from hospeval.ingest import ingest_files

    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "wh.duckdb") as wh:
        start = time.perf_counter()
        report = ingest_files(wh, [path], secret="bench-secret")
        seconds = time.perf_counter() - start
    f = report.files[0]
    peak_mb = peak_rss_mb()
    return {"rows": f.rows_read, "loaded": f.rows_loaded, "seconds": seconds, "peak_mb": peak_mb,
            "encoding": f.encoding, "profile": f.profile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_ingest(args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n041_zh_gb18030.csv"
        t0 = time.perf_counter()
        make_file(args.rows, path)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s")
        # Ingest in a fresh process so that its peak RSS is its own.
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"ingest: {r['rows']:,} rows ({r['profile']}, {r['encoding']}), {r['loaded']:,} loaded, "
          f"{r['seconds']:.1f} s, {r['rows'] / r['seconds']:,.0f} rows/s, peak RSS {r['peak_mb']:,.0f} MB")
    print(f"target: < 60 s and < 4096 MB for 1,000,000 rows -> "
          f"{'MET' if r['seconds'] < 60 * args.rows / 1e6 and r['peak_mb'] < 4096 else 'NOT MET'}")


if __name__ == "__main__":
    main()
