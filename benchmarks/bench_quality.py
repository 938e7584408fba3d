"""Benchmark: every front-page rule over N synthetic stays, plus the scores.

Generates stays (3 diagnoses each, a procedure for 60 %) directly in a DuckDB warehouse file, with a few
planted errors, then times :func:`hospeval.quality.engine.run_rules` and
:func:`hospeval.quality.scoring.write_scores`. Prints seconds, rows per second and peak RSS.

Usage::

    PYTHONPATH=src python benchmarks/bench_quality.py 1000000 [--dir /tmp/bench] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from hospeval.quality.engine import run_rules
from hospeval.quality.scoring import write_scores
from hospeval.quality.spec import load_catalogue, load_scoring
from hospeval.warehouse import Warehouse

# Clean codes (in the benchmark dictionaries, valid for any sex and age) and a few planted bad ones.
DX_CODES = ["K35.800", "E11.900", "I10.X00", "J18.900", "I21.000", "I63.900", "K80.100", "N18.500",
            "J44.100", "I50.900", "M17.900", "C34.900"]
BAD_DX = ["K35", "Z37.000", "B96.200", "R10.400", "X99.999", "N40.X00", "O80.000", "Z38.000"]
PROC_CODES = ["47.0100", "81.5100", "36.0600", "99.0400", "45.2300", "51.2300"]
BAD_PROC = ["4701", "68.4100", "60.2100", "74.1000"]

STAYS_SQL = """
INSERT INTO stays BY NAME
SELECT
  'S' || i AS stay_id,
  'H' || lpad((i % 60)::VARCHAR, 3, '0') AS hospital_id,
  'P' || CASE WHEN i % 500 = 1 THEN i - 1 ELSE i END AS patient_id,
  (1 + i % 4)::SMALLINT AS admission_count,
  CASE WHEN i % 97 = 0 THEN NULL ELSE (1 + i % 8)::VARCHAR END AS payer,
  CASE WHEN i % 2 = 0 THEN '1' ELSE '2' END AS sex,
  birth AS birth_date,
  CASE WHEN i % 113 = 0 THEN 151 ELSE floor(date_diff('day', birth, admit::DATE) / 365.25) END::SMALLINT AS age_years,
  CASE WHEN i % 101 = 0 THEN '5' ELSE list_extract(['1', '2', '3', '9'], 1 + (i % 4)::INTEGER) END AS admission_route,
  admit AS admit_time,
  lpad((i % 30)::VARCHAR, 2, '0') AS admit_dept,
  admit + to_days(los) + INTERVAL 2 HOUR AS discharge_time,
  lpad((i % 30)::VARCHAR, 2, '0') AS discharge_dept,
  CASE WHEN i % 53 = 0 THEN los + 1 ELSE los END AS los_days,
  'D' || (i % 900) AS attending_doctor,
  CASE WHEN i % 41 = 0 THEN NULL ELSE 'C' || (i % 300) END AS director_doctor,
  CASE WHEN i % 50 = 0 THEN '5' WHEN i % 31 = 0 THEN '2' ELSE '1' END AS discharge_disposition,
  CASE WHEN i % 31 = 0 AND i % 3 > 0 THEN 'Hospital ' || (i % 20) END AS receiving_institution,
  CASE WHEN i % 50 = 0 AND i % 4 > 0 THEN '2' END AS autopsy,
  '1' AS readmission_plan_31d,
  i % 240 = 0 AS day_surgery,
  0.0 AS icu_hours, 0.0 AS ventilator_hours,
  (nursing + drugs + surgical + lab + CASE WHEN i % 67 = 0 THEN 5 ELSE 0 END)::DECIMAL(14,2) AS cost_total,
  (drugs / 4)::DECIMAL(14,2) AS cost_self_pay,
  nursing::DECIMAL(14,2) AS cost_nursing,
  drugs::DECIMAL(14,2) AS cost_western_drugs,
  (CASE WHEN i % 89 = 0 THEN drugs * 2 ELSE drugs / 3 END)::DECIMAL(14,2) AS cost_antibiotics,
  surgical::DECIMAL(14,2) AS cost_surgical_treatment,
  (surgical / 4)::DECIMAL(14,2) AS cost_anaesthesia,
  (surgical / 2)::DECIMAL(14,2) AS cost_surgery,
  lab::DECIMAL(14,2) AS cost_lab
FROM (
  SELECT i,
         DATE '1940-01-01' + (i * 31 % 29000)::INTEGER AS birth,
         TIMESTAMP '2024-01-01 08:00:00' + to_days((i % 360)::INTEGER) AS admit,
         (1 + i % 12)::INTEGER AS los,
         (100 + i % 900) AS nursing, (500 + i % 5000) AS drugs,
         CASE WHEN i % 5 < 3 THEN 2000 + i % 8000 ELSE 0 END AS surgical, (300 + i % 700) AS lab
  FROM range({n}) t(i)
)
"""

DX_SQL = """
INSERT INTO stay_diagnoses BY NAME
SELECT 'S' || i AS stay_id, k::SMALLINT AS seq,
       CASE WHEN (i * 13 + k) % 97 = 0 THEN list_extract({bad}, 1 + ((i + k) % {nbad})::INTEGER)
            ELSE list_extract({codes}, 1 + ((i * 13 + k * 7) % {ncodes})::INTEGER) END AS code,
       'dx' AS name,
       CASE WHEN (i + k) % 71 = 0 THEN NULL ELSE '1' END AS admission_condition
