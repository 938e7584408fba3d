WITH "t21" AS (
  SELECT
    *
  FROM (
    SELECT
      "t19"."stay_id",
      "t19"."diagnosis",
      "t19"."category",
      "t19"."diagnosis_valid",
      "t19"."procedures",
      "t19"."treatment",
      "t19"."treatment_rank",
      "t6"."cost"
    FROM (
      SELECT
        "t17"."stay_id",
        "t17"."diagnosis",
        "t17"."category",
        COALESCE(
          (
            "t17"."category" IS NOT NULL
          )
          AND REGEXP_MATCHES("t17"."category", '^[A-Z][0-9][0-9A-Z]'),
          FALSE
        ) AS "diagnosis_valid",
        COALESCE("t17"."procedures", '') AS "procedures",
        CASE
          WHEN "t17"."rank" = 1
          THEN 'diagnostic'
          WHEN "t17"."rank" = 2
          THEN 'therapeutic'
          WHEN "t17"."rank" = 3
          THEN 'surgical'
          ELSE 'conservative'
        END AS "treatment",
        COALESCE("t17"."rank", 0) AS "treatment_rank"
      FROM (
        SELECT
          "t16".*
          EXCLUDE ("stay_id_right")
        FROM (
          SELECT
            "t14"."stay_id",
            "t14"."diagnosis",
            "t14"."category",
            "t15"."stay_id" AS "stay_id_right",
            "t15"."procedures",
            "t15"."rank"
          FROM (
            SELECT
              "t11"."stay_id",
              "t11"."diagnosis",
              "t11"."category"
            FROM (
              SELECT
                "t4"."stay_id",
                "t9"."stay_id" AS "stay_id_right",
                "t9"."diagnosis",
                "t9"."category"
              FROM (
                SELECT
                  "t0"."stay_id"
                FROM "stays" AS "t0"
              ) AS "t4"
              LEFT OUTER JOIN (
                SELECT
                  "t2"."stay_id",
                  CASE
                    WHEN (
                      LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g')) > 3
                    )
                    AND REGEXP_MATCHES(
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            3 + 1
                          ) >= 1
                          THEN 3 + 1
                          ELSE 3 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        1
                      ),
                      '^[0-9]$'
                    )
                    THEN SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      3
                    ) || '.' || SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          3 + 1
                        ) >= 1
                        THEN 3 + 1
                        ELSE 3 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      1
                    )
                    ELSE SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      3
                    )
                  END AS "diagnosis",
                  SUBSTRING(
                    REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        0 + 1
                      ) >= 1
                      THEN 0 + 1
                      ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                    END,
                    3
                  ) AS "category"
                FROM "stay_diagnoses" AS "t2"
                WHERE
                  "t2"."seq" = 0
              ) AS "t9"
                ON "t4"."stay_id" = "t9"."stay_id"
            ) AS "t11"
          ) AS "t14"
          LEFT OUTER JOIN (
            SELECT
              "t10"."stay_id",
              ARRAY_TO_STRING(
                LIST_SORT(ARRAY_AGG(DISTINCT "t10"."proc") FILTER(WHERE
                  "t10"."proc" IS NOT NULL)),
                '+'
              ) AS "procedures",
              MAX("t10"."rank") AS "rank"
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  "t1"."stay_id",
                  CASE
                    WHEN LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g')) > 2
                    THEN SUBSTRING(
                      REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) || '.' || SUBSTRING(
                      REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          2 + 1
                        ) >= 1
                        THEN 2 + 1
                        ELSE 2 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                      END
                    )
                    ELSE REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g')
                  END AS "proc",
                  CASE
                    WHEN TRIM("t1"."procedure_kind", ' 	
') = '1'
                    THEN 3
                    WHEN TRIM("t1"."procedure_kind", ' 	
') = '2'
                    THEN 1
                    WHEN TRIM("t1"."procedure_kind", ' 	
') = '3'
                    THEN 2
                    WHEN TRIM("t1"."procedure_kind", ' 	
') = '4'
                    THEN 3
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '011'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '011'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '332'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '332'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '372'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '372'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '422'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '422'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '441'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '441'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) >= '451'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        3
                      ) <= '452'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) >= '00'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) <= '86'
                    )
                    THEN 3
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) >= '87'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) <= '91'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) >= '92'
                    )
                    AND (
                      SUBSTRING(
                        REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'),
                        CASE
                          WHEN (
                            0 + 1
                          ) >= 1
                          THEN 0 + 1
                          ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g'))
                        END,
                        2
                      ) <= '99'
                    )
                    THEN 2
                    ELSE 2
                  END AS "rank"
                FROM "stay_procedures" AS "t1"
              ) AS "t7"
              WHERE
                "t7"."proc" IS NOT NULL AND "t7"."proc" <> ''
            ) AS "t10"
            GROUP BY
              1
          ) AS "t15"
            ON "t14"."stay_id" = "t15"."stay_id"
        ) AS "t16"
      ) AS "t17"
    ) AS "t19"
    INNER JOIN (
      SELECT
        "t0"."stay_id",
        CAST("t0"."cost_total" AS DOUBLE) AS "cost"
      FROM "stays" AS "t0"
    ) AS "t6"
      ON "t19"."stay_id" = "t6"."stay_id"
  ) AS "t20"
  WHERE
    "t20"."diagnosis_valid" AND "t20"."cost" IS NOT NULL AND "t20"."cost" > 0
), "t28" AS (
  SELECT
    "t27"."dip_group",
    "t27"."dip_kind",
    "t27"."dip_name",
    "t27"."group_diagnosis",
    "t27"."group_procedures",
    COUNT(*) AS "n_stays",
    COUNT(*) FILTER(WHERE
      "t27"."kept") AS "n_kept",
    SUM("t27"."cost") FILTER(WHERE
      "t27"."kept") AS "cost_sum",
    MAX("t27"."treatment_rank") AS "rank"
  FROM (
    SELECT
      "t26"."stay_id",
      "t26"."diagnosis",
      "t26"."category",
      "t26"."diagnosis_valid",
      "t26"."procedures",
      "t26"."treatment",
      "t26"."treatment_rank",
      "t26"."cost",
      "t26"."combo_n",
      CASE
        WHEN "t26"."combo_n" >= 15
        THEN "t26"."diagnosis" || '|' || CASE WHEN "t26"."procedures" = '' THEN '-' ELSE "t26"."procedures" END
        ELSE "t26"."category" || '|*' || "t26"."treatment"
      END AS "dip_group",
      CASE WHEN "t26"."combo_n" >= 15 THEN 'core' ELSE 'comprehensive' END AS "dip_kind",
      CASE
        WHEN "t26"."combo_n" >= 15
        THEN "t26"."diagnosis" || CASE
          WHEN "t26"."procedures" = ''
          THEN ' 保守治疗'
          ELSE ' 手术操作 ' || "t26"."procedures"
        END
        ELSE "t26"."category" || ' 综合病种·' || CASE
          WHEN "t26"."treatment" = 'conservative'
          THEN '保守治疗组'
          WHEN "t26"."treatment" = 'diagnostic'
          THEN '诊断性操作组'
          WHEN "t26"."treatment" = 'therapeutic'
          THEN '治疗性操作组'
          WHEN "t26"."treatment" = 'surgical'
          THEN '相关手术组'
          ELSE "t26"."treatment"
        END
      END AS "dip_name",
      CASE WHEN "t26"."combo_n" >= 15 THEN "t26"."diagnosis" ELSE "t26"."category" END AS "group_diagnosis",
      CASE WHEN "t26"."combo_n" >= 15 THEN "t26"."procedures" ELSE '' END AS "group_procedures",
      CAST(NULL AS DOUBLE) AS "trim_lower",
      CAST(NULL AS DOUBLE) AS "trim_upper",
      (
        "t26"."cost" IS NOT NULL
      ) AND (
        "t26"."cost" > 0
      ) AS "kept"
    FROM (
      SELECT
        "t23"."stay_id",
        "t23"."diagnosis",
        "t23"."category",
        "t23"."diagnosis_valid",
        "t23"."procedures",
        "t23"."treatment",
        "t23"."treatment_rank",
        "t23"."cost",
        "t25"."combo_n"
      FROM "t21" AS "t23"
      INNER JOIN (
        SELECT
          "t22"."diagnosis",
          "t22"."procedures",
          COUNT(*) AS "combo_n"
        FROM "t21" AS "t22"
        GROUP BY
          1,
          2
      ) AS "t25"
        ON "t23"."diagnosis" = "t25"."diagnosis" AND "t23"."procedures" = "t25"."procedures"
    ) AS "t26"
  ) AS "t27"
  GROUP BY
    1,
    2,
    3,
    4,
    5
)
SELECT
  *
