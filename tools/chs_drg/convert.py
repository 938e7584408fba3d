"""Convert a CHS-DRG scheme published by the OpenDRG project into hospeval's scheme files.

Sources (both Apache-2.0, read as *data* only; no code is carried over):

* ``OpenDRG/DRG_Python`` ``drg_group/<scheme>/``: the code dictionaries (``ICD/*.dat``), the MCC / CC /
  CC-exclusion / valid-surgery / DRG tables (``DATA/*.dat``) and the per-MDC / per-ADRG / per-DRG files,
  from which this script reads the literal code lists and recognises each rule's *shape* (principal
  diagnosis in list, principal procedure in list, two procedure tables, newborn weight band ...).
* ``OpenDRG/DRG_Rules`` ``<SCHEME>/``: the text extracted from the national documents (MDC / ADRG / DRG
  names, ADRG detail lists). Names are taken from it; its ADRG lists are compared with the tables above and
  the comparison is written to ``conversion-report.md``; corrections where the text decides are listed in
  ``corrections-<version>.yaml`` beside this script and applied here.

Usage::

    python tools/chs_drg/convert.py --python-src /tmp/opendrg/drg_group/chs_drg_11 \
        --rules-src /tmp/drgrules/CHS_DRG_11 --out schemes/chs-drg-1.1 --version 1.1
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# Rule shapes found in the generated ADRG files, as (normalised condition text) -> declarative fields.
# ``proc`` values: principal = principal procedure in the ADRG list; principal_valid = principal procedure
# is a valid OR procedure; tables = a formula over procedure tables matched by any procedure;
# no_valid = no procedure of the stay is a valid OR procedure.
_ADRG_SHAPES: dict[str, dict[str, str]] = {
    "True and record.zdList[0] in adrg_zd": {"dx": "principal"},
    "True and record.ssList and record.ssList[0] in adrg_ss": {"proc": "principal"},
    "True and record.zdList[0] in adrg_zd and record.ssList and record.ssList[0] in adrg_ss":
        {"dx": "principal", "proc": "principal"},
    "True and record.ssList and record.ssList[0] in adrg_ss and record.ageDay != None and record.ageDay <= 28":
        {"proc": "principal", "age_days_max": "28"},
    "True and record.ssList and record.ssList[0] in SS_VALID": {"proc": "principal_valid"},
    "True and record.ssList and intersect(record.ssList, adrg_ss) and intersect(record.ssList, adrg_ss1)":
        {"proc": "tables", "proc_formula": "1&2"},
    "True and record.zdList[0] in adrg_zd and record.ageDay != None and record.ageDay <= 28":
        {"dx": "principal", "age_days_max": "28"},
    "True and record.zdList[0] in adrg_zd and ('1' in ss_matched or ('2' in ss_matched and '3' in ss_matched))":
        {"dx": "principal", "proc": "tables", "proc_formula": "1|2&3"},
    "True": {},
    "True and record.zdList[0] in adrg_zd and record.ssList and intersect(record.ssList, adrg_ss) and "
    "intersect(record.ssList, adrg_ss1)": {"dx": "principal", "proc": "tables", "proc_formula": "1&2"},
    "True and record.zdList[0] in adrg_zd and ('1' in ss_matched and '2' in ss_matched or ('1' in ss_matched "
    "and '3' in ss_matched and ('4' in ss_matched)))":
        {"dx": "principal", "proc": "tables", "proc_formula": "1&2|1&3&4"},
    "True and (not intersect(record.ssList, SS_VALID))": {"proc": "no_valid"},
    # local schemes (Beijing 2022): a secondary-diagnosis list (adrg_zd1), any diagnosis, any procedure
    "True and intersect(record.zdList[1:], adrg_zd1)": {"dx2": "secondary"},
    "True and intersect(record.zdList[1:], adrg_zd1) and record.ssList and record.ssList[0] in adrg_ss":
        {"dx2": "secondary", "proc": "principal"},
    "True and intersect(record.zdList[1:], adrg_zd1) and record.ssList and intersect(record.ssList, adrg_ss)":
        {"dx2": "secondary", "proc": "tables", "proc_formula": "1"},
    "True and intersect(record.zdList, adrg_zd)": {"dx": "any"},
    "True and intersect(record.zdList, adrg_zd) and record.ssList and record.ssList[0] in adrg_ss":
        {"dx": "any", "proc": "principal"},
    "True and record.zdList[0] in adrg_zd and record.ssList and intersect(record.ssList, adrg_ss)":
        {"dx": "principal", "proc": "tables", "proc_formula": "1"},
    # CHS-DRG 1.0 shapes
    "True and record.ssList and intersect(record.ssList, adrg_ss)": {"proc": "tables", "proc_formula": "1"},
    "True and record.ageDay != None and record.ageDay <= 28": {"age_days_max": "28"},
    "True and intersect(record.zdList, adrg_zd) and record.ssList and record.ssList[0] in SS_VALID":
        {"dx": "any", "proc": "principal_valid"},
    # Zhejiang 2022: principal diagnosis NOT in the list (RE1); medical ADRGs closed to a valid OR principal
    # procedure (the "not valid" clause is removed by NOT_VALID_CLAUSE before lookup, see _adrg_shape)
    "True and record.zdList[0] not in adrg_zd and record.ssList and record.ssList[0] in adrg_ss":
        {"dx": "principal_not", "proc": "principal"},
}
# ``(not record.ssList or not record.ssList[0] in SS_VALID)``: no principal procedure or not a valid OR one
NOT_VALID_CLAUSE = " and (not record.ssList or not record.ssList[0] in SS_VALID)"
WEIGHT_SHAPE = re.compile(
    r"True and (?P<dx>intersectrecord\.zdList, adrg_zd and |record\.zdList\[0\] in adrg_zd and )?record\.weight"
    r"(?: and record\.weight >= (?P<lo>\d+))?(?: and record\.weight < (?P<hi>\d+))?"
    r" and record\.ageDay != None and record\.ageDay <= 28$"
)


def canon(expr: str) -> str:
    """A rule condition without parentheses, so that shapes compare regardless of ``ast.unparse`` style."""
    return re.sub(r"[()]", "", expr)
_MDC_SHAPES = {
    "True and record.zdList[0] in mdc_zd": {},
    "True and record.zdList[0] in mdc_zd and record.gender == 1": {"sex": "1"},
    "True and record.zdList[0] in mdc_zd and record.gender == 2": {"sex": "2"},
    "True and record.zdList[0] in mdc_zd and int(record.age) == 0": {"age_years_max": "0"},
    "True and record.ssList and record.ssList[0] in SS_VALID": {"entry": "principal_valid"},
    "True and record.zdList[0] in mdc_zd and record.age == 0": {"age_years_max": "0"},
    "True and intersect(record.zdList, mdc_zd)": {"entry": "any_dx"},
    # Zhejiang 2022 compares sex as text
    "True and record.zdList[0] in mdc_zd and record.gender == '1'": {"sex": "1"},
    "True and record.zdList[0] in mdc_zd and record.gender == '2'": {"sex": "2"},
}
# Zhejiang 2022 MDCA: a valid OR principal procedure or one of a listed few (96.7201 ventilation ...)
MDC_PROC_LIST = re.compile(r"^True and record\.ssList and record\.ssList\[0\] in SS_VALID or "
                           r"record\.ssList\[0\] in (?P<codes>\[[^\]]*\])$")
_SPLIT_SHAPES = {
    "True": "none",
    "len(record.zdList) > 1 and has_mcc(record.zdList[0], record.zdList[1:])": "mcc",
    "len(record.zdList) > 1 and (has_mcc(record.zdList[0], record.zdList[1:]) or "
    "has_cc(record.zdList[0], record.zdList[1:]))": "mcc_or_cc",
}

ADRG_SHAPES = {canon(k): v for k, v in _ADRG_SHAPES.items()}
MDC_SHAPES = {canon(k): v for k, v in _MDC_SHAPES.items()}
SPLIT_SHAPES = {canon(k): v for k, v in _SPLIT_SHAPES.items()}


SPLIT_BOUNDS = [
    (re.compile(r"^record\.age <= (\d+)$"), lambda m: {"age_years_max": m[1]}),
    (re.compile(r"^record\.age < (\d+)$"), lambda m: {"age_years_max": str(int(m[1]) - 1)}),
    (re.compile(r"^record\.age >= (\d+)$"), lambda m: {"age_years_min": m[1]}),
    (re.compile(r"^record\.inHospitalTime >= (\d+)$"), lambda m: {"los_min": m[1]}),
    (re.compile(r"^record\.inHospitalTime == (\d+)$"), lambda m: {"los_min": m[1], "los_max": m[1]}),
    (re.compile(r"^(\d+) <= record\.inHospitalTime < (\d+)$"),
     lambda m: {"los_min": m[1], "los_max": str(int(m[2]) - 1)}),
    # Zhejiang 2022: 伴重症监护 (the reference marks the ICU stay by department 'ICU'); given procedures present
    (re.compile(r"^record\.dept == '([^']+)'$"), lambda m: {"dept": m[1]}),
    (re.compile(r"^record\.ssList(?P<codes>(?: and '[^']+' in record\.ssList)+)$"),
     lambda m: {"procedures": " ".join(re.findall(r"'([^']+)'", m["codes"]))}),
]


def parse_split(expr: str) -> dict[str, str]:
    """A DRG condition as split kind plus age / LOS bounds (e.g. ``record.age <= 6 and <mcc>``)."""
    if expr in SPLIT_SHAPES:
        return {"split": SPLIT_SHAPES[expr]}
    for rx, make in SPLIT_BOUNDS:
        head, sep, rest = expr.partition(" and ")
        m = rx.match(head)
        if m and (not sep or rest in SPLIT_SHAPES):
            return {"split": SPLIT_SHAPES[rest] if sep else "none", **make(m)}
        m = rx.match(expr)
        if m:
            return {"split": "none", **make(m)}
    raise SystemExit(f"unknown DRG split rule {expr!r}")


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    """Lines ``code rest`` of an OpenDRG .dat file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            code, _, rest = line.partition(" ")
            rows.append((code, rest.strip()))
    return rows


