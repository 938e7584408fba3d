WITH "t11" AS (
  SELECT
    "t10"."stay_id",
    "t10"."hospital_id",
    NOT (
      (
        "t10"."payer" IS NOT NULL
      ) AND (
        TRIM("t10"."payer") <> ''
      )
    ) AS "v0",
    COALESCE(COALESCE("t10"."discharge_disposition" IN ('5'), FALSE), FALSE)
    AND NOT (
      (
        "t10"."autopsy" IS NOT NULL
      ) AND (
        TRIM("t10"."autopsy") <> ''
      )
    ) AS "v1",
    COALESCE(COALESCE("t10"."discharge_disposition" IN ('5'), FALSE), FALSE) AS "a1",
    COALESCE(COALESCE("t10"."_f0", FALSE), FALSE)
    AND NOT (
      COALESCE(COALESCE("t10"."_f1", FALSE), FALSE)
    ) AS "v2",
    COALESCE(COALESCE("t10"."_f0", FALSE), FALSE) AS "a2",
    COALESCE("t10"."_dup0", FALSE) AS "v3"
  FROM (
    SELECT
      "t5"."stay_id",
      "t5"."hospital_id",
      "t5"."patient_id",
      "t5"."admission_count",
      "t5"."payer",
      "t5"."sex",
      "t5"."birth_date",
      "t5"."age_years",
      "t5"."age_days",
      "t5"."birth_weight_g",
      "t5"."admission_weight_g",
      "t5"."admission_route",
      "t5"."admit_time",
      "t5"."admit_dept",
      "t5"."discharge_time",
      "t5"."discharge_dept",
      "t5"."los_days",
      "t5"."attending_doctor",
      "t5"."director_doctor",
      "t5"."external_cause_code",
      "t5"."pathology_code",
      "t5"."discharge_disposition",
      "t5"."receiving_institution",
      "t5"."autopsy",
      "t5"."readmission_plan_31d",
      "t5"."day_surgery",
      "t5"."icu_hours",
      "t5"."ventilator_hours",
      "t5"."cost_total",
      "t5"."cost_self_pay",
      "t5"."cost_general_service",
      "t5"."cost_general_treatment",
      "t5"."cost_nursing",
      "t5"."cost_service_other",
      "t5"."cost_pathology",
      "t5"."cost_lab",
      "t5"."cost_imaging",
      "t5"."cost_clinical_diagnosis",
      "t5"."cost_nonsurgical_treatment",
      "t5"."cost_physical_therapy",
      "t5"."cost_surgical_treatment",
      "t5"."cost_anaesthesia",
      "t5"."cost_surgery",
      "t5"."cost_rehabilitation",
      "t5"."cost_tcm_treatment",
      "t5"."cost_western_drugs",
      "t5"."cost_antibiotics",
      "t5"."cost_chinese_patent_drugs",
      "t5"."cost_chinese_herbal_drugs",
      "t5"."cost_blood",
      "t5"."cost_albumin",
      "t5"."cost_globulin",
      "t5"."cost_coagulation_factor",
      "t5"."cost_cytokine",
      "t5"."cost_consumables_exam",
      "t5"."cost_consumables_treatment",
      "t5"."cost_consumables_surgery",
      "t5"."cost_other",
      "t5"."source_file",
      "t5"."source_row",
      "t5"."load_id",
      "t5"."age_in_days",
      "t9"."_f0",
      "t9"."_f1",
      COALESCE("t6"."_hit", FALSE) AS "_dup0"
    FROM (
      SELECT
        "t0"."stay_id",
        "t0"."hospital_id",
        "t0"."patient_id",
        "t0"."admission_count",
        "t0"."payer",
        "t0"."sex",
        "t0"."birth_date",
        "t0"."age_years",
        "t0"."age_days",
        "t0"."birth_weight_g",
        "t0"."admission_weight_g",
        "t0"."admission_route",
        "t0"."admit_time",
        "t0"."admit_dept",
        "t0"."discharge_time",
        "t0"."discharge_dept",
        "t0"."los_days",
        "t0"."attending_doctor",
        "t0"."director_doctor",
        "t0"."external_cause_code",
        "t0"."pathology_code",
        "t0"."discharge_disposition",
        "t0"."receiving_institution",
        "t0"."autopsy",
        "t0"."readmission_plan_31d",
        "t0"."day_surgery",
        "t0"."icu_hours",
        "t0"."ventilator_hours",
        "t0"."cost_total",
        "t0"."cost_self_pay",
        "t0"."cost_general_service",
        "t0"."cost_general_treatment",
        "t0"."cost_nursing",
        "t0"."cost_service_other",
        "t0"."cost_pathology",
        "t0"."cost_lab",
        "t0"."cost_imaging",
        "t0"."cost_clinical_diagnosis",
        "t0"."cost_nonsurgical_treatment",
        "t0"."cost_physical_therapy",
        "t0"."cost_surgical_treatment",
        "t0"."cost_anaesthesia",
        "t0"."cost_surgery",
        "t0"."cost_rehabilitation",
        "t0"."cost_tcm_treatment",
        "t0"."cost_western_drugs",
        "t0"."cost_antibiotics",
        "t0"."cost_chinese_patent_drugs",
        "t0"."cost_chinese_herbal_drugs",
        "t0"."cost_blood",
        "t0"."cost_albumin",
        "t0"."cost_globulin",
        "t0"."cost_coagulation_factor",
        "t0"."cost_cytokine",
        "t0"."cost_consumables_exam",
        "t0"."cost_consumables_treatment",
        "t0"."cost_consumables_surgery",
        "t0"."cost_other",
        "t0"."source_file",
        "t0"."source_row",
        "t0"."load_id",
        CASE
          WHEN CAST("t0"."age_years" AS INT) >= 1
          THEN CAST("t0"."age_years" AS INT) * 365
          ELSE CAST("t0"."age_days" AS INT)
        END AS "age_in_days"
      FROM "stays" AS "t0"
    ) AS "t5"
    LEFT OUTER JOIN (
      SELECT
        "t7"."stay_id" AS "_fk",
        "t7"."_f0",
        "t7"."_f1"
      FROM (
        SELECT
          "t1"."stay_id",
          BOOL_OR(
            CAST(COALESCE(
              (
                "t1"."stay_id" IS NOT NULL
              )
              AND SUBSTRING(
                REPLACE(UPPER("t1"."code"), '.', ''),
                CASE
                  WHEN (
                    0 + 1
                  ) >= 1
                  THEN 0 + 1
                  ELSE 0 + 1 + LENGTH(REPLACE(UPPER("t1"."code"), '.', ''))
                END,
                3
              ) BETWEEN 'O80' AND 'O84',
              FALSE
            ) AS BOOLEAN)
          ) AS "_f0",
          BOOL_OR(
            CAST(COALESCE(
              (
                "t1"."seq" > 0
              ) AND STARTS_WITH(REPLACE(UPPER("t1"."code"), '.', ''), 'Z37'),
              FALSE
            ) AS BOOLEAN)
          ) AS "_f1"
        FROM "stay_diagnoses" AS "t1"
        GROUP BY
          1
      ) AS "t7"
    ) AS "t9"
      ON "t5"."stay_id" = "t9"."_fk"
    LEFT OUTER JOIN (
      SELECT
        "t2"."hospital_id" AS "_dk0",
        "t2"."patient_id" AS "_dk1",
        "t2"."admit_time" AS "_dk2",
        TRUE AS "_hit"
      FROM (
        SELECT
          "t0"."hospital_id",
          "t0"."patient_id",
          "t0"."admit_time",
          COUNT(*) AS "_n"
        FROM "stays" AS "t0"
        GROUP BY
          1,
          2,
          3
      ) AS "t2"
      WHERE
        "t2"."_n" > 1
    ) AS "t6"
      ON "t5"."hospital_id" = "t6"."_dk0"
      AND "t5"."patient_id" = "t6"."_dk1"
      AND "t5"."admit_time" = "t6"."_dk2"
  ) AS "t10"
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t12"."stay_id",
      "t12"."hospital_id",
      0 AS "rule_number"
    FROM "t11" AS "t12"
    WHERE
      "t12"."v0"
  ) AS "t13"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t12"."stay_id",
      "t12"."hospital_id",
      1 AS "rule_number"
    FROM "t11" AS "t12"
    WHERE
      "t12"."v1"
  ) AS "t14"
) AS "t17"
UNION ALL
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t12"."stay_id",
      "t12"."hospital_id",
      2 AS "rule_number"
    FROM "t11" AS "t12"
    WHERE
      "t12"."v2"
  ) AS "t15"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t12"."stay_id",
      "t12"."hospital_id",
      3 AS "rule_number"
    FROM "t11" AS "t12"
    WHERE
      "t12"."v3"
  ) AS "t16"
) AS "t18"
