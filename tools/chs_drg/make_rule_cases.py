"""Build one stay per ADRG rule of a scheme, in four CC variants, from the scheme tables themselves.

For every ADRG rule: a principal diagnosis from its list that also enters its MDC (or one of the MDC's
main diagnoses when the rule has no diagnosis list), the procedures its procedure condition asks for, an
age / sex / newborn weight that meets its conditions and those of its MDC; then four variants: no
secondary diagnosis, an MCC, a CC, and an MCC from the principal diagnosis' own exclusion table.
The expected columns are filled by running a reference grouper on the file (see tests/group/data/README.md).

Usage::

    python tools/chs_drg/make_rule_cases.py --scheme schemes/chs-drg-1.1 --out tests/group/data/rule-cases.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build(folder: Path) -> list[dict[str, str]]:
    mdc = {r["mdc"]: r for r in read(folder, "mdc")}
    mdc_dx: dict[str, list[str]] = defaultdict(list)
    sites: dict[str, dict[str, str]] = defaultdict(dict)
    for r in read(folder, "mdc_diagnoses"):
        mdc_dx[r["mdc"]].append(r["code"])
        if r["site"]:
            sites[r["mdc"]].setdefault(r["site"], r["code"])
    codes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in read(folder, "adrg_codes"):
        codes[(r["adrg"], r["kind"], r["table"])].append(r["code"])
    valid = [r["code"] for r in read(folder, "valid_procedures")]
    cc = read(folder, "cc")
    excl = {r["principal_code"]: r["exclusion_table"] for r in read(folder, "cc_exclusion")}
    cases = []
    for rule in read(folder, "adrg"):
        m = mdc[rule["mdc"]]
        entry = set(mdc_dx[m["mdc"]])
        dx_list = codes[(rule["adrg"], "diagnosis", "1")]
        if rule["dx"]:
            pool = [c for c in dx_list if c in entry] or dx_list
        else:
            pool = mdc_dx[m["mdc"]] or ["J13.x00"]
        if not pool:
            continue
        principal = pool[0]
        others = []
        if m["min_sites"]:
            first_site = next((s for s, c in sites[m["mdc"]].items() if c != principal), None)
            if first_site:
                others.append(sites[m["mdc"]][first_site])
        procs = []
        if rule["proc"] == "principal":
            procs = codes[(rule["adrg"], "procedure", "1")][:1]
        elif rule["proc"] == "principal_valid" or m["entry"] == "principal_valid":
            procs = (codes[(rule["adrg"], "procedure", "1")] or valid)[:1]
        elif rule["proc"] == "tables":
            first_clause = rule["proc_formula"].split("|")[0].split("&")
            procs = [codes[(rule["adrg"], "procedure", t)][0] for t in first_clause
                     if codes[(rule["adrg"], "procedure", t)]]
        sex = m["sex"] or rule["sex"] or ("2" if rule["mdc"] in ("MDCN", "MDCO") else "1")
        age_years, age_days, weight = "50", "", ""
        if m["age_years_max"] == "0" or rule["age_days_max"] or rule["age_days_min"]:
            age_years = "0"
            age_days = "100" if rule["age_days_min"] else "10"
            lo, hi = rule["birth_weight_min"], rule["birth_weight_max"]
            weight = str(int(lo) + 100) if lo else ("3000" if not hi else str(int(hi) - 100))
        t = excl.get(principal)
        variants = {
            "none": None,
            "mcc": next((r["code"] for r in cc if r["level"] == "MCC" and r["exclusion_table"] != t), None),
            "cc": next((r["code"] for r in cc if r["level"] == "CC" and r["exclusion_table"] != t), None),
            "mcc_excluded": next((r["code"] for r in cc if r["level"] == "MCC" and t
                                  and r["exclusion_table"] == t), None),
        }
        for name, extra in variants.items():
            if name != "none" and extra is None:
                continue
            dx = [principal, *others, *([extra] if extra else [])]
            cases.append({
                "record_id": f"{rule['adrg']}-{name}", "sex": sex, "age_years": age_years, "age_days": age_days,
                "birth_weight_g": weight, "dept_code": "0301", "los_days": "7", "discharge_status": "1",
                "diagnoses": "|".join(dx), "procedures": "|".join(procs), "rule": rule["adrg"], "variant": name,
            })
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scheme", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    cases = build(args.scheme)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(cases[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(cases)
    print(f"{len(cases)} cases -> {args.out}")


if __name__ == "__main__":
    main()
