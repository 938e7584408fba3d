SELECT
  "t23"."stay_id",
  'dip-x' AS "scheme",
  CASE
    WHEN NOT (
      "t23"."diagnosis_valid"
    )
    THEN 'error'
    WHEN (
      "t23"."diagnosis_valid" AND (
        "t23"."core_group" IS NOT NULL
      )
    )
    OR (
      "t23"."diagnosis_valid"
      AND NOT (
        "t23"."diagnosis_valid" AND (
          "t23"."core_group" IS NOT NULL
        )
      )
      AND (
        "t23"."comp_group" IS NOT NULL
      )
    )
    THEN 'grouped'
    ELSE 'ungroupable'
  END AS "status",
  CASE
    WHEN "t23"."diagnosis" IS NULL
    THEN 'no_principal_diagnosis'
    WHEN NOT (
      "t23"."diagnosis_valid"
    )
    THEN 'invalid_principal_diagnosis'
    WHEN "t23"."diagnosis_valid" AND (
      "t23"."core_group" IS NOT NULL
    )
    THEN 'matched_core'
    WHEN "t23"."diagnosis_valid"
    AND NOT (
      "t23"."diagnosis_valid" AND (
        "t23"."core_group" IS NOT NULL
      )
    )
    AND (
      "t23"."comp_group" IS NOT NULL
    )
    THEN 'matched_comprehensive'
    ELSE 'no_catalogue_group'
  END AS "reason",
  CASE
    WHEN "t23"."diagnosis_valid" AND (
      "t23"."core_group" IS NOT NULL
    )
    THEN "t23"."core_group"
    WHEN "t23"."diagnosis_valid"
    AND NOT (
      "t23"."diagnosis_valid" AND (
        "t23"."core_group" IS NOT NULL
      )
    )
    AND (
      "t23"."comp_group" IS NOT NULL
    )
    THEN "t23"."comp_group"
    ELSE CAST(NULL AS TEXT)
  END AS "dip_group",
  CASE
    WHEN "t23"."diagnosis_valid" AND (
      "t23"."core_group" IS NOT NULL
    )
    THEN 'core'
    WHEN "t23"."diagnosis_valid"
    AND NOT (
      "t23"."diagnosis_valid" AND (
        "t23"."core_group" IS NOT NULL
      )
    )
    AND (
      "t23"."comp_group" IS NOT NULL
    )
    THEN 'comprehensive'
    ELSE CAST(NULL AS TEXT)
  END AS "dip_kind",
  CASE
    WHEN "t23"."diagnosis_valid" AND (
      "t23"."core_group" IS NOT NULL
    )
    THEN "t23"."core_name"
    WHEN "t23"."diagnosis_valid"
    AND NOT (
      "t23"."diagnosis_valid" AND (
        "t23"."core_group" IS NOT NULL
      )
    )
    AND (
      "t23"."comp_group" IS NOT NULL
    )
    THEN "t23"."comp_name"
    ELSE CAST(NULL AS TEXT)
  END AS "dip_name"
