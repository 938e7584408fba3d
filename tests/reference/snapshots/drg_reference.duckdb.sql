WITH "t12" AS (
  SELECT
    "t11"."stay_id",
    "t11"."drg",
    "t11"."cost",
    "t11"."los",
    "t11"."death",
    "t11"."trim_lower",
    "t11"."trim_upper",
    COALESCE(
      (
        "t11"."cost" IS NOT NULL
      )
      AND (
        "t11"."cost" > 0
      )
      AND (
        (
          "t11"."trim_lower" IS NULL
        )
        OR "t11"."cost" BETWEEN "t11"."trim_lower" AND "t11"."trim_upper"
      ),
      FALSE
    ) AS "_inside"
  FROM (
    SELECT
      "t5"."stay_id",
      "t4"."drg",
      CAST("t5"."cost_total" AS DOUBLE) AS "cost",
      CAST("t5"."los_days" AS DOUBLE) AS "los",
      COALESCE("t5"."discharge_disposition" = '5', FALSE) AS "death",
      "t10"."trim_lower",
      "t10"."trim_upper"
    FROM (
      SELECT
        *
      FROM "stays" AS "t0"
      WHERE
        EXTRACT(year FROM "t0"."discharge_time") = 2024
    ) AS "t5"
    INNER JOIN (
      SELECT
        "t1"."stay_id",
        "t1"."drg"
      FROM "stay_groups" AS "t1"
      WHERE
        "t1"."scheme" = 'chs-drg-1.1'
        AND "t1"."status" = 'grouped'
        AND "t1"."drg" IS NOT NULL
    ) AS "t4"
      ON "t5"."stay_id" = "t4"."stay_id"
    LEFT OUTER JOIN (
      SELECT
        "t8"."drg",
        CASE
          WHEN "t8"."_n" >= 5
          THEN "t8"."_q1" - (
            3.0 * (
              "t8"."_q3" - "t8"."_q1"
            )
          )
          ELSE CAST(NULL AS DOUBLE)
        END AS "trim_lower",
        CASE
          WHEN "t8"."_n" >= 5
          THEN "t8"."_q3" + (
            3.0 * (
              "t8"."_q3" - "t8"."_q1"
            )
          )
          ELSE CAST(NULL AS DOUBLE)
        END AS "trim_upper"
      FROM (
        SELECT
          "t7"."drg",
          COUNT(*) AS "_n",
          QUANTILE_CONT("t7"."cost", 0.25) AS "_q1",
          QUANTILE_CONT("t7"."cost", 0.75) AS "_q3"
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t5"."stay_id",
              "t4"."drg",
              CAST("t5"."cost_total" AS DOUBLE) AS "cost",
              CAST("t5"."los_days" AS DOUBLE) AS "los",
              COALESCE("t5"."discharge_disposition" = '5', FALSE) AS "death"
            FROM (
              SELECT
                *
              FROM "stays" AS "t0"
              WHERE
                EXTRACT(year FROM "t0"."discharge_time") = 2024
            ) AS "t5"
            INNER JOIN (
              SELECT
                "t1"."stay_id",
                "t1"."drg"
              FROM "stay_groups" AS "t1"
              WHERE
                "t1"."scheme" = 'chs-drg-1.1'
                AND "t1"."status" = 'grouped'
                AND "t1"."drg" IS NOT NULL
            ) AS "t4"
              ON "t5"."stay_id" = "t4"."stay_id"
          ) AS "t6"
          WHERE
            "t6"."cost" IS NOT NULL AND "t6"."cost" > 0
        ) AS "t7"
        GROUP BY
          1
      ) AS "t8"
    ) AS "t10"
      ON "t4"."drg" = "t10"."drg"
  ) AS "t11"
), "t19" AS (
  SELECT
    "t18"."drg",
    COUNT(*) AS "n_stays",
    COUNT(*) FILTER(WHERE
      "t18"."kept") AS "n_kept",
    SUM("t18"."cost") FILTER(WHERE
      "t18"."kept") AS "cost_sum",
    AVG("t18"."los") FILTER(WHERE
      "t18"."kept") AS "mean_los",
    COUNT(*) FILTER(WHERE
      "t18"."death") AS "deaths"
  FROM (
    SELECT
      "t17"."stay_id",
      "t17"."drg",
      "t17"."cost",
      "t17"."los",
      "t17"."death",
      CASE
        WHEN "t17"."_n_inside" = 0
        THEN CAST(NULL AS DOUBLE)
        ELSE "t17"."trim_lower"
      END AS "trim_lower",
      CASE
        WHEN "t17"."_n_inside" = 0
        THEN CAST(NULL AS DOUBLE)
        ELSE "t17"."trim_upper"
      END AS "trim_upper",
      COALESCE(
        "t17"."_inside"
        OR (
          (
            "t17"."cost" IS NOT NULL
          )
          AND (
            "t17"."cost" > 0
          )
          AND (
            "t17"."_n_inside" = 0
          )
        ),
        FALSE
      ) AS "kept"
    FROM (
      SELECT
        "t14"."stay_id",
        "t14"."drg",
        "t14"."cost",
        "t14"."los",
        "t14"."death",
        "t14"."trim_lower",
        "t14"."trim_upper",
        "t14"."_inside",
        "t16"."_n_inside"
      FROM "t12" AS "t14"
      LEFT OUTER JOIN (
        SELECT
          "t13"."drg",
          COUNT(*) FILTER(WHERE
            "t13"."_inside") AS "_n_inside"
        FROM "t12" AS "t13"
        GROUP BY
          1
      ) AS "t16"
        ON "t14"."drg" = "t16"."drg"
    ) AS "t17"
  ) AS "t18"
  GROUP BY
    1
), "t21" AS (
  SELECT
    "t20"."drg",
    "t20"."n_stays",
    "t20"."n_kept",
    "t20"."cost_sum",
    "t20"."mean_los",
    "t20"."deaths",
    CAST("t20"."deaths" AS DOUBLE) / "t20"."n_stays" AS "mortality"
  FROM "t19" AS "t20"
)
SELECT
  'chs-drg-1.1' AS "scheme",
  '2024' AS "version",
  "t24"."drg",
  "t24"."n_stays",
  "t24"."n_stays" - "t24"."n_kept" AS "n_trimmed",
  CASE
    WHEN "t24"."n_kept" > 0
    THEN "t24"."cost_sum" / "t24"."n_kept"
    ELSE CAST(NULL AS DOUBLE)
  END / "t29"."mean_cost_all" AS "relative_weight",
  CASE
    WHEN "t24"."n_kept" > 0
    THEN "t24"."cost_sum" / "t24"."n_kept"
    ELSE CAST(NULL AS DOUBLE)
  END AS "mean_cost",
  "t24"."mean_los",
  "t24"."mortality",
  CASE
    WHEN "t24"."deaths" > 0
    THEN CAST(CASE
      WHEN CASE
        WHEN (
          "t27"."ln_sd" IS NOT NULL
        ) AND (
          "t27"."ln_sd" > 0
        )
        THEN (
          LN("t24"."mortality") - "t27"."ln_mean"
        ) / "t27"."ln_sd"
        ELSE 0.0
      END < -1
      THEN 1
      WHEN CASE
        WHEN (
          "t27"."ln_sd" IS NOT NULL
        ) AND (
          "t27"."ln_sd" > 0
        )
        THEN (
          LN("t24"."mortality") - "t27"."ln_mean"
        ) / "t27"."ln_sd"
        ELSE 0.0
      END < 0
      THEN 2
      WHEN CASE
        WHEN (
          "t27"."ln_sd" IS NOT NULL
        ) AND (
          "t27"."ln_sd" > 0
        )
        THEN (
          LN("t24"."mortality") - "t27"."ln_mean"
        ) / "t27"."ln_sd"
        ELSE 0.0
      END < 1
      THEN 3
      ELSE 4
    END AS INT)
    ELSE CAST(0 AS INT)
  END AS "risk_grade"
FROM "t21" AS "t24"
CROSS JOIN (
  SELECT
    CASE
      WHEN "t25"."all_kept" > 0
      THEN "t25"."all_cost" / "t25"."all_kept"
      ELSE NULL
    END AS "mean_cost_all"
  FROM (
    SELECT
      SUM("t23"."cost_sum") AS "all_cost",
      SUM("t23"."n_kept") AS "all_kept"
    FROM "t21" AS "t23"
  ) AS "t25"
) AS "t29"
CROSS JOIN (
  SELECT
    AVG(LN("t22"."mortality")) AS "ln_mean",
    STDDEV_SAMP(LN("t22"."mortality")) AS "ln_sd"
  FROM (
    SELECT
      "t20"."drg",
      "t20"."n_stays",
      "t20"."n_kept",
      "t20"."cost_sum",
      "t20"."mean_los",
      "t20"."deaths",
      CAST("t20"."deaths" AS DOUBLE) / "t20"."n_stays" AS "mortality"
    FROM "t19" AS "t20"
    WHERE
      "t20"."deaths" > 0
  ) AS "t22"
) AS "t27"
