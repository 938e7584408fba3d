"""A small synthetic warehouse shaped by docs/contracts.md, for the present stage's tests and benchmark.

It stands in for the other stages' tables until they land: stays and hospitals by the canonical schema, and
one plausible row set per result table. Generated set-based in DuckDB from ``range()`` and ``hash()``, so a
few million stays take seconds. Not clinical data: codes and numbers are made up.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> wh = Warehouse(":memory:")
>>> build(wh, hospitals=4, stays=200)
>>> wh.count("stays"), wh.count("hospitals")
(200, 4)
"""

from __future__ import annotations

from hospeval.warehouse import Warehouse

RESULT_TABLES = ("stay_groups", "drg_reference", "quality_findings", "quality_scores", "indicator_values",
                 "evaluation_scores", "evaluation_indicator_scores", "payment_settlements", "hospital_facts")

_HOSPITALS = """
CREATE OR REPLACE TABLE hospitals AS
SELECT printf('H%03d', i) AS hospital_id,
       CASE i % 3 WHEN 0 THEN '市第' || i || '人民医院' WHEN 1 THEN '区' || i || '中心医院' ELSE i || '社区卫生服务中心' END AS name,
       CASE WHEN i <= {n} / 3 + 1 THEN '3' WHEN i % 3 = 2 THEN '1' ELSE '2' END AS level,
       CASE i % 4 WHEN 0 THEN 'tcm' WHEN 3 THEN 'specialty' ELSE 'general' END AS category,
       CASE WHEN i % 2 = 0 THEN '浦东新区' ELSE '徐汇区' END AS district,
       CASE WHEN i % 5 = 4 THEN '苏州市' ELSE '上海市' END AS city,
       CASE WHEN i % 5 = 4 THEN '江苏省' ELSE '上海市' END AS province,
       'C' || (i % 2 + 1) AS consortium_id,
       CASE WHEN i <= 2 THEN 'lead' ELSE 'member' END AS consortium_role,
       (100 + (i * 37) % 900)::INTEGER AS beds
FROM range(1, {n} + 1) r(i)
"""

_STAYS = """
CREATE OR REPLACE TABLE stays AS
WITH base AS (
  SELECT i, abs(hash(i)) AS h, printf('H%03d', 1 + i % {nh}) AS hospital_id FROM range({ns}) r(i))
SELECT hospital_id || '-' || lpad(i::VARCHAR, 8, '0') AS stay_id, hospital_id,
       'P' || md5(i::VARCHAR)[:12] AS patient_id, 1::SMALLINT AS admission_count,
       ((h % 9) + 1)::VARCHAR AS payer, CASE WHEN h % 2 = 0 THEN '1' ELSE '2' END AS sex,
       DATE '1950-01-01' + (h % 25000)::INTEGER AS birth_date, (h % 90)::SMALLINT AS age_years,
       NULL::SMALLINT AS age_days, NULL::INTEGER AS birth_weight_g, NULL::INTEGER AS admission_weight_g,
       CASE WHEN h % 7 = 0 THEN '3' WHEN h % 3 = 0 THEN '1' ELSE '2' END AS admission_route,
       TIMESTAMP '2024-01-01 08:00:00' + to_days((h % 360)::INTEGER) AS admit_time,
       'D' || (h % 8) AS admit_dept,
       TIMESTAMP '2024-01-01 08:00:00' + to_days((h % 360)::INTEGER + 1 + (h % 13)::INTEGER) AS discharge_time,
       'D' || (h % 8) AS discharge_dept, (1 + h % 13)::INTEGER AS los_days,
       'DR' || (h % 40) AS attending_doctor, NULL AS director_doctor, NULL AS external_cause_code,
       NULL AS pathology_code,
       CASE WHEN h % 97 = 0 THEN '5' WHEN h % 23 = 0 THEN '2' WHEN h % 29 = 0 THEN '3' ELSE '1' END
         AS discharge_disposition,
       CASE WHEN h % 23 = 0 OR h % 29 = 0 THEN '区' || (1 + (h // 7) % 6) || '中心医院' END
         AS receiving_institution,
       NULL AS autopsy, '1' AS readmission_plan_31d, false AS day_surgery, 0.0 AS icu_hours,
       0.0 AS ventilator_hours, (2000 + (h % 30000))::DECIMAL(14,2) AS cost_total
FROM base
"""

_GROUPS = """
CREATE OR REPLACE TABLE stay_groups AS
SELECT stay_id, 'chs-drg-1.1' AS scheme,
       CASE WHEN abs(hash(stay_id)) % 50 = 0 THEN 'ungroupable' ELSE 'grouped' END AS status,
       NULL AS reason, 'MDC' || (abs(hash(stay_id)) % 5) AS mdc, NULL AS adrg,
       CASE WHEN abs(hash(stay_id)) % 50 = 0 THEN NULL
            ELSE 'DRG' || lpad((abs(hash(stay_id)) % {ndrg})::VARCHAR, 3, '0') END AS drg,
       NULL AS drg_name, 'none' AS cc_level, '' AS explanation
FROM stays
"""