def _literals(tree: ast.AST) -> dict[str, list]:
    """Names bound to list literals anywhere in a module."""
    out: dict[str, list] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.List):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return out


def _first_if(func: ast.FunctionDef) -> ast.If:
    return next(n for n in func.body if isinstance(n, ast.If))


def _called_groups(func: ast.FunctionDef) -> list[str]:
    """Module names ``X`` of the ``X.group(record)`` calls that are live (not under ``if False``)."""
    names = []
    for node in func.body:
        if isinstance(node, ast.If) and ast.unparse(node.test).startswith("False"):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr == "group" and isinstance(sub.func.value, ast.Name):
                names.append(sub.func.value.id)
    return names


def _func(tree: ast.Module, name: str) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def read_python_scheme(src: Path) -> dict:
    """Read the rule structure of one OpenDRG scheme folder as plain data."""
    grouper = ast.parse((src / "Grouper.py").read_text(encoding="utf-8"))
    mdc_order = _called_groups(_func(grouper, "group"))
    splits: dict[str, str] = {}
    for path in sorted((src / "DRG").glob("*.py")):
        for fn in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(fn, ast.FunctionDef):
                splits[fn.name.removesuffix("_group")] = parse_split(canon(ast.unparse(fn.body[0].value)))
    mdcs, adrgs = [], []
    for mdc_rank, mdc in enumerate(mdc_order, start=1):
        tree = ast.parse((src / "MDC" / f"{mdc}.py").read_text(encoding="utf-8"))
        func = _func(tree, "group")
        test = canon(ast.unparse(_first_if(func).test.operand))
        if m := MDC_PROC_LIST.match(test):
            shape = {"entry": "principal_valid", "procedures": ast.literal_eval(m["codes"])}
        elif test in MDC_SHAPES:
            shape = MDC_SHAPES[test]
        else:
            raise SystemExit(f"{mdc}: unknown MDC entry rule {test!r}")
        entry = {"mdc": mdc, "priority": mdc_rank, "entry": "principal_dx", **shape}
        entry["codes"] = _literals(tree).get("mdc_zd", [])
        entry["min_sites"] = "2" if "zd_map" in ast.unparse(func) else ""
        mdcs.append(entry)
        for adrg_rank, adrg in enumerate(_called_groups(func), start=1):
            adrgs.append(_read_adrg(src, mdc, adrg, adrg_rank, splits))
    # Zhejiang 2022: a record that groups nowhere is grouped again with each further procedure in turn as its
    # only procedure (Grouper_<scheme>.py loops over ssList[1:])
    wrapper = next(src.glob("Grouper_*.py"), None)
    retry = wrapper is not None and "ssList[1:]" in wrapper.read_text(encoding="utf-8")
    return {"mdcs": mdcs, "adrgs": adrgs, "retry_each_procedure": retry}


