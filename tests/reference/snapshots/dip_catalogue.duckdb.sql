WITH "t23" AS (
  SELECT
    *
  FROM (
    SELECT
      "t21"."stay_id",
      "t21"."diagnosis",
      "t21"."category",
      "t21"."diagnosis_valid",
      "t21"."procedures",
      "t21"."treatment",
      "t21"."treatment_rank",
      "t6"."cost"
    FROM (
      SELECT
        "t19"."stay_id",
        "t19"."diagnosis",
        "t19"."category",
        COALESCE(
          (
            "t19"."category" IS NOT NULL
          )
          AND REGEXP_MATCHES("t19"."category", '^[A-Z][0-9][0-9A-Z]'),
          FALSE
        ) AS "diagnosis_valid",
        COALESCE("t19"."procedures", '') AS "procedures",
        CASE
          WHEN "t19"."rank" = 1
          THEN 'diagnostic'
          WHEN "t19"."rank" = 2
          THEN 'therapeutic'
          WHEN "t19"."rank" = 3
          THEN 'surgical'
          ELSE 'conservative'
        END AS "treatment",
        COALESCE("t19"."rank", 0) AS "treatment_rank"
      FROM (
        SELECT
          "t18".*
          EXCLUDE ("stay_id_right")
        FROM (
          SELECT
            "t15"."stay_id",
            "t15"."diagnosis",
            "t15"."category",
            "t17"."stay_id" AS "stay_id_right",
            "t17"."procedures",
            "t17"."rank"
          FROM (
            SELECT
              "t13"."stay_id",
              "t13"."diagnosis",
              "t13"."category"
            FROM (
              SELECT
                "t4"."stay_id",
                "t11"."stay_id" AS "stay_id_right",
                "t11"."diagnosis",
                "t11"."category"
              FROM (
                SELECT
                  "t0"."stay_id"
                FROM "stays" AS "t0"
              ) AS "t4"
              LEFT OUTER JOIN (
                SELECT
                  "t8"."stay_id",
                  CASE
                    WHEN (
                      LENGTH("t8"."clean") > 3
                    )
                    AND REGEXP_MATCHES(
                      SUBSTRING(
                        "t8"."clean",
                        CASE WHEN (
                          3 + 1
                        ) >= 1 THEN 3 + 1 ELSE 3 + 1 + LENGTH("t8"."clean") END,
                        1
                      ),
                      '^[0-9]$'
                    )
                    THEN SUBSTRING(
                      "t8"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t8"."clean") END,
                      3
                    ) || '.' || SUBSTRING(
                      "t8"."clean",
                      CASE WHEN (
                        3 + 1
                      ) >= 1 THEN 3 + 1 ELSE 3 + 1 + LENGTH("t8"."clean") END,
                      1
                    )
                    ELSE SUBSTRING(
                      "t8"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t8"."clean") END,
                      3
                    )
                  END AS "diagnosis",
                  SUBSTRING(
                    "t8"."clean",
                    CASE WHEN (
                      0 + 1
                    ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t8"."clean") END,
                    3
                  ) AS "category"
                FROM (
                  SELECT
                    "t2"."stay_id",
                    REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g') AS "clean"
                  FROM "stay_diagnoses" AS "t2"
                  WHERE
                    "t2"."seq" = 0
                ) AS "t8"
              ) AS "t11"
                ON "t4"."stay_id" = "t11"."stay_id"
            ) AS "t13"
          ) AS "t15"
          LEFT OUTER JOIN (
            SELECT
              "t12"."stay_id",
              ARRAY_TO_STRING(
                LIST_SORT(
                  CASE
                    WHEN ARRAY_AGG("t12"."proc") FILTER(WHERE
                      "t12"."proc" IS NOT NULL) IS NULL
                    THEN NULL
                    ELSE LIST_DISTINCT(ARRAY_AGG("t12"."proc") FILTER(WHERE
                      "t12"."proc" IS NOT NULL)) + CASE
                      WHEN LIST_BOOL_OR(
                        LIST_APPLY(
                          ARRAY_AGG("t12"."proc") FILTER(WHERE
                            "t12"."proc" IS NOT NULL),
                          LAMBDA x : x IS NULL
                        )
                      )
                      THEN [NULL]
                      ELSE []
                    END
                  END
                ),
                '+'
              ) AS "procedures",
              MAX("t12"."rank") AS "rank"
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  "t7"."stay_id",
                  CASE
                    WHEN LENGTH("t7"."clean") > 2
                    THEN SUBSTRING(
                      "t7"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                      2
                    ) || '.' || SUBSTRING(
                      "t7"."clean",
                      CASE WHEN (
                        2 + 1
                      ) >= 1 THEN 2 + 1 ELSE 2 + 1 + LENGTH("t7"."clean") END
                    )
                    ELSE "t7"."clean"
                  END AS "proc",
                  CASE
                    WHEN TRIM("t7"."procedure_kind", ' 	
') = '1'
                    THEN 3
                    WHEN TRIM("t7"."procedure_kind", ' 	
') = '2'
                    THEN 1
                    WHEN TRIM("t7"."procedure_kind", ' 	
') = '3'
                    THEN 2
                    WHEN TRIM("t7"."procedure_kind", ' 	
') = '4'
                    THEN 3
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '011'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '011'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '332'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '332'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '372'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '372'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '422'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '422'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '441'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '441'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) >= '451'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        3
                      ) <= '452'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) >= '00'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) <= '86'
                    )
                    THEN 3
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) >= '87'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) <= '91'
                    )
                    THEN 1
                    WHEN (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) >= '92'
                    )
                    AND (
                      SUBSTRING(
                        "t7"."clean",
                        CASE WHEN (
                          0 + 1
                        ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t7"."clean") END,
                        2
                      ) <= '99'
                    )
                    THEN 2
                    ELSE 2
                  END AS "rank"
                FROM (
                  SELECT
                    "t1"."stay_id",
                    "t1"."procedure_kind",
                    REGEXP_REPLACE(UPPER("t1"."code"), '[^A-Z0-9]', '', 'g') AS "clean"
                  FROM "stay_procedures" AS "t1"
                ) AS "t7"
              ) AS "t9"
              WHERE
                "t9"."proc" IS NOT NULL AND "t9"."proc" <> ''
            ) AS "t12"
            GROUP BY
              1
          ) AS "t17"
            ON "t15"."stay_id" = "t17"."stay_id"
        ) AS "t18"
      ) AS "t19"
    ) AS "t21"
    INNER JOIN (
      SELECT
        "t0"."stay_id",
        CAST("t0"."cost_total" AS DOUBLE) AS "cost"
      FROM "stays" AS "t0"
    ) AS "t6"
      ON "t21"."stay_id" = "t6"."stay_id"
  ) AS "t22"
  WHERE
    "t22"."diagnosis_valid" AND "t22"."cost" IS NOT NULL AND "t22"."cost" > 0
), "t30" AS (
  SELECT
    "t29"."dip_group",
    "t29"."dip_kind",
    "t29"."dip_name",
    "t29"."group_diagnosis",
    "t29"."group_procedures",
    COUNT(*) AS "n_stays",
    COUNT(*) FILTER(WHERE
      "t29"."kept") AS "n_kept",
    SUM("t29"."cost") FILTER(WHERE
      "t29"."kept") AS "cost_sum",
    MAX("t29"."treatment_rank") AS "rank"
  FROM (
    SELECT
      "t28"."stay_id",
      "t28"."diagnosis",
      "t28"."category",
      "t28"."diagnosis_valid",
      "t28"."procedures",
      "t28"."treatment",
      "t28"."treatment_rank",
      "t28"."cost",
      "t28"."combo_n",
      CASE
        WHEN "t28"."combo_n" >= 15
        THEN "t28"."diagnosis" || '|' || CASE WHEN "t28"."procedures" = '' THEN '-' ELSE "t28"."procedures" END
        ELSE "t28"."category" || '|*' || "t28"."treatment"
      END AS "dip_group",
      CASE WHEN "t28"."combo_n" >= 15 THEN 'core' ELSE 'comprehensive' END AS "dip_kind",
      CASE
        WHEN "t28"."combo_n" >= 15
        THEN "t28"."diagnosis" || CASE
          WHEN "t28"."procedures" = ''
          THEN ' 保守治疗'
          ELSE ' 手术操作 ' || "t28"."procedures"
        END
        ELSE "t28"."category" || ' 综合病种·' || CASE
          WHEN "t28"."treatment" = 'conservative'
          THEN '保守治疗组'
          WHEN "t28"."treatment" = 'diagnostic'
          THEN '诊断性操作组'
          WHEN "t28"."treatment" = 'therapeutic'
          THEN '治疗性操作组'
          WHEN "t28"."treatment" = 'surgical'
          THEN '相关手术组'
          ELSE "t28"."treatment"
        END
      END AS "dip_name",
      CASE WHEN "t28"."combo_n" >= 15 THEN "t28"."diagnosis" ELSE "t28"."category" END AS "group_diagnosis",
      CASE WHEN "t28"."combo_n" >= 15 THEN "t28"."procedures" ELSE '' END AS "group_procedures",
      CAST(NULL AS DOUBLE) AS "trim_lower",
      CAST(NULL AS DOUBLE) AS "trim_upper",
      (
        "t28"."cost" IS NOT NULL
      ) AND (
        "t28"."cost" > 0
      ) AS "kept"
    FROM (
      SELECT
        "t25"."stay_id",
        "t25"."diagnosis",
        "t25"."category",
        "t25"."diagnosis_valid",
        "t25"."procedures",
        "t25"."treatment",
        "t25"."treatment_rank",
        "t25"."cost",
        "t27"."combo_n"
      FROM "t23" AS "t25"
      INNER JOIN (
        SELECT
          "t24"."diagnosis",
          "t24"."procedures",
          COUNT(*) AS "combo_n"
        FROM "t23" AS "t24"
        GROUP BY
          1,
          2
      ) AS "t27"
        ON "t25"."diagnosis" = "t27"."diagnosis" AND "t25"."procedures" = "t27"."procedures"
    ) AS "t28"
  ) AS "t29"
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
    "t32"."dip_group",
    "t32"."dip_kind",
    "t32"."dip_name",
    "t32"."group_diagnosis" AS "diagnosis",
    "t32"."group_procedures" AS "procedures",
    CASE
      WHEN "t32"."rank" = 1
      THEN 'diagnostic'
      WHEN "t32"."rank" = 2
      THEN 'therapeutic'
      WHEN "t32"."rank" = 3
      THEN 'surgical'
      ELSE 'conservative'
    END AS "treatment",
    "t32"."n_stays",
    CASE
      WHEN "t32"."n_kept" > 0
      THEN "t32"."cost_sum" / "t32"."n_kept"
      ELSE CAST(NULL AS DOUBLE)
    END AS "mean_cost",
    (
      CASE
        WHEN "t32"."n_kept" > 0
        THEN "t32"."cost_sum" / "t32"."n_kept"
        ELSE CAST(NULL AS DOUBLE)
      END / "t34"."mean_cost_all"
    ) * 1000 AS "points"
  FROM "t30" AS "t32"
  CROSS JOIN (
    SELECT
      SUM("t31"."cost_sum") / NULLIF(SUM("t31"."n_kept"), 0) AS "mean_cost_all"
    FROM "t30" AS "t31"
  ) AS "t34"
) AS "t35"
ORDER BY
  "t35"."dip_group" ASC