FROM range({n}) t(i), range(3) s(k)
"""

PROC_SQL = """
INSERT INTO stay_procedures BY NAME
SELECT 'S' || i AS stay_id, 0::SMALLINT AS seq,
       CASE WHEN i % 89 = 0 THEN list_extract({bad}, 1 + (i % {nbad})::INTEGER)
            ELSE list_extract({codes}, 1 + (i % {ncodes})::INTEGER) END AS code,
       'proc' AS name,
       (TIMESTAMP '2024-01-01' + to_days((i % 360 + 1)::INTEGER))::DATE AS procedure_date,
       (CASE WHEN i % 6 = 1 THEN 4 ELSE 1 + i % 3 END)::TINYINT AS surgery_level, 'D' || (i % 900) AS operator,
       (1 + i % 3)::VARCHAR AS incision_class, CASE WHEN i % 59 = 0 THEN NULL ELSE 'A' END AS healing_grade,
       '全身麻醉' AS anaesthesia_method, 'M' || (i % 80) AS anaesthetist,
       '1' AS procedure_kind, '1' AS urgency, false AS minimally_invasive
FROM range({n}) t(i) WHERE i % 5 < 3
"""


def _sql_list(codes: list[str]) -> str:
    return "[" + ", ".join(f"'{c}'" for c in codes) + "]"


def generate(wh: Warehouse, n: int) -> None:
    """Fill the canonical tables with ``n`` synthetic stays."""
    wh.ensure_schema()
    wh.con.execute(STAYS_SQL.format(n=n))
    wh.con.execute(DX_SQL.format(n=n, codes=_sql_list(DX_CODES), ncodes=len(DX_CODES), bad=_sql_list(BAD_DX),
                                 nbad=len(BAD_DX)))
    wh.con.execute(PROC_SQL.format(n=n, codes=_sql_list(PROC_CODES), ncodes=len(PROC_CODES),
                                   bad=_sql_list(BAD_PROC), nbad=len(BAD_PROC)))
    wh.con.execute("CHECKPOINT")


def write_dictionaries(folder: Path) -> dict[str, Path]:
    """Small dictionaries so that the look-up joins are part of the timing."""
    files = {"icd10": DX_CODES + BAD_DX[1:4], "icd9cm3": PROC_CODES + BAD_PROC[1:], "surgery_level4": ["81.5100"]}
    out = {}
    for name, codes in files.items():
        path = folder / f"{name}.csv"
        path.write_text("code,name\n" + "".join(f"{c},x\n" for c in codes), encoding="utf-8")
        out[name] = path
    return out


def peak_rss_gb() -> float:
    """Peak resident memory of this process in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stays", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="Folder for the warehouse file.")
    parser.add_argument("--keep", action="store_true", help="Keep the warehouse file.")
    parser.add_argument("--reuse", action="store_true", help="Reuse a kept warehouse of the same size.")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit.")
    args = parser.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="hospeval-bench-quality-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.duckdb"
    reuse = args.reuse and path.exists()
    if not reuse:
        path.unlink(missing_ok=True)
    wh = Warehouse(path)
    wh.con.execute(f"SET memory_limit = '{args.memory_limit}'")
    wh.con.execute(f"SET temp_directory = '{folder / 'tmp'}'")
    t0 = time.perf_counter()
    if not reuse:
        generate(wh, args.stays)
    t_gen = time.perf_counter() - t0
    catalogue, scoring = load_catalogue(), load_scoring()
    dictionaries = write_dictionaries(folder)
    t1 = time.perf_counter()
    run = run_rules(wh, catalogue=catalogue, dictionaries=dictionaries, scoring_text=scoring.text)
    t_rules = time.perf_counter() - t1
    t2 = time.perf_counter()
    write_scores(wh, catalogue, scoring, scheme="chs-drg-1.1")
    t_scores = time.perf_counter() - t2
    n_dx, n_proc = wh.count("stay_diagnoses"), wh.count("stay_procedures")
    print(f"stays {args.stays:,} · diagnoses {n_dx:,} · procedures {n_proc:,} · rules {len(catalogue.rules)} "
          f"(error {run.count('error')}, not applicable {run.count('not_applicable')})")
    print(f"generate      {t_gen:8.1f} s")
    print(f"rules         {t_rules:8.1f} s  ({args.stays / t_rules:,.0f} stays/s, {run.findings:,} findings)")
    for step, seconds in run.timings.items():
        print(f"  {step:26s} {seconds:6.1f} s")
    print(f"scores        {t_scores:8.1f} s")
    print(f"rules+scores  {t_rules + t_scores:8.1f} s")
    print(f"peak RSS      {peak_rss_gb():8.2f} GB")
    wh.close()
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