def _read_adrg(src: Path, mdc: str, adrg: str, rank: int, splits: dict[str, str]) -> dict:
    tree = ast.parse((src / "ADRG" / f"{adrg}.py").read_text(encoding="utf-8"))
    func = _func(tree, "group")
    lits = _literals(tree)
    cond = _first_if(func)
    raw = ast.unparse(cond.test)
    not_valid = NOT_VALID_CLAUSE in raw
    test = canon(raw.replace(NOT_VALID_CLAUSE, ""))
    if test in ADRG_SHAPES:
        shape = dict(ADRG_SHAPES[test])
    elif m := WEIGHT_SHAPE.match(test):
        dx = {"": "", None: ""}.get(m["dx"], "any" if m["dx"] and m["dx"].startswith("intersect") else "principal")
        shape = {"dx": dx, "age_days_max": "28", "birth_weight_min": m["lo"] or "1",
                 "birth_weight_max": m["hi"] or ""}
    else:
        raise SystemExit(f"{adrg}: unknown ADRG rule shape {test!r}")
    if not_valid:
        if shape.get("proc"):
            raise SystemExit(f"{adrg}: 'not a valid OR procedure' combined with a procedure rule {raw!r}")
        shape["proc"] = "not_principal_valid"
    codes: list[tuple[str, str, str]] = [("diagnosis", "1", c) for c in dict.fromkeys(lits.get("adrg_zd", []))]
    if shape.get("dx2"):
        codes += [("diagnosis", "2", c) for c in dict.fromkeys(lits.get("adrg_zd1", []))]
    ss, ss1 = lits.get("adrg_ss", []), lits.get("adrg_ss1", [])
    if shape.get("proc") == "tables":
        if "ss_matched" in ast.unparse(func):  # labelled tables: the first label of a code counts
            first = {}
            for code, label in zip(ss, ss1, strict=True):
                first.setdefault(code, label)
            codes += [("procedure", label, code) for code, label in first.items()]
        else:  # two plain tables
            codes += [("procedure", "1", c) for c in dict.fromkeys(ss)]
            codes += [("procedure", "2", c) for c in dict.fromkeys(ss1)]
    else:
        codes += [("procedure", "1", c) for c in dict.fromkeys(ss)]
    # (DRG returned, split function called): Zhejiang names some splits apart from the DRG they return
    # (HC1B_group -> 'HC13'), so the split is read from the function the branch calls
    drgs = []
    for n in ast.walk(cond):
        if isinstance(n, ast.If) and isinstance(n.test, ast.Call) and isinstance(n.test.func, ast.Attribute) \
                and n.test.func.attr.endswith("_group") and isinstance(n.body[0], ast.Return):
            drgs.append((n.body[0].value.value, n.test.func.attr.removesuffix("_group")))
    if "_" in adrg:
        shape["group_as"] = adrg.partition("_")[0]
    return {"mdc": mdc, "adrg": adrg, "priority": rank, **shape, "codes": codes,
            "drgs": [(d, splits[f]) for d, f in drgs]}


