"""Build one stay per ADRG rule of a scheme, in four CC variants, from the scheme tables themselves.

For every ADRG rule: a principal diagnosis from its list that also enters its MDC (or one of the MDC's
main diagnoses when the rule has no diagnosis list), the procedures its procedure condition asks for, an
age / sex / newborn weight that meets its conditions and those of its MDC; then four variants: no
secondary diagnosis, an MCC, a CC, and an MCC from the principal diagnosis' own exclusion table.
Schemes with local rule kinds get more: a non-valid principal procedure for rules closed to a valid one, a
stay per DRG with a department or procedure condition meeting it, and, where the scheme regroups with
further procedures, the rule's procedures behind a valid OR procedure that no rule lists.
The expected columns are filled by running a reference grouper on the file (see tests/group/data/README.md).

Usage::

    python tools/chs_drg/make_rule_cases.py --scheme schemes/chs-drg-1.1 --out tests/group/data/rule-cases.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from functools import partial
from pathlib import Path

import yaml


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _case(adrg: str, person: dict[str, str], name: str, dx: list[str], px: list[str],
          dept: str = "0301") -> dict[str, str]:
    """One stay in the reference layout (plus the rule and variant it was built for)."""
    return {"record_id": f"{adrg}-{name}", **person, "dept_code": dept, "los_days": "7", "discharge_status": "1",
            "diagnoses": "|".join(dx), "procedures": "|".join(px), "rule": adrg, "variant": name}


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
    retry = bool(yaml.safe_load((folder / "scheme.yaml").read_text(encoding="utf-8")).get("retry_each_procedure"))
    listed = {r["code"] for r in read(folder, "adrg_codes") if r["kind"] == "procedure"}
    mdc_listed = {r["code"] for r in read(folder, "mdc_procedures")} if (folder / "mdc_procedures.csv").exists() \
        else set()
    listed |= mdc_listed
    valid_set = set(valid)
    # a valid OR procedure and a non-valid one that no rule lists (they enter nothing by themselves)
    unlisted_valid = next((c for c in valid if c not in listed), None)
    unlisted_other = next((r["code"] for r in read(folder, "icd9cm3")
                           if r["code"] not in listed and r["code"] not in valid_set), None)
    drgs_by_adrg: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in read(folder, "drg"):
        drgs_by_adrg[r["adrg"]].append(r)
    cases = []
    for rule in read(folder, "adrg"):
        m = mdc[rule["mdc"]]
        entry = set(mdc_dx[m["mdc"]])
        dx_list = codes[(rule["adrg"], "diagnosis", "1")]
        if rule["dx"] == "principal_not":  # a main diagnosis of the MDC outside the rule's list
            pool = [c for c in mdc_dx[m["mdc"]] if c not in set(dx_list)]
        elif rule["dx"]:
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
        person = {"sex": sex, "age_years": age_years, "age_days": age_days, "birth_weight_g": weight}
        case = partial(_case, rule["adrg"], person)
        for name, extra in variants.items():
            if name != "none" and extra is None:
                continue
            cases.append(case(name, [principal, *others, *([extra] if extra else [])], procs))
        base_dx = [principal, *others]
        if rule["proc"] == "not_principal_valid" and unlisted_other:
            cases.append(case("nonvalid_procedure", base_dx, [unlisted_other]))
        for d in [] if rule["group_as"] else drgs_by_adrg[rule["adrg"]]:
            if d.get("dept"):
                cases.append(case(f"{d['drg']}_dept", base_dx, procs, dept=d["dept"].split()[0]))
            if d.get("procedures"):
                wanted = d["procedures"].split()
                # principal: from the rule's list, one that enters the MDC by itself (valid or listed), a
                # wanted one first
                own = codes[(rule["adrg"], "procedure", "1")]
                enters = [c for c in own if c in valid_set or c in mdc_listed] or own
                head = next((c for c in enters if c in wanted), enters[0] if enters else None)
                px = [head] if head else procs[:1]
                cases.append(case(f"{d['drg']}_procedures", base_dx, px + [c for c in wanted if c not in px]))
        if retry and unlisted_valid and procs:
            cases.append(case("retry", base_dx, [unlisted_valid, *procs]))
        if retry and unlisted_valid and unlisted_other and rule["proc"] == "not_principal_valid":
            cases.append(case("retry_nonvalid", base_dx, [unlisted_valid, unlisted_other]))
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
