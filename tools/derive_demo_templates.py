"""Derive ``demo_data/case_templates.csv`` from the CHS-DRG 1.1 golden sample.

Usage (from the repository root)::

    python tools/derive_demo_templates.py ../shared/reference/chs-drg-1.1/golden-sample.csv

Keeps the records that the reference grouper grouped (分组成功) and whose codes are in the regular
ICD-10 / ICD-9-CM-3 medical-insurance 2.0 shape, fixes nothing else, and writes one row per template with
its expected MDC / ADRG / DRG. The demo generator draws its stays' code combinations from these rows.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

DIAGNOSIS = re.compile(r"^[A-Z][0-9]{2}(\.[0-9x]{1,3}(x[0-9]{3})?)?(\+[A-Z][0-9]{2}\.[0-9x]{0,2}\*)?$")
PROCEDURE = re.compile(r"^[0-9]{2}\.[0-9x]{1,4}(x[0-9]{3})?$")
COLUMNS = ["template_id", "sex", "age_years", "age_days", "birth_weight_g", "dept_code", "diagnoses",
           "procedures", "mdc", "adrg", "drg"]


def keep(row: dict[str, str]) -> bool:
    if row["expected_status"] != "分组成功" or row["sex"] not in ("1", "2") or not row["diagnoses"]:
        return False
    if not row["age_years"].isdigit() or not row["dept_code"]:
        return False
    dx = row["diagnoses"].split("|")
    px = [p for p in row["procedures"].split("|") if p]
    return all(DIAGNOSIS.match(c) for c in dx) and all(PROCEDURE.match(c) for c in px)


def main(source: str, target: str = "demo_data/case_templates.csv") -> None:
    with open(source, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if keep(r)]
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for r in rows:
            out.writerow([r["record_id"], r["sex"], r["age_years"], r["age_days"], r["birth_weight_g"],
                          r["dept_code"], r["diagnoses"], r["procedures"], r["expected_mdc"].removeprefix("MDC"),
                          r["expected_adrg"], r["expected_drg"]])
    print(f"{len(rows)} templates -> {target}")


if __name__ == "__main__":
    main(*sys.argv[1:])