# ADRG headers (national text) or DRG headers (Zhejiang's text lists codes under each DRG: BR11 … BR19)
HEADER = re.compile(r"^(?P<code>(MDC[A-Z])|([A-Z]{2}[0-9][0-9A-Z]?))\s+(?P<name>.+)$")
CODE_LINE = re.compile(r"^(?P<code>[A-Z0-9][0-9A-Zx.+*]+)\s")
# Zhejiang's text sets two codes on a line, the second after two spaces
MORE_CODES = re.compile(r"\s{2,}(?P<code>[A-Z][0-9][0-9A-Zx.+*]*\.[0-9A-Zx.+*]+|[0-9]{2}\.[0-9A-Zx.+*]+)\s")


def text_code(code: str) -> str:
    """A code of the text as the tables spell it (Zhejiang's text writes the extension ``x`` as ``X``)."""
    return code[0] + code[1:].replace("X", "x")


def read_rules_text(rules: Path) -> dict:
    """Names and per-ADRG code lists from the DRG_Rules text."""
    def names(file: str) -> dict[str, str]:
        out = {}
        for line in (rules / file).read_text(encoding="utf-8").splitlines():
            code, _, name = line.partition(" ")
            if code:
                out[code] = name.replace("~~", "").strip()
        return out

    detail: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    current, section = None, ""
    for line in (rules / "4_ADRG_DETAIL.txt").read_text(encoding="utf-8").splitlines():
        head = HEADER.match(line)
        if head and not head["code"].startswith("MDC"):
            if head["code"][:3] != current:
                section = ""
            current = head["code"][:3]
            continue
        if head:
            current = None
            continue
        code = CODE_LINE.match(line)
        if current and code:
            detail[current][section].append(text_code(code["code"]))
            detail[current][section].extend(text_code(m["code"]) for m in MORE_CODES.finditer(line + " "))
        elif current:
            section = line.strip()
    return {"mdc": names("1_MDC.txt"), "adrg": names("2_ADRG.txt"), "drg": names("3_DRG.txt"),
            "detail": detail}


