SELECT
  "t11"."stay_id",
  "t11"."hospital_id",
  NOT (
    (
      "t11"."payer" IS NOT NULL
    ) AND (
      TRIM("t11"."payer") <> ''
    )
  ) AS "v0",
  COALESCE(COALESCE("t11"."discharge_disposition" IN ('5'), FALSE), FALSE)
  AND NOT (
    (
      "t11"."autopsy" IS NOT NULL
    ) AND (
      TRIM("t11"."autopsy") <> ''
    )
  ) AS "v1",
  COALESCE(COALESCE("t11"."discharge_disposition" IN ('5'), FALSE), FALSE) AS "a1",
  COALESCE(COALESCE("t11"."_f0", FALSE), FALSE)
  AND NOT (
    COALESCE(COALESCE("t11"."_f1", FALSE), FALSE)
  ) AS "v2",
  COALESCE(COALESCE("t11"."_f0", FALSE), FALSE) AS "a2",
  COALESCE("t11"."_dup0", FALSE) AS "v3"
FROM (
  SELECT
    "t3"."stay_id",
    "t3"."hospital_id",
    "t3"."patient_id",
    "t3"."admission_count",
    "t3"."payer",
    "t3"."sex",
    "t3"."birth_date",
    "t3"."age_years",
    "t3"."age_days",
    "t3"."birth_weight_g",
    "t3"."admission_weight_g",
    "t3"."admission_route",
    "t3"."admit_time",
    "t3"."admit_dept",
    "t3"."discharge_time",
    "t3"."discharge_dept",
    "t3"."los_days",
    "t3"."attending_doctor",
    "t3"."director_doctor",
    "t3"."external_cause_code",
    "t3"."pathology_code",
    "t3"."discharge_disposition",
    "t3"."receiving_institution",
    "t3"."autopsy",
    "t3"."readmission_plan_31d",
    "t3"."day_surgery",
    "t3"."icu_hours",
    "t3"."ventilator_hours",
    "t3"."cost_total",
    "t3"."cost_self_pay",
    "t3"."cost_general_service",
    "t3"."cost_general_treatment",
    "t3"."cost_nursing",
    "t3"."cost_service_other",
    "t3"."cost_pathology",
    "t3"."cost_lab",
    "t3"."cost_imaging",
    "t3"."cost_clinical_diagnosis",
    "t3"."cost_nonsurgical_treatment",
    "t3"."cost_physical_therapy",
    "t3"."cost_surgical_treatment",
    "t3"."cost_anaesthesia",
    "t3"."cost_surgery",
    "t3"."cost_rehabilitation",
    "t3"."cost_tcm_treatment",
    "t3"."cost_western_drugs",
    "t3"."cost_antibiotics",
    "t3"."cost_chinese_patent_drugs",
    "t3"."cost_chinese_herbal_drugs",
    "t3"."cost_blood",
    "t3"."cost_albumin",
    "t3"."cost_globulin",
    "t3"."cost_coagulation_factor",
    "t3"."cost_cytokine",
    "t3"."cost_consumables_exam",
    "t3"."cost_consumables_treatment",
    "t3"."cost_consumables_surgery",
    "t3"."cost_other",
    "t3"."source_file",
    "t3"."source_row",
    "t3"."load_id",
    "t3"."age_in_days",
    "t6"."_f0",
    "t6"."_f1",
    COALESCE("t10"."_hit", FALSE) AS "_dup0"
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
  ) AS "t3"
  LEFT OUTER JOIN (
    SELECT
      "t4"."stay_id" AS "_fk",
      "t4"."_f0",
      "t4"."_f1"
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
    ) AS "t4"
  ) AS "t6"
    ON "t3"."stay_id" = "t6"."_fk"
  LEFT OUTER JOIN (
    SELECT
      "t8"."hospital_id" AS "_dk0",
      "t8"."patient_id" AS "_dk1",
      "t8"."admit_time" AS "_dk2",
      TRUE AS "_hit"
    FROM (
      SELECT
        "t7"."hospital_id",
        "t7"."patient_id",
        "t7"."admit_time",
        COUNT(*) AS "_n"
      FROM (
        SELECT
          "t3"."stay_id",
          "t3"."hospital_id",
          "t3"."patient_id",
          "t3"."admission_count",
          "t3"."payer",
          "t3"."sex",
          "t3"."birth_date",
          "t3"."age_years",
          "t3"."age_days",
          "t3"."birth_weight_g",
          "t3"."admission_weight_g",
          "t3"."admission_route",
          "t3"."admit_time",
          "t3"."admit_dept",
          "t3"."discharge_time",
          "t3"."discharge_dept",
          "t3"."los_days",
          "t3"."attending_doctor",
          "t3"."director_doctor",
          "t3"."external_cause_code",
          "t3"."pathology_code",
          "t3"."discharge_disposition",
          "t3"."receiving_institution",
          "t3"."autopsy",
          "t3"."readmission_plan_31d",
          "t3"."day_surgery",
          "t3"."icu_hours",
          "t3"."ventilator_hours",
          "t3"."cost_total",
          "t3"."cost_self_pay",
          "t3"."cost_general_service",
          "t3"."cost_general_treatment",
          "t3"."cost_nursing",
          "t3"."cost_service_other",
          "t3"."cost_pathology",
          "t3"."cost_lab",
          "t3"."cost_imaging",
          "t3"."cost_clinical_diagnosis",
          "t3"."cost_nonsurgical_treatment",
          "t3"."cost_physical_therapy",
          "t3"."cost_surgical_treatment",
          "t3"."cost_anaesthesia",
          "t3"."cost_surgery",
          "t3"."cost_rehabilitation",
          "t3"."cost_tcm_treatment",
          "t3"."cost_western_drugs",
          "t3"."cost_antibiotics",
          "t3"."cost_chinese_patent_drugs",
          "t3"."cost_chinese_herbal_drugs",
          "t3"."cost_blood",
          "t3"."cost_albumin",
          "t3"."cost_globulin",
          "t3"."cost_coagulation_factor",
          "t3"."cost_cytokine",
          "t3"."cost_consumables_exam",
          "t3"."cost_consumables_treatment",
          "t3"."cost_consumables_surgery",
          "t3"."cost_other",
          "t3"."source_file",
          "t3"."source_row",
          "t3"."load_id",
          "t3"."age_in_days",
          "t6"."_f0",
          "t6"."_f1"
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
        ) AS "t3"
        LEFT OUTER JOIN (
          SELECT
            "t4"."stay_id" AS "_fk",
            "t4"."_f0",
            "t4"."_f1"
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
          ) AS "t4"
        ) AS "t6"
          ON "t3"."stay_id" = "t6"."_fk"
      ) AS "t7"
      GROUP BY
        1,
        2,
        3
    ) AS "t8"
    WHERE
      "t8"."_n" > 1
  ) AS "t10"
    ON "t3"."hospital_id" = "t10"."_dk0"
    AND "t3"."patient_id" = "t10"."_dk1"
    AND "t3"."admit_time" = "t10"."_dk2"
) AS "t11"