FROM (
  SELECT
    "t22"."stay_id",
    "t22"."diagnosis",
    "t22"."category",
    "t22"."diagnosis_valid",
    "t22"."procedures",
    "t22"."treatment",
    "t22"."treatment_rank",
    "t8"."core_group",
    "t8"."core_name",
    "t9"."comp_group",
    "t9"."comp_name"
  FROM (
    SELECT
      "t20"."stay_id",
      "t20"."diagnosis",
      "t20"."category",
      COALESCE(
        (
          "t20"."category" IS NOT NULL
        )
        AND REGEXP_MATCHES("t20"."category", '^[A-Z][0-9][0-9A-Z]'),
        FALSE
      ) AS "diagnosis_valid",
      COALESCE("t20"."procedures", '') AS "procedures",
      CASE
        WHEN "t20"."rank" = 1
        THEN 'diagnostic'
        WHEN "t20"."rank" = 2
        THEN 'therapeutic'
        WHEN "t20"."rank" = 3
        THEN 'surgical'
        ELSE 'conservative'
      END AS "treatment",
      COALESCE("t20"."rank", 0) AS "treatment_rank"
    FROM (
      SELECT
        "t19".*
        EXCLUDE ("stay_id_right")
      FROM (
        SELECT
          "t17"."stay_id",
          "t17"."diagnosis",
          "t17"."category",
          "t18"."stay_id" AS "stay_id_right",
          "t18"."procedures",
          "t18"."rank"
        FROM (
          SELECT
            "t14"."stay_id",
            "t14"."diagnosis",
            "t14"."category"
          FROM (
            SELECT
              "t7"."stay_id",
              "t12"."stay_id" AS "stay_id_right",
              "t12"."diagnosis",
              "t12"."category"
            FROM (
              SELECT
                "t1"."stay_id"
              FROM "stays" AS "t1"
            ) AS "t7"
            LEFT OUTER JOIN (
              SELECT
                "t3"."stay_id",
                CASE
                  WHEN (
                    LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g')) > 3
                  )
                  AND REGEXP_MATCHES(
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          3 + 1
                        ) >= 1
                        THEN 3 + 1
                        ELSE 3 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      1
                    ),
                    '^[0-9]$'
                  )
                  THEN SUBSTRING(
                    REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        0 + 1
                      ) >= 1
                      THEN 0 + 1
                      ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'))
                    END,
                    3
                  ) || '.' || SUBSTRING(
                    REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        3 + 1
                      ) >= 1
                      THEN 3 + 1
                      ELSE 3 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'))
                    END,
                    1
                  )
                  ELSE SUBSTRING(
                    REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        0 + 1
                      ) >= 1
                      THEN 0 + 1
                      ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'))
                    END,
                    3
                  )
                END AS "diagnosis",
                SUBSTRING(
                  REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'),
                  CASE
                    WHEN (
                      0 + 1
                    ) >= 1
                    THEN 0 + 1
                    ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t3"."code"), '[^A-Z0-9]', '', 'g'))
                  END,
                  3
                ) AS "category"
              FROM "stay_diagnoses" AS "t3"
              WHERE
                "t3"."seq" = 0
            ) AS "t12"
              ON "t7"."stay_id" = "t12"."stay_id"
          ) AS "t14"
        ) AS "t17"
        LEFT OUTER JOIN (
          SELECT
            "t13"."stay_id",
            ARRAY_TO_STRING(
              LIST_SORT(ARRAY_AGG(DISTINCT "t13"."proc") FILTER(WHERE
                "t13"."proc" IS NOT NULL)),
              '+'
            ) AS "procedures",
            MAX("t13"."rank") AS "rank"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t2"."stay_id",
                CASE
                  WHEN LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g')) > 2
                  THEN SUBSTRING(
                    REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        0 + 1
                      ) >= 1
                      THEN 0 + 1
                      ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                    END,
                    2
                  ) || '.' || SUBSTRING(
                    REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                    CASE
                      WHEN (
                        2 + 1
                      ) >= 1
                      THEN 2 + 1
                      ELSE 2 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                    END
                  )
                  ELSE REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g')
                END AS "proc",
                CASE
                  WHEN TRIM("t2"."procedure_kind", ' 	
') = '1'
                  THEN 3
                  WHEN TRIM("t2"."procedure_kind", ' 	
') = '2'
                  THEN 1
                  WHEN TRIM("t2"."procedure_kind", ' 	
') = '3'
                  THEN 2
                  WHEN TRIM("t2"."procedure_kind", ' 	
') = '4'
                  THEN 3
                  WHEN (
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
                    ) >= '011'
                  )
                  AND (
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
                    ) <= '011'
                  )
                  THEN 1
                  WHEN (
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
                    ) >= '332'
                  )
                  AND (
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
                    ) <= '332'
                  )
                  THEN 1
                  WHEN (
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
                    ) >= '372'
                  )
                  AND (
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
                    ) <= '372'
                  )
                  THEN 1
                  WHEN (
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
                    ) >= '422'
                  )
                  AND (
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
                    ) <= '422'
                  )
                  THEN 1
                  WHEN (
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
                    ) >= '441'
                  )
                  AND (
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
                    ) <= '441'
                  )
                  THEN 1
                  WHEN (
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
                    ) >= '451'
                  )
                  AND (
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
                    ) <= '452'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) >= '00'
                  )
                  AND (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) <= '86'
                  )
                  THEN 3
                  WHEN (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) >= '87'
                  )
                  AND (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) <= '91'
                  )
                  THEN 1
                  WHEN (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) >= '92'
                  )
                  AND (
                    SUBSTRING(
                      REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'),
                      CASE
                        WHEN (
                          0 + 1
                        ) >= 1
                        THEN 0 + 1
                        ELSE 0 + 1 + LENGTH(REGEXP_REPLACE(UPPER("t2"."code"), '[^A-Z0-9]', '', 'g'))
                      END,
                      2
                    ) <= '99'
                  )
                  THEN 2
                  ELSE 2
                END AS "rank"
              FROM "stay_procedures" AS "t2"
            ) AS "t10"
            WHERE
              "t10"."proc" IS NOT NULL AND "t10"."proc" <> ''
          ) AS "t13"
          GROUP BY
            1
        ) AS "t18"
          ON "t17"."stay_id" = "t18"."stay_id"
      ) AS "t19"
    ) AS "t20"
  ) AS "t22"
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
    ON "t22"."diagnosis" = "t8"."diagnosis" AND "t22"."procedures" = "t8"."procedures"
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
    ON "t22"."category" = "t9"."category" AND "t22"."treatment" = "t9"."treatment"
) AS "t23"
