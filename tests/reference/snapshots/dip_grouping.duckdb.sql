SELECT
  "t25"."stay_id",
  'dip-x' AS "scheme",
  CASE
    WHEN NOT (
      "t25"."diagnosis_valid"
    )
    THEN 'error'
    WHEN (
      "t25"."diagnosis_valid" AND (
        "t25"."core_group" IS NOT NULL
      )
    )
    OR (
      "t25"."diagnosis_valid"
      AND NOT (
        "t25"."diagnosis_valid" AND (
          "t25"."core_group" IS NOT NULL
        )
      )
      AND (
        "t25"."comp_group" IS NOT NULL
      )
    )
    THEN 'grouped'
    ELSE 'ungroupable'
  END AS "status",
  CASE
    WHEN "t25"."diagnosis" IS NULL
    THEN 'no_principal_diagnosis'
    WHEN NOT (
      "t25"."diagnosis_valid"
    )
    THEN 'invalid_principal_diagnosis'
    WHEN "t25"."diagnosis_valid" AND (
      "t25"."core_group" IS NOT NULL
    )
    THEN 'matched_core'
    WHEN "t25"."diagnosis_valid"
    AND NOT (
      "t25"."diagnosis_valid" AND (
        "t25"."core_group" IS NOT NULL
      )
    )
    AND (
      "t25"."comp_group" IS NOT NULL
    )
    THEN 'matched_comprehensive'
    ELSE 'no_catalogue_group'
  END AS "reason",
  CASE
    WHEN "t25"."diagnosis_valid" AND (
      "t25"."core_group" IS NOT NULL
    )
    THEN "t25"."core_group"
    WHEN "t25"."diagnosis_valid"
    AND NOT (
      "t25"."diagnosis_valid" AND (
        "t25"."core_group" IS NOT NULL
      )
    )
    AND (
      "t25"."comp_group" IS NOT NULL
    )
    THEN "t25"."comp_group"
    ELSE CAST(NULL AS TEXT)
  END AS "dip_group",
  CASE
    WHEN "t25"."diagnosis_valid" AND (
      "t25"."core_group" IS NOT NULL
    )
    THEN 'core'
    WHEN "t25"."diagnosis_valid"
    AND NOT (
      "t25"."diagnosis_valid" AND (
        "t25"."core_group" IS NOT NULL
      )
    )
    AND (
      "t25"."comp_group" IS NOT NULL
    )
    THEN 'comprehensive'
    ELSE CAST(NULL AS TEXT)
  END AS "dip_kind",
  CASE
    WHEN "t25"."diagnosis_valid" AND (
      "t25"."core_group" IS NOT NULL
    )
    THEN "t25"."core_name"
    WHEN "t25"."diagnosis_valid"
    AND NOT (
      "t25"."diagnosis_valid" AND (
        "t25"."core_group" IS NOT NULL
      )
    )
    AND (
      "t25"."comp_group" IS NOT NULL
    )
    THEN "t25"."comp_name"
    ELSE CAST(NULL AS TEXT)
  END AS "dip_name"
