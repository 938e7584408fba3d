WITH "t14" AS (
  SELECT
    "t13"."stay_id",
    "t13"."drg",
    "t13"."cost",
    "t13"."los",
    "t13"."death",
    "t13"."trim_lower",
    "t13"."trim_upper",
    COALESCE(
      (
        "t13"."cost" IS NOT NULL
      )
      AND (
        "t13"."cost" > 0
      )
      AND (
        (
          "t13"."trim_lower" IS NULL
        )
        OR "t13"."cost" BETWEEN "t13"."trim_lower" AND "t13"."trim_upper"
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
      "t12"."trim_lower",
      "t12"."trim_upper"
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
        "t10"."drg",
        CASE
          WHEN "t10"."_n" >= 5
          THEN "t10"."_q1" - (
            3.0 * (
              "t10"."_q3" - "t10"."_q1"
            )
          )
          ELSE CAST(NULL AS DOUBLE)
        END AS "trim_lower",
        CASE
          WHEN "t10"."_n" >= 5
          THEN "t10"."_q3" + (
            3.0 * (
              "t10"."_q3" - "t10"."_q1"
            )
          )
          ELSE CAST(NULL AS DOUBLE)
        END AS "trim_upper"
      FROM (
        SELECT
          "t9"."drg",
          "t9"."_n",
          "t9"."_q1__lo" + (
            (
              "t9"."_q1__hi" - "t9"."_q1__lo"
            ) * (
              (
                CAST("t9"."_n" - 1 AS DOUBLE) * 0.25
              ) - CAST(FLOOR(CAST("t9"."_n" - 1 AS DOUBLE) * 0.25) AS BIGINT)
            )
          ) AS "_q1",
          "t9"."_q3__lo" + (
            (
              "t9"."_q3__hi" - "t9"."_q3__lo"
            ) * (
              (
                CAST("t9"."_n" - 1 AS DOUBLE) * 0.75
              ) - CAST(FLOOR(CAST("t9"."_n" - 1 AS DOUBLE) * 0.75) AS BIGINT)
            )
          ) AS "_q3"
        FROM (
          SELECT
            "t8"."drg",
            COUNT(*) AS "_n",
            MAX("t8"."cost") FILTER(WHERE
              "t8"."_i" = CAST(FLOOR(CAST("t8"."_n" - 1 AS DOUBLE) * 0.25) AS BIGINT)) AS "_q1__lo",
            MAX("t8"."cost") FILTER(WHERE
              "t8"."_i" = CAST(CEIL(CAST("t8"."_n" - 1 AS DOUBLE) * 0.25) AS BIGINT)) AS "_q1__hi",
            MAX("t8"."cost") FILTER(WHERE
              "t8"."_i" = CAST(FLOOR(CAST("t8"."_n" - 1 AS DOUBLE) * 0.75) AS BIGINT)) AS "_q3__lo",
            MAX("t8"."cost") FILTER(WHERE
              "t8"."_i" = CAST(CEIL(CAST("t8"."_n" - 1 AS DOUBLE) * 0.75) AS BIGINT)) AS "_q3__hi"
          FROM (
            SELECT
              "t7"."stay_id",
              "t7"."drg",
              "t7"."cost",
              "t7"."los",
              "t7"."death",
              ROW_NUMBER() OVER (
                PARTITION BY "t7"."drg"
                ORDER BY "t7"."cost" ASC
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1 AS "_i",
              COUNT(*) OVER (PARTITION BY "t7"."drg" ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS "_n"
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
          ) AS "t8"
          GROUP BY
            1
        ) AS "t9"
      ) AS "t10"
    ) AS "t12"
      ON "t4"."drg" = "t12"."drg"
  ) AS "t13"
), "t21" AS (
  SELECT
    "t20"."drg",
    COUNT(*) AS "n_stays",
    COUNT(*) FILTER(WHERE
      "t20"."kept") AS "n_kept",
    SUM("t20"."cost") FILTER(WHERE
      "t20"."kept") AS "cost_sum",
    AVG("t20"."los") FILTER(WHERE
      "t20"."kept") AS "mean_los",
    COUNT(*) FILTER(WHERE
      "t20"."death") AS "deaths"
  FROM (
    SELECT
      "t19"."stay_id",
      "t19"."drg",
      "t19"."cost",
      "t19"."los",
      "t19"."death",
      CASE
        WHEN "t19"."_n_inside" = 0
        THEN CAST(NULL AS DOUBLE)
        ELSE "t19"."trim_lower"
      END AS "trim_lower",
      CASE
        WHEN "t19"."_n_inside" = 0
        THEN CAST(NULL AS DOUBLE)
        ELSE "t19"."trim_upper"
      END AS "trim_upper",
      COALESCE(
        "t19"."_inside"
        OR (
          (
            "t19"."cost" IS NOT NULL
          )
          AND (
            "t19"."cost" > 0
          )
          AND (
            "t19"."_n_inside" = 0
          )
        ),
        FALSE
      ) AS "kept"
    FROM (
      SELECT
        "t16"."stay_id",
        "t16"."drg",
        "t16"."cost",
        "t16"."los",
        "t16"."death",
        "t16"."trim_lower",
        "t16"."trim_upper",
        "t16"."_inside",
        "t18"."_n_inside"
      FROM "t14" AS "t16"
      LEFT OUTER JOIN (
        SELECT
          "t15"."drg",
          COUNT(*) FILTER(WHERE
            "t15"."_inside") AS "_n_inside"
        FROM "t14" AS "t15"
        GROUP BY
          1
      ) AS "t18"
        ON "t16"."drg" = "t18"."drg"
    ) AS "t19"
  ) AS "t20"
  GROUP BY
    1
), "t23" AS (
  SELECT
    "t22"."drg",
    "t22"."n_stays",
    "t22"."n_kept",
    "t22"."cost_sum",
    "t22"."mean_los",
    "t22"."deaths",
    CAST("t22"."deaths" AS DOUBLE) / "t22"."n_stays" AS "mortality"
  FROM "t21" AS "t22"
)
SELECT
  'chs-drg-1.1' AS "scheme",
  '2024' AS "version",
  "t26"."drg",
  "t26"."n_stays",
  "t26"."n_stays" - "t26"."n_kept" AS "n_trimmed",
  CASE
    WHEN "t26"."n_kept" > 0
    THEN "t26"."cost_sum" / "t26"."n_kept"
    ELSE CAST(NULL AS DOUBLE)
  END / "t31"."mean_cost_all" AS "relative_weight",
  CASE
    WHEN "t26"."n_kept" > 0
    THEN "t26"."cost_sum" / "t26"."n_kept"
    ELSE CAST(NULL AS DOUBLE)
  END AS "mean_cost",
  "t26"."mean_los",
  "t26"."mortality",
  CASE
    WHEN "t26"."deaths" > 0
    THEN CAST(CASE
      WHEN CASE
        WHEN (
          "t29"."ln_sd" IS NOT NULL
        ) AND (
          "t29"."ln_sd" > 0
        )
        THEN (
          LN("t26"."mortality") - "t29"."ln_mean"
        ) / "t29"."ln_sd"
        ELSE 0.0
      END < -1
      THEN 1
      WHEN CASE
        WHEN (
          "t29"."ln_sd" IS NOT NULL
        ) AND (
          "t29"."ln_sd" > 0
        )
        THEN (
          LN("t26"."mortality") - "t29"."ln_mean"
        ) / "t29"."ln_sd"
        ELSE 0.0
      END < 0
      THEN 2
      WHEN CASE
        WHEN (
          "t29"."ln_sd" IS NOT NULL
        ) AND (
          "t29"."ln_sd" > 0
        )
        THEN (
          LN("t26"."mortality") - "t29"."ln_mean"
        ) / "t29"."ln_sd"
        ELSE 0.0
      END < 1
      THEN 3
      ELSE 4
    END AS INT)
    ELSE CAST(0 AS INT)
  END AS "risk_grade"
FROM "t23" AS "t26"
CROSS JOIN (
  SELECT
    CASE
      WHEN "t27"."all_kept" > 0
      THEN "t27"."all_cost" / "t27"."all_kept"
      ELSE NULL
    END AS "mean_cost_all"
  FROM (
    SELECT
      SUM("t25"."cost_sum") AS "all_cost",
      SUM("t25"."n_kept") AS "all_kept"
    FROM "t23" AS "t25"
  ) AS "t27"
) AS "t31"
CROSS JOIN (
  SELECT
    AVG(LN("t24"."mortality")) AS "ln_mean",
    STDDEV_SAMP(LN("t24"."mortality")) AS "ln_sd"
  FROM (
    SELECT
      "t22"."drg",
      "t22"."n_stays",
      "t22"."n_kept",
      "t22"."cost_sum",
      "t22"."mean_los",
      "t22"."deaths",
      CAST("t22"."deaths" AS DOUBLE) / "t22"."n_stays" AS "mortality"
    FROM "t21" AS "t22"
    WHERE
      "t22"."deaths" > 0
  ) AS "t24"
) AS "t29"
