"""Pieces shared by the benchmark scripts: peak memory from /proc, the ingest benchmarks' synthetic file and
``main``, and the OpenDRG record-at-a-time runner.

A script imports it as ``_common`` (Python puts a script's own folder on the path). Only the standard library
is imported at the top, so that a script that does not need hospeval here does not need it on the path.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


# -- memory ------------------------------------------------------------------------------------------------
def hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (VmHWM) of a live process in MB; None when /proc cannot tell.

    VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child started from a large parent would
    report the parent's peak; and it can be read for another process (a server, the Spark JVM).
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM; ru_maxrss where there is no /proc)."""
    mb = hwm_mb()
    return mb if mb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the ingest benchmarks -----------------------------------------------------------------------------------
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


@contextmanager
def synthetic_stays(rows: int) -> Iterator:
    """An in-memory warehouse holding ``rows`` synthetic stays (SYNTH), to export as a front-page file."""
    from hospeval.model import cost_columns
    from hospeval.warehouse import Warehouse

    costs = ", ".join(f"CAST((2000 + (i * 37) % 30000) / 30.0 AS DECIMAL(14,2)) AS {c}" for c in cost_columns())
    with Warehouse(":memory:") as wh:
        wh.con.execute(SYNTH.format(rows=rows, costs=costs))
        yield wh


def timed_ingest(ingest: Callable, path: Path, *fields: str) -> dict:
    """Ingest ``path`` with ``ingest(wh, [path], secret=...)`` into a fresh DuckDB warehouse; the figures of
    the child process: rows read and loaded, seconds, peak RSS, and the file report's ``fields``."""
    from hospeval.warehouse import Warehouse

    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "wh.duckdb") as wh:
        start = time.perf_counter()
        report = ingest(wh, [path], secret="bench-secret")
        seconds = time.perf_counter() - start
    f = report.files[0]
    return {"rows": f.rows_read, "loaded": f.rows_loaded, "seconds": seconds, "peak_mb": peak_rss_mb(),
            **{name: getattr(f, name) for name in fields}}


def ingest_main(doc: str, script: str, file_name: str, make_file: Callable[[int, Path], None],
                run_ingest: Callable[[Path], dict], show: Callable[[argparse.Namespace, dict], None]) -> None:
    """``main`` of an ingest benchmark: write a file of ``--rows`` stays with ``make_file``, ingest it with
    ``run_ingest`` in a child process running ``script --child FILE``, and print the figures with ``show``."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_ingest(args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / file_name
        t0 = time.perf_counter()
        make_file(args.rows, path)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s")
        # Ingest in a fresh process so that its peak RSS is its own.
        out = subprocess.run([sys.executable, script, "--child", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    show(args, r)


# -- OpenDRG -------------------------------------------------------------------------------------------------
# Run with the snapshot of github.com/OpenDRG/DRG_Python as the working folder: argv[1] a CSV in the
# golden-sample layout, argv[2] (optional) how many records, the file's repeated with new ids if more.
# Prints records per second of the grouping loop alone.
OPENDRG_SCRIPT = r"""
import csv, sys, time
from drg_group.chs_drg_11.GroupProxy import GroupProxy
from drg_group.chs_drg_11.Base import MedicalRecord
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
n = int(sys.argv[2]) if len(sys.argv) > 2 else len(rows)
as_int = lambda v: int(float(v)) if v.strip() else None
records = [MedicalRecord(Index=f"{r['record_id']}_{i}", gender=as_int(r["sex"]), age=as_int(r["age_years"]),
           ageDay=as_int(r["age_days"]), weight=as_int(r["birth_weight_g"]), dept=r["dept_code"],
           inHospitalTime=as_int(r["los_days"]), leavingType=r["discharge_status"], zdList=r["diagnoses"],
           ssList=r["procedures"]) for i in range(n // len(rows) + 1) for r in rows][:n]
proxy = GroupProxy()
t = time.perf_counter()
for rec in records:
    proxy.group(rec)
print(len(records) / (time.perf_counter() - t))
"""


def opendrg_rate(opendrg: Path, records_csv: Path, n: int | None = None) -> float:
    """Records per second of OpenDRG's chs_drg_11 grouper on ``records_csv`` (``n`` records, default all), in
    a separate process with the snapshot ``opendrg`` as its working folder (none of it is part of hospeval)."""
    argv = [sys.executable, "-c", OPENDRG_SCRIPT, str(records_csv), *([str(n)] if n is not None else [])]
    out = subprocess.run(argv, cwd=opendrg, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])