FROM (
  SELECT
    "t24"."stay_id",
    "t24"."diagnosis",
    "t24"."category",
    "t24"."diagnosis_valid",
    "t24"."procedures",
    "t24"."treatment",
    "t24"."treatment_rank",
    "t8"."core_group",
    "t8"."core_name",
    "t9"."comp_group",
    "t9"."comp_name"
  FROM (
    SELECT
      "t22"."stay_id",
      "t22"."diagnosis",
      "t22"."category",
      COALESCE(
        (
          "t22"."category" IS NOT NULL
        )
        AND REGEXP_MATCHES("t22"."category", '^[A-Z][0-9][0-9A-Z]'),
        FALSE
      ) AS "diagnosis_valid",
      COALESCE("t22"."procedures", '') AS "procedures",
      CASE
        WHEN "t22"."rank" = 1
        THEN 'diagnostic'
        WHEN "t22"."rank" = 2
        THEN 'therapeutic'
        WHEN "t22"."rank" = 3
        THEN 'surgical'
        ELSE 'conservative'
      END AS "treatment",
      COALESCE("t22"."rank", 0) AS "treatment_rank"
    FROM (
      SELECT
        "t21".*
        EXCLUDE ("stay_id_right")
      FROM (
        SELECT
          "t18"."stay_id",
          "t18"."diagnosis",
          "t18"."category",
          "t20"."stay_id" AS "stay_id_right",
          "t20"."procedures",
          "t20"."rank"
        FROM (
          SELECT
            "t16"."stay_id",
            "t16"."diagnosis",
            "t16"."category"
          FROM (
            SELECT
              "t7"."stay_id",
              "t14"."stay_id" AS "stay_id_right",
              "t14"."diagnosis",
              "t14"."category"
            FROM (
              SELECT
                "t1"."stay_id"
              FROM "stays" AS "t1"
            ) AS "t7"
            LEFT OUTER JOIN (
              SELECT
                "t11"."stay_id",
                CASE
                  WHEN (
                    LENGTH("t11"."clean") > 3
                  )
                  AND REGEXP_MATCHES(
                    SUBSTRING(
                      "t11"."clean",
                      CASE WHEN (
                        3 + 1
                      ) >= 1 THEN 3 + 1 ELSE 3 + 1 + LENGTH("t11"."clean") END,
                      1
                    ),
                    '^[0-9]$'
                  )
                  THEN SUBSTRING(
                    "t11"."clean",
                    CASE WHEN (
                      0 + 1
                    ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t11"."clean") END,
                    3
                  ) || '.' || SUBSTRING(
                    "t11"."clean",
                    CASE WHEN (
                      3 + 1
                    ) >= 1 THEN 3 + 1 ELSE 3 + 1 + LENGTH("t11"."clean") END,
                    1
                  )
                  ELSE SUBSTRING(
                    "t11"."clean",
                    CASE WHEN (
                      0 + 1
                    ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t11"."clean") END,
                    3
                  )
                END AS "diagnosis",
                SUBSTRING(
                  "t11"."clean",
                  CASE WHEN (
                    0 + 1
                  ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t11"."clean") END,
                  3
                ) AS "category"
              FROM (
                SELECT
                  "t3"."stay_id",
                  REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g') AS "clean"
                FROM "stay_diagnoses" AS "t3"
                WHERE
                  "t3"."seq" = 0
              ) AS "t11"
            ) AS "t14"
              ON "t7"."stay_id" = "t14"."stay_id"
          ) AS "t16"
        ) AS "t18"
        LEFT OUTER JOIN (
          SELECT
            "t15"."stay_id",
            ARRAY_TO_STRING(
              LIST_SORT(
                CASE
                  WHEN ARRAY_AGG("t15"."proc") FILTER(WHERE
                    "t15"."proc" IS NOT NULL) IS NULL
                  THEN NULL
                  ELSE LIST_DISTINCT(ARRAY_AGG("t15"."proc") FILTER(WHERE
                    "t15"."proc" IS NOT NULL)) + CASE
                    WHEN LIST_BOOL_OR(
                      LIST_APPLY(
                        ARRAY_AGG("t15"."proc") FILTER(WHERE
                          "t15"."proc" IS NOT NULL),
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
            MAX("t15"."rank") AS "rank"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t10"."stay_id",
                CASE
                  WHEN LENGTH("t10"."clean") > 2
                  THEN SUBSTRING(
                    "t10"."clean",
                    CASE WHEN (
                      0 + 1
                    ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                    2
                  ) || '.' || SUBSTRING(
                    "t10"."clean",
                    CASE WHEN (
                      2 + 1
                    ) >= 1 THEN 2 + 1 ELSE 2 + 1 + LENGTH("t10"."clean") END
                  )
                  ELSE "t10"."clean"
                END AS "proc",
                CASE
                  WHEN TRIM("t10"."procedure_kind", ' 	
') = '1'
                  THEN 3
                  WHEN TRIM("t10"."procedure_kind", ' 	
') = '2'
                  THEN 1
                  WHEN TRIM("t10"."procedure_kind", ' 	
') = '3'
                  THEN 2
                  WHEN TRIM("t10"."procedure_kind", ' 	
') = '4'
                  THEN 3
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '011'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '011'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '332'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '332'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '372'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '372'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '422'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '422'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '441'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '441'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) >= '451'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      3
                    ) <= '452'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) >= '00'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) <= '86'
                  )
                  THEN 3
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) >= '87'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) <= '91'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) >= '92'
                  )
                  AND (
                    SUBSTRING(
                      "t10"."clean",
                      CASE WHEN (
                        0 + 1
                      ) >= 1 THEN 0 + 1 ELSE 0 + 1 + LENGTH("t10"."clean") END,
                      2
                    ) <= '99'
                  )
                  THEN 2
                  ELSE 2
                END AS "rank"
              FROM (
                SELECT
                  "t2"."stay_id",
                  "t2"."procedure_kind",
                  REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g') AS "clean"
                FROM "stay_procedures" AS "t2"
              ) AS "t10"
            ) AS "t12"
            WHERE
              "t12"."proc" IS NOT NULL AND "t12"."proc" <> ''
          ) AS "t15"
          GROUP BY
            1
        ) AS "t20"
          ON "t18"."stay_id" = "t20"."stay_id"
      ) AS "t21"
    ) AS "t22"
  ) AS "t24"
  LEFT OUTER JOIN (
    SELECT
      "t0"."diagnosis",
      "t0"."procedures",
      "t0"."dip_group" AS "core_group",
      "t0"."dip_name" AS "core_name"
    FROM "dip_catalogue" AS "t0"
    WHERE
      "t0"."dip_kind" = 'core'
  ) AS "t8"
    ON "t24"."diagnosis" = "t8"."diagnosis" AND "t24"."procedures" = "t8"."procedures"
  LEFT OUTER JOIN (
    SELECT
      "t0"."diagnosis" AS "category",
      "t0"."treatment",
      "t0"."dip_group" AS "comp_group",
      "t0"."dip_name" AS "comp_name"
    FROM "dip_catalogue" AS "t0"
    WHERE
      "t0"."dip_kind" = 'comprehensive'
  ) AS "t9"
    ON "t24"."category" = "t9"."category" AND "t24"."treatment" = "t9"."treatment"
) AS "t25"