def _write_csv(path: Path, header: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def apply_corrections(scheme: dict, text: dict, corrections: list[dict]) -> list[str]:
    """Apply the documented corrections where the national text decides; return report lines."""
    lines = []
    by_adrg = {a["adrg"]: a for a in scheme["adrgs"]}
    for fix in corrections:
        adrg = by_adrg[fix["adrg"]]
        if "set" in fix:
            adrg.update({k: str(v) for k, v in fix["set"].items()})
        if fix.get("diagnoses_from_text"):
            codes = [c for sec in text["detail"][fix["adrg"]].values() for c in sec]
            adrg["codes"] = [c for c in adrg["codes"] if c[0] != "diagnosis"] + \
                [("diagnosis", "1", c) for c in dict.fromkeys(codes)]
        for code in fix.get("remove_diagnoses", []):
            adrg["codes"] = [c for c in adrg["codes"] if not (c[0] == "diagnosis" and c[2] == code)]
        lines.append(f"- {fix['adrg']}: {fix['why']}")
    return lines


def cross_check(scheme: dict, text: dict) -> list[str]:
    """Compare each ADRG's code lists with the text; one report line per ADRG that differs."""
    out = []
    for adrg in scheme["adrgs"]:
        ours = {c[2] for c in adrg["codes"]}
        theirs = {c for sec in text["detail"].get(adrg["adrg"], {}).values() for c in sec}
        if ours != theirs:
            only_ours, only_text = sorted(ours - theirs), sorted(theirs - ours)
            out.append(f"| {adrg['adrg']} | {len(ours)} | {len(theirs)} | {' '.join(only_ours[:8])}"
                       f"{' …' if len(only_ours) > 8 else ''} | {' '.join(only_text[:8])}"
                       f"{' …' if len(only_text) > 8 else ''} |")
    return out


def write_scheme(src: Path, rules: Path, out: Path, version: str) -> None:
    """Convert one scheme and write every file of the on-disk format."""
    out.mkdir(parents=True, exist_ok=True)
    scheme = read_python_scheme(src)
    text = read_rules_text(rules)
    corr_file = HERE / f"corrections-{version}.yaml"
    corrections = yaml.safe_load(corr_file.read_text(encoding="utf-8")) if corr_file.exists() else []
    report = cross_check(scheme, text)
    applied = apply_corrections(scheme, text, corrections or [])

    icd = src.parent / src.name / "ICD"
    _write_csv(out / "icd10.csv", ["code", "name"], _read_pairs(icd / "ZD_INFO.dat"))
    _write_csv(out / "icd9cm3.csv", ["code", "name"], _read_pairs(icd / "SS_INFO.dat"))
    _write_csv(out / "icd10_map.csv", ["source_code", "code"], _read_pairs(icd / "ZD_MAP.dat"))
    _write_csv(out / "icd9cm3_map.csv", ["source_code", "code"], _read_pairs(icd / "SS_MAP.dat"))
    data = src / "DATA"
    valid = dict(reversed(_read_pairs(data / "SS_VALID.dat")))  # one row per code (the first name)
    _write_csv(out / "valid_procedures.csv", ["code", "name"], sorted(valid.items()))
    cc_rows = [(c, "MCC", t) for c, t in _read_pairs(data / "MCC.dat")]
    cc_rows += [(c, "CC", t) for c, t in _read_pairs(data / "CC.dat")]
    _write_csv(out / "cc.csv", ["code", "level", "exclusion_table"], cc_rows)
    _write_csv(out / "cc_exclusion.csv", ["principal_code", "exclusion_table"], _read_pairs(data / "CCE.dat"))

    _write_csv(out / "mdc.csv", ["mdc", "name", "priority", "entry", "sex", "age_years_max", "min_sites"],
               [(m["mdc"], text["mdc"].get(m["mdc"], ""), m["priority"], m.get("entry", "principal_dx"),
                 m.get("sex", ""), m.get("age_years_max", ""), m["min_sites"]) for m in scheme["mdcs"]])
    _write_csv(out / "mdc_diagnoses.csv", ["mdc", "code", "site"], _mdc_codes(scheme["mdcs"]))
    mdc_procs = [(m["mdc"], c) for m in scheme["mdcs"] for c in dict.fromkeys(m.get("procedures", []))]
    if mdc_procs:  # only schemes with such an entry list have the (optional) file
        _write_csv(out / "mdc_procedures.csv", ["mdc", "code"], mdc_procs)
    adrg_cols = ["group_as", "dx", "dx2", "proc", "proc_formula", "sex", "age_years_min", "age_years_max", "age_days_min",
                 "age_days_max", "birth_weight_min", "birth_weight_max", "dept"]
    _write_csv(out / "adrg.csv", ["adrg", "mdc", "name", "priority", *adrg_cols],
               [(a["adrg"], a["mdc"], text["adrg"].get(a.get("group_as") or a["adrg"], ""), a["priority"],
                 *(a.get(c, "") for c in adrg_cols)) for a in scheme["adrgs"]])
    _write_csv(out / "adrg_codes.csv", ["adrg", "kind", "table", "code"],
               [(a["adrg"], *c) for a in scheme["adrgs"] for c in a["codes"]])
    drg_names = {**dict(_read_pairs(data / "DRG.dat")), **text["drg"]}
    # dept / procedures columns only where a DRG uses them (optional columns; other schemes unchanged)
    extra = [c for c in ("dept", "procedures") if any(split.get(c) for a in scheme["adrgs"] for _, split in a["drgs"])]
    _write_csv(out / "drg.csv", ["drg", "adrg", "name", "priority", "split", "age_years_min", "age_years_max",
                                 "los_min", "los_max", *extra],
               _drg_rows(scheme["adrgs"], drg_names, extra))
    (out / "conversion-report.md").write_text(
        "# Conversion report\n\nGenerated by `tools/chs_drg/convert.py`. Corrections applied (the national "
        "text decides):\n\n" + "\n".join(applied or ["- none"]) +
        ("\n\nThe reference grouper groups a record that reaches no DRG again with each further procedure in "
         "turn as its only procedure: set `retry_each_procedure: true` in scheme.yaml."
         if scheme["retry_each_procedure"] else "") +
        "\n\nADRGs whose code lists differ between the DRG_Python tables (used) and the DRG_Rules text "
        "(OCR-extracted; differences are mostly extraction noise and must be reviewed before trusting either):"
        "\n\n| ADRG | codes (tables) | codes (text) | only in tables | only in text |\n|---|---|---|---|---|\n"
        + "\n".join(report) + "\n", encoding="utf-8")


def _drg_rows(adrgs: list[dict], names: dict[str, str], extra: list[str]):
    """DRG rows; rules split in parts (AH1_1, AH1_2) share their ADRG's DRGs, listed once."""
    seen = set()
    for a in adrgs:
        adrg = a.get("group_as") or a["adrg"]
        for i, (drg, split) in enumerate(a["drgs"], start=1):
            if drg not in seen:
                seen.add(drg)
                yield (drg, adrg, names.get(drg, ""), i, split["split"], split.get("age_years_min", ""),
                       split.get("age_years_max", ""), split.get("los_min", ""), split.get("los_max", ""),
                       *(split.get(c, "") for c in extra))


def _mdc_codes(mdcs: list[dict]):
    for m in mdcs:
        site = ""
        seen: dict[str, str] = {}
        for code in m["codes"]:
            if m["min_sites"] and code.endswith("创伤"):
                site = code
                continue
            seen[code] = site  # a code listed under two sites keeps the last (as the source does)
        yield from ((m["mdc"], code, s) for code, s in seen.items())


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python-src", type=Path, required=True)
    ap.add_argument("--rules-src", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    write_scheme(args.python_src, args.rules_src, args.out, args.version)


if __name__ == "__main__":
    main()