FROM (
  SELECT
    "t30"."dip_group",
    "t30"."dip_kind",
    "t30"."dip_name",
    "t30"."group_diagnosis" AS "diagnosis",
    "t30"."group_procedures" AS "procedures",
    CASE
      WHEN "t30"."rank" = 1
      THEN 'diagnostic'
      WHEN "t30"."rank" = 2
      THEN 'therapeutic'
      WHEN "t30"."rank" = 3
      THEN 'surgical'
      ELSE 'conservative'
    END AS "treatment",
    "t30"."n_stays",
    CASE
      WHEN "t30"."n_kept" > 0
      THEN "t30"."cost_sum" / "t30"."n_kept"
      ELSE CAST(NULL AS DOUBLE)
    END AS "mean_cost",
    (
      CASE
        WHEN "t30"."n_kept" > 0
        THEN "t30"."cost_sum" / "t30"."n_kept"
        ELSE CAST(NULL AS DOUBLE)
      END / "t32"."mean_cost_all"
    ) * 1000 AS "points"
  FROM "t28" AS "t30"
  CROSS JOIN (
    SELECT
      SUM("t29"."cost_sum") / NULLIF(SUM("t29"."n_kept"), 0) AS "mean_cost_all"
    FROM "t28" AS "t29"
  ) AS "t32"
) AS "t33"
ORDER BY
  "t33"."dip_group" ASC
