"""Group a record file with an OpenDRG grouper (a DRG_Python checkout outside this repository) and write
the reference results beside the records, as ``expected_status, expected_mdc, expected_adrg, expected_drg``.

This only *calls* OpenDRG (Apache-2.0) through its record API; nothing of it is copied. Each record goes
through ``GroupProxy().group(MedicalRecord(...))`` with code translation off, ages, weight and LOS as
integers (empty = missing) and sex as integer or text (``--sex-as``): CHS-DRG's grouper compares sex with
integers, Zhejiang's with text and refuses an integer sex.

Usage::

    python tools/chs_drg/run_reference.py --opendrg /tmp/DRG_Python --module zhejiang_2022 --sex-as text \\
        --input records.csv --output tests/group/data/zhejiang-reference.csv
"""

from __future__ import annotations

import argparse
import csv
import importlib
import sys
from pathlib import Path

EXPECTED = ("expected_status", "expected_mdc", "expected_adrg", "expected_drg")


def as_int(value: str) -> int | str | None:
    """An integer field as OpenDRG's typed path takes it; text that is no number is passed on as is."""
    value = value.strip()
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return value


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opendrg", type=Path, required=True, help="DRG_Python checkout (holds drg_group/)")
    ap.add_argument("--module", required=True, help="scheme package under drg_group, e.g. zhejiang_2022")
    ap.add_argument("--sex-as", choices=("int", "text"), required=True)
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--output", type=Path, required=True)
    args = ap.parse_args()
    sys.path.insert(0, str(args.opendrg))
    proxy_mod = importlib.import_module(f"drg_group.{args.module}.GroupProxy")
    base = importlib.import_module(f"drg_group.{args.module}.Base")
    proxy = proxy_mod.GroupProxy()
    with args.input.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = [c for c in rows[0] if c not in EXPECTED] + list(EXPECTED)
    for r in rows:
        sex = as_int(r["sex"]) if args.sex_as == "int" else r["sex"].strip()
        record = base.MedicalRecord(
            Index=r["record_id"], gender=sex, age=as_int(r["age_years"]), ageDay=as_int(r["age_days"]),
            weight=as_int(r["birth_weight_g"]), dept=r["dept_code"], inHospitalTime=as_int(r["los_days"]),
            leavingType=r["discharge_status"], zdList=r["diagnoses"], ssList=r["procedures"])
        result = proxy.group(record)
        r.update(zip(EXPECTED, (result.status, result.mdc, result.adrg, result.drg), strict=True))
    with args.output.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} records -> {args.output}")


if __name__ == "__main__":
    main()
