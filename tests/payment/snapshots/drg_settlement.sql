SELECT
  'RUN' AS "run_id",
  CASE WHEN "t7"."case_type" = 'bed_day' THEN 'bed_day' ELSE 'drg' END AS "method",
  'test-drg' AS "scheme",
  "t7"."stay_id",
  "t7"."hospital_id",
  "t7"."drg",
  CAST(NULL AS TEXT) AS "dip_group",
  "t7"."case_type",
  CASE WHEN "t7"."grouped" THEN "t7"."relative_weight" ELSE CAST(NULL AS DOUBLE) END AS "units",
  "t7"."cost",
  "t7"."payment",
  CAST(CAST(ROUND((
    "t7"."payment" - "t7"."cost"
  ) * 100.0 * 1.0000000000000036, 0) AS BIGINT) AS DOUBLE) / 100.0 AS "surplus",
  FALSE AS "review"
FROM (
  SELECT
    "t6"."stay_id",
    "t6"."hospital_id",
    "t6"."patient_id",
    "t6"."level",
    "t6"."consortium_id",
    "t6"."discharge_dept",
    "t6"."attending_doctor",
    "t6"."payer",
    "t6"."los_days",
    "t6"."discharge_disposition",
    "t6"."cost",
    "t6"."period",
    "t6"."drg_status",
    "t6"."drg",
    "t6"."dip_status",
    "t6"."dip_group",
    "t6"."selection",
    "t6"."relative_weight",
    "t6"."mean_cost",
    "t6"."mean_los",
    "t6"."standard",
    "t6"."high_thr",
    "t6"."low_thr",
    "t6"."bed_category",
    "t6"."bed_pay",
    "t6"."grouped",
    "t6"."case_type",
    CAST(CAST(ROUND(
      CASE "t6"."case_type"
        WHEN 'bed_day'
        THEN "t6"."bed_pay"
        WHEN 'ungroupable'
        THEN GREATEST(COALESCE("t6"."cost" * 0.8, 0.0), 0.0)
        WHEN 'death'
        THEN GREATEST(
          COALESCE(
            CASE
              WHEN (
                "t6"."standard" * 2.0
              ) IS NULL
              THEN "t6"."cost" * 1.0
              ELSE LEAST("t6"."cost" * 1.0, "t6"."standard" * 2.0)
            END,
            0.0
          ),
          0.0
        )
        WHEN 'transfer'
        THEN GREATEST(
          COALESCE(
            "t6"."standard" * COALESCE(
              LEAST(1.0, (
                1.0 * CAST("t6"."los_days" AS DOUBLE)
              ) / NULLIF("t6"."mean_los", 0.0)),
              1.0
            ),
            0.0
          ),
          0.0
        )
        WHEN 'high_outlier'
        THEN GREATEST(
          COALESCE("t6"."standard" + (
            GREATEST("t6"."cost" - "t6"."high_thr", 0.0) * 0.9
          ), 0.0),
          0.0
        )
        WHEN 'low_outlier'
        THEN GREATEST(COALESCE("t6"."cost" * 1.0, 0.0), 0.0)
        ELSE GREATEST(COALESCE("t6"."standard" * 1.0, 0.0), 0.0)
      END * 100.0 * 1.0000000000000036,
      0
    ) AS BIGINT) AS DOUBLE) / 100.0 AS "payment"
  FROM (
    SELECT
      "t5"."stay_id",
      "t5"."hospital_id",
      "t5"."patient_id",
      "t5"."level",
      "t5"."consortium_id",
      "t5"."discharge_dept",
      "t5"."attending_doctor",
      "t5"."payer",
      "t5"."los_days",
      "t5"."discharge_disposition",
      "t5"."cost",
      "t5"."period",
      "t5"."drg_status",
      "t5"."drg",
      "t5"."dip_status",
      "t5"."dip_group",
      "t5"."selection",
      "t5"."relative_weight",
      "t5"."mean_cost",
      "t5"."mean_los",
      "t5"."standard",
      "t5"."high_thr",
      "t5"."low_thr",
      "t5"."bed_category",
      "t5"."bed_pay",
      "t5"."grouped",
      CASE
        WHEN "t5"."bed_category" IS NOT NULL
        THEN 'bed_day'
        WHEN NOT (
          "t5"."grouped"
        )
        THEN 'ungroupable'
        WHEN COALESCE("t5"."discharge_disposition" IN ('5'), FALSE)
        THEN 'death'
        WHEN COALESCE("t5"."discharge_disposition" IN ('2', '3'), FALSE)
        AND COALESCE(CAST("t5"."los_days" AS DOUBLE) < (
          "t5"."mean_los" * 0.5
        ), TRUE)
        THEN 'transfer'
        WHEN "t5"."cost" > "t5"."high_thr"
        THEN 'high_outlier'
        WHEN "t5"."cost" < "t5"."low_thr"
        THEN 'low_outlier'
        ELSE 'normal'
      END AS "case_type"
    FROM (
      SELECT
        "t4"."stay_id",
        "t4"."hospital_id",
        "t4"."patient_id",
        "t4"."level",
        "t4"."consortium_id",
        "t4"."discharge_dept",
        "t4"."attending_doctor",
        "t4"."payer",
        "t4"."los_days",
        "t4"."discharge_disposition",
        "t4"."cost",
        "t4"."period",
        "t4"."drg_status",
        "t4"."drg",
        "t4"."dip_status",
        "t4"."dip_group",
        "t4"."selection",
        "t4"."relative_weight",
        "t4"."mean_cost",
        "t4"."mean_los",
        10000.0 * CASE "t4"."level" WHEN '2' THEN 0.8 WHEN '3' THEN 1.0 ELSE 1.0 END * "t4"."relative_weight" AS "standard",
        COALESCE(
          "t4"."mean_cost",
          10000.0 * CASE "t4"."level" WHEN '2' THEN 0.8 WHEN '3' THEN 1.0 ELSE 1.0 END * "t4"."relative_weight"
        ) * 3.0 AS "high_thr",
        COALESCE(
          "t4"."mean_cost",
          10000.0 * CASE "t4"."level" WHEN '2' THEN 0.8 WHEN '3' THEN 1.0 ELSE 1.0 END * "t4"."relative_weight"
        ) * 0.4 AS "low_thr",
        CASE
          WHEN COALESCE(FALSE OR STARTS_WITH("t4"."discharge_dept", '15'), FALSE)
          AND (
            "t4"."los_days" >= 30
          )
          THEN 'psychiatry'
          ELSE CAST(NULL AS TEXT)
        END AS "bed_category",
        CASE
          WHEN COALESCE(FALSE OR STARTS_WITH("t4"."discharge_dept", '15'), FALSE)
          AND (
            "t4"."los_days" >= 30
          )
          THEN CASE "t4"."level"
            WHEN '2'
            THEN 300.0
            WHEN '3'
            THEN 400.0
            ELSE CAST(NULL AS DOUBLE)
          END * CAST("t4"."los_days" AS DOUBLE)
          ELSE CAST(NULL AS DOUBLE)
        END AS "bed_pay",
        COALESCE("t4"."drg_status" = 'grouped', FALSE)
        AND (
          "t4"."relative_weight" IS NOT NULL
        ) AS "grouped"
      FROM (
        SELECT
          "t2"."stay_id",
          "t2"."hospital_id",
          "t2"."patient_id",
          "t2"."level",
          "t2"."consortium_id",
          "t2"."discharge_dept",
          "t2"."attending_doctor",
          "t2"."payer",
          "t2"."los_days",
          "t2"."discharge_disposition",
          "t2"."cost",
          "t2"."period",
          "t2"."drg_status",
          "t2"."drg",
          "t2"."dip_status",
          "t2"."dip_group",
          "t2"."selection",
          "t3"."relative_weight",
          "t3"."mean_cost",
          "t3"."mean_los"
        FROM "payment_cases_drg" AS "t2"
        LEFT OUTER JOIN "payment_drg_weights" AS "t3"
          ON "t2"."drg" = "t3"."drg"
      ) AS "t4"
    ) AS "t5"
  ) AS "t6"
) AS "t7"
