SELECT
  "t5"."stay_id",
  "t5"."hospital_id",
  "t5"."dip_group",
  "t5"."cost",
  CASE
    WHEN CASE
      WHEN COALESCE(FALSE OR STARTS_WITH("t5"."discharge_dept", '15'), FALSE)
      AND (
        "t5"."los_days" >= 30
      )
      THEN 'psychiatry'
      ELSE CAST(NULL AS TEXT)
    END IS NOT NULL
    THEN 'bed_day'
    WHEN NOT (
      COALESCE("t5"."dip_status" = 'grouped', FALSE)
      AND (
        "t5"."group_points" IS NOT NULL
      )
      AND COALESCE("t5"."mean_cost" > 0, FALSE)
    )
    THEN 'ungroupable'
    WHEN (
      "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
    ) <= 0.5
    THEN 'low_outlier'
    WHEN (
      "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
    ) > 5.0
    THEN 'extreme_outlier'
    WHEN (
      "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
    ) >= 2.0
    THEN 'high_outlier'
    ELSE 'normal'
  END AS "case_type",
  GREATEST(
    COALESCE(
      CASE CASE
          WHEN CASE
            WHEN COALESCE(FALSE OR STARTS_WITH("t5"."discharge_dept", '15'), FALSE)
            AND (
              "t5"."los_days" >= 30
            )
            THEN 'psychiatry'
            ELSE CAST(NULL AS TEXT)
          END IS NOT NULL
          THEN 'bed_day'
          WHEN NOT (
            COALESCE("t5"."dip_status" = 'grouped', FALSE)
            AND (
              "t5"."group_points" IS NOT NULL
            )
            AND COALESCE("t5"."mean_cost" > 0, FALSE)
          )
          THEN 'ungroupable'
          WHEN (
            "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
          ) <= 0.5
          THEN 'low_outlier'
          WHEN (
            "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
          ) > 5.0
          THEN 'extreme_outlier'
          WHEN (
            "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
          ) >= 2.0
          THEN 'high_outlier'
          ELSE 'normal'
        END
        WHEN 'bed_day'
        THEN 0.0
        WHEN 'ungroupable'
        THEN (
          "t5"."cost" / 100.0
        ) * 0.9
        WHEN 'low_outlier'
        THEN (
          "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
        ) * "t5"."group_points"
        WHEN 'extreme_outlier'
        THEN (
          (
            (
              (
                "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
              ) - 2.0
            ) * 1.0
          ) + 1.0
        ) * "t5"."group_points" * 1.0
        WHEN 'high_outlier'
        THEN (
          (
            (
              (
                "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
              ) - 2.0
            ) * 1.0
          ) + 1.0
        ) * "t5"."group_points"
        ELSE "t5"."group_points"
      END,
      0.0
    ),
    0.0
  ) * CASE "t5"."level" WHEN '2' THEN 0.9 WHEN '3' THEN 1.0 ELSE 1.0 END AS "points",
  COALESCE(
    CASE
      WHEN COALESCE(FALSE OR STARTS_WITH("t5"."discharge_dept", '15'), FALSE)
      AND (
        "t5"."los_days" >= 30
      )
      THEN CASE "t5"."level"
        WHEN '2'
        THEN 300.0
        WHEN '3'
        THEN 400.0
        ELSE CAST(NULL AS DOUBLE)
      END * CAST("t5"."los_days" AS DOUBLE)
      ELSE CAST(NULL AS DOUBLE)
    END,
    0.0
  ) AS "bed_pay",
  (
    CASE
      WHEN CASE
        WHEN COALESCE(FALSE OR STARTS_WITH("t5"."discharge_dept", '15'), FALSE)
        AND (
          "t5"."los_days" >= 30
        )
        THEN 'psychiatry'
        ELSE CAST(NULL AS TEXT)
      END IS NOT NULL
      THEN 'bed_day'
      WHEN NOT (
        COALESCE("t5"."dip_status" = 'grouped', FALSE)
        AND (
          "t5"."group_points" IS NOT NULL
        )
        AND COALESCE("t5"."mean_cost" > 0, FALSE)
      )
      THEN 'ungroupable'
      WHEN (
        "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
      ) <= 0.5
      THEN 'low_outlier'
      WHEN (
        "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
      ) > 5.0
      THEN 'extreme_outlier'
      WHEN (
        "t5"."cost" / NULLIF("t5"."mean_cost", 0.0)
      ) >= 2.0
      THEN 'high_outlier'
      ELSE 'normal'
    END = 'extreme_outlier'
  )
  AND TRUE AS "review"
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
    "t4"."mean_cost",
    "t4"."group_points"
  FROM "payment_cases_dip" AS "t2"
  LEFT OUTER JOIN (
    SELECT
      "t1"."dip_group",
      "t1"."n_stays" AS "n_ref",
      "t1"."mean_cost",
      "t1"."points" AS "group_points"
    FROM "dip_reference" AS "t1"
  ) AS "t4"
    ON "t2"."dip_group" = "t4"."dip_group"
) AS "t5"
