"""Benchmark: full-year DRG and DIP settlement over N million synthetic stays, then a what-if rerun.

Generates hospitals, stays, stay_groups / stay_dip_groups and the reference tables in DuckDB (SQL, no Python
loop), then times ``simulate`` (cases prepared once, settled, stored) and ``whatif`` (base rate x1.05 on the
same prepared cases, no regrouping). Targets: 10 M stays settled < 2 min; what-if rerun < 30 s.

Usage::

    PYTHONPATH=src python benchmarks/bench_payment.py --stays 10 --db /tmp/bench_payment.duckdb
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from hospeval.payment.scenario import Scenario
from hospeval.payment.settle import simulate, whatif
from hospeval.payment.spec import load_rules
from hospeval.warehouse import Warehouse

N_HOSPITALS = 400
N_DRG = 600
N_DIP = 3000


def generate(wh: Warehouse, n: int) -> None:
    con = wh.con
    con.execute(f"""
        CREATE OR REPLACE TABLE hospitals AS
        SELECT 'H' || lpad(i::VARCHAR, 4, '0') AS hospital_id, 'hospital ' || i AS name,
               CASE WHEN i % 10 < 2 THEN '3' WHEN i % 10 < 6 THEN '2' ELSE '1' END AS level,
               'general' AS category, NULL::VARCHAR AS district, NULL::VARCHAR AS city, NULL::VARCHAR AS province,
               'C' || (i % 40)::VARCHAR AS consortium_id, 'member' AS consortium_role, 200 AS beds
        FROM range({N_HOSPITALS}) t(i)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE drg_reference AS
        SELECT 'chs-drg-1.1' AS scheme, '1' AS version, 'D' || lpad(i::VARCHAR, 3, '0') AS drg, 1000 AS n_stays,
               0 AS n_trimmed, 0.3 + (hash(i) % 300) / 100.0 AS relative_weight,
               (0.3 + (hash(i) % 300) / 100.0) * 9000 AS mean_cost, 4 + hash(i) % 10 AS mean_los,
               0.01 AS mortality, 1 AS risk_grade
        FROM range({N_DRG}) t(i)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE dip_reference AS
        SELECT 'dip-demo' AS scheme, '1' AS version, 'G' || lpad(i::VARCHAR, 4, '0') AS dip_group,
               200 AS n_stays, (0.2 + (hash(i) % 500) / 100.0) * 8000 AS mean_cost,
               (0.2 + (hash(i) % 500) / 100.0) * 100 AS points
        FROM range({N_DIP}) t(i)""")
    wh.ensure_schema()
    con.execute("DELETE FROM stays")
    con.execute(f"""
        INSERT INTO stays BY NAME
        SELECT 'S' || i AS stay_id, 'H' || lpad((hash(i) % {N_HOSPITALS})::VARCHAR, 4, '0') AS hospital_id,
               'P' || (i % 5000000) AS patient_id, '1' AS sex,
               ['1', '1', '2', '3', '7'][(1 + hash(i * 3) % 5)::BIGINT] AS payer,
               TIMESTAMP '2024-01-01' + to_days((hash(i * 5) % 366)::INTEGER) AS admit_time,
               TIMESTAMP '2024-01-01' + to_days((hash(i * 5) % 366)::INTEGER + los) AS discharge_time,
               ['03', '04', '05', '07', '15', '21'][(1 + hash(i * 7) % 6)::BIGINT] AS discharge_dept,
               los AS los_days, 'DR' || (hash(i * 11) % 20) AS attending_doctor,
               CASE WHEN hash(i * 13) % 100 < 2 THEN '5' WHEN hash(i * 13) % 100 < 6 THEN '2' ELSE '1' END
                   AS discharge_disposition,
               round(1000 + (hash(i * 17) % 40000) * (1 + (hash(i * 19) % 100 = 0)::INT * 5), 2)::DECIMAL(14,2)
                   AS cost_total
        FROM (SELECT i, 1 + (hash(i * 23) % 20)::INTEGER + (hash(i * 29) % 50 = 0)::INTEGER * 60 AS los
              FROM range({n}) t(i))""")
    con.execute(f"""
        CREATE OR REPLACE TABLE stay_groups AS
        SELECT 'S' || i AS stay_id, 'chs-drg-1.1' AS scheme,
               CASE WHEN hash(i * 31) % 100 = 0 THEN 'ungroupable' ELSE 'grouped' END AS status,
               NULL::VARCHAR AS reason, NULL::VARCHAR AS mdc, NULL::VARCHAR AS adrg,
               CASE WHEN hash(i * 31) % 100 = 0 THEN NULL ELSE 'D' || lpad((hash(i * 37) % {N_DRG})::VARCHAR, 3, '0') END AS drg,
               NULL::VARCHAR AS drg_name, 'none' AS cc_level, '' AS explanation
        FROM range({n}) t(i)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE stay_dip_groups AS
        SELECT 'S' || i AS stay_id, 'dip-demo' AS scheme,
               CASE WHEN hash(i * 41) % 100 = 0 THEN 'ungroupable' ELSE 'grouped' END AS status,
               NULL::VARCHAR AS reason,
               CASE WHEN hash(i * 41) % 100 = 0 THEN NULL ELSE 'G' || lpad((hash(i * 43) % {N_DIP})::VARCHAR, 4, '0') END AS dip_group,
               'core' AS dip_kind, NULL::VARCHAR AS dip_name
        FROM range({n}) t(i)""")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, n: int, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<44} {dt:8.2f} s  {n / dt / 1e6:7.2f} M stays/s  peak RSS {peak_rss_mb():,.0f} MB", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stays", type=float, default=10, help="millions of stays (default 10)")
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_payment.duckdb"))
    parser.add_argument("--memory-limit", default="2500MB")
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()
    n = int(args.stays * 1_000_000)
    wh = Warehouse(args.db)
    wh.con.execute(f"SET memory_limit = '{args.memory_limit}'")
    wh.con.execute("SET threads = 2")
    if not args.skip_generate:
        timed("generate stays, groups, references", n, lambda: generate(wh, n))
    n = wh.count("stays")
    for t in ("payment_settlements", "payment_runs", "payment_capitation"):
        wh.con.execute(f"DROP TABLE IF EXISTS {t}")
    rules = load_rules("demo/2024")
    drg = timed("DRG full-year settlement (prepare + settle)", n, lambda: simulate(wh, rules, method="drg"))
    print(f"  insured cases {drg.cases:,}  payment {drg.payment:,.0f}  by type "
          + ", ".join(f"{k} {v[0]:,}" for k, v in sorted(drg.by_case_type.items())))
    res = timed("DRG what-if base rate x1.05 (reuse cases)", n,
                lambda: whatif(wh, rules, Scenario(base_rate_factor=1.05), method="drg"))
    print(f"  payment {res.baseline.payment:,.0f} -> {res.scenario.payment:,.0f}")
    dip = timed("DIP full-year settlement (prepare + settle)", n, lambda: simulate(wh, rules, method="dip"))
    cents = wh.con.execute("SELECT sum(round(payment * 100)::BIGINT) FROM payment_settlements "
                           "WHERE run_id = ? AND method = 'dip'", [dip.run_id]).fetchone()[0]
    print(f"  budget {dip.budget:,.2f}  point value {dip.point_value:.4f}  paid in budget (exact cents) "
          f"{cents / 100:,.2f}  equal: {cents == round(dip.budget * 100)}")
    timed("DIP what-if budget x0.98 (reuse cases)", n,
          lambda: whatif(wh, rules, Scenario(budget_factor=0.98), method="dip"))
    wh.close()


if __name__ == "__main__":
    main()