_REFERENCE = """
CREATE OR REPLACE TABLE drg_reference AS
SELECT 'chs-drg-1.1' AS scheme, '2024' AS version, 'DRG' || lpad(i::VARCHAR, 3, '0') AS drg,
       100 AS n_stays, 0 AS n_trimmed, round(0.5 + (i % 20) / 10.0, 3) AS relative_weight,
       15000.0 + i * 10 AS mean_cost, 7.0 AS mean_los, 0.01 AS mortality,
       (i % 5)::INTEGER AS risk_grade
FROM range({ndrg}) r(i)
"""

_RESULTS = [
    """CREATE OR REPLACE TABLE quality_findings AS
       SELECT stay_id, hospital_id, 'QC' || (abs(hash(stay_id)) % 5) AS rule_id,
              CASE WHEN abs(hash(stay_id)) % 2 = 0 THEN 'error' ELSE 'warning' END AS severity,
              'completeness' AS category,
              CASE WHEN abs(hash(stay_id)) % 5 = 0 THEN 'birth_date' ELSE 'discharge_dept' END AS field,
              CASE WHEN abs(hash(stay_id)) % 5 = 0 THEN birth_date::VARCHAR ELSE discharge_dept END AS value,
              '字段有误' AS message_zh, 'field is wrong' AS message_en
       FROM stays WHERE abs(hash(stay_id)) % 10 = 0""",
    """CREATE OR REPLACE TABLE quality_scores AS
       SELECT hospital_id, NULL AS dept, 'front_page_quality' AS indicator,
              1 - count(*) FILTER (WHERE discharge_disposition = '9') / count(*) AS value,
              round(90 + (abs(hash(hospital_id)) % 10), 1) AS score FROM stays GROUP BY hospital_id""",
    """CREATE OR REPLACE TABLE indicator_values AS
       SELECT 'run1' AS run_id, 'national-tertiary' AS indicator_set, ind AS indicator_id, 'hospital' AS level,
              hospital_id AS unit_id, hospital_id, '2024' AS period, 10.0 AS numerator, 100.0 AS denominator,
              0.1 AS value
       FROM hospitals, (VALUES ('ind_cmi'), ('ind_los'), ('ind_cost')) v(ind)""",
    """CREATE OR REPLACE TABLE evaluation_scores AS
       SELECT 'run1' AS run_id, 'national-tertiary' AS indicator_set, 'topsis' AS method, hospital_id,
              'level' || level AS peer_group, score,
              row_number() OVER (PARTITION BY level ORDER BY score DESC, hospital_id) AS rank,
              CASE WHEN score > 80 THEN 'A' WHEN score > 60 THEN 'B' ELSE 'C' END AS grade,
              percent_rank() OVER (PARTITION BY level ORDER BY score) AS percentile
       FROM (SELECT hospital_id, level, round(50 + abs(hash(hospital_id)) % 50, 1) AS score FROM hospitals)""",
    """CREATE OR REPLACE TABLE evaluation_indicator_scores AS
       SELECT 'run1' AS run_id, 'national-tertiary' AS indicator_set, hospital_id, ind AS indicator_id,
              5.0 AS weight, round(5.0 - (abs(hash(hospital_id || ind)) % 50) / 10.0, 1) AS score,
              round((abs(hash(hospital_id || ind)) % 50) / 10.0, 1) AS points_lost
       FROM hospitals, (VALUES ('ind_cmi'), ('ind_los'), ('ind_cost')) v(ind)""",
    """CREATE OR REPLACE TABLE payment_settlements AS
       SELECT 'run1' AS run_id, 'drg-demo' AS scheme, s.stay_id, s.hospital_id, g.drg,
              CASE WHEN g.drg IS NULL THEN 'ungroupable' ELSE 'normal' END AS case_type,
              s.cost_total AS cost, (15000 + abs(hash(g.drg)) % 5000)::DECIMAL(14,2) AS payment,
              (15000 + abs(hash(g.drg)) % 5000)::DECIMAL(14,2) - s.cost_total AS surplus
       FROM stays s JOIN stay_groups g USING (stay_id)""",
    """CREATE OR REPLACE TABLE hospital_facts AS
       SELECT hospital_id, '2024' AS period, m AS metric, (abs(hash(hospital_id || m)) % 500)::DOUBLE AS value
       FROM hospitals, (VALUES ('referrals_up'), ('referrals_down_inpatient')) v(m)""",
]


def build(warehouse: Warehouse, *, hospitals: int = 6, stays: int = 3000, drgs: int = 40,
          results: bool = True) -> None:
    """Fill ``warehouse`` with synthetic contract tables (``results=False``: only hospitals and stays)."""
    con = warehouse.con
    warehouse.ensure_schema()
    con.execute(_HOSPITALS.format(n=hospitals))
    con.execute(_STAYS.format(nh=hospitals, ns=stays))
    if not results:
        return
    con.execute(_GROUPS.format(ndrg=drgs))
    con.execute(_REFERENCE.format(ndrg=drgs))
    for sql in _RESULTS:
        con.execute(sql)
