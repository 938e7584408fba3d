"""Per-hospital Excel workbooks a medical-records office can work from (xlsxwriter, Chinese + English).

Sheets: ``问题清单 Findings`` (one row per finding: stay, department, field, value, rule, problem, what to
do; capped at ``max_findings`` rows, the cap stated in the first row), ``指标 Indicators`` (hospital and
per-department indicators) and ``规则 Rules`` (per-rule violations, denominators and status).
"""

from __future__ import annotations

import re
from pathlib import Path

import ibis
import xlsxwriter

from hospeval.quality.spec import Catalogue, ScoringSpec
from hospeval.warehouse import Warehouse

DEFAULT_MAX_FINDINGS = 50_000
FINDINGS_SHEET = "问题清单 Findings"
INDICATORS_SHEET = "指标 Indicators"
RULES_SHEET = "规则 Rules"
FINDINGS_HEADER = ("住院记录 Stay ID", "出院科别 Department", "字段 Field", "值 Value", "规则 Rule",
                   "严重程度 Severity", "类别 Category", "问题 Problem", "Problem (English)",
                   "处理建议 What to do", "What to do (English)")
SEVERITY_LABEL = {"error": "错误 error", "warning": "警告 warning"}
CATEGORY_LABEL = {"completeness": "完整性 completeness", "validity": "有效性 validity",
                  "consistency": "一致性 consistency", "plausibility": "合理性 plausibility",
                  "coding": "编码 coding"}
STATUS_LABEL = {"passed": "通过 passed", "failed": "未通过 failed", "error": "执行错误 error",
                "not_applicable": "不适用 not applicable"}


def workbook_name(hospital_id: str | None) -> str:
    """File name of a hospital's workbook (unsafe characters replaced).

    Examples
    --------
    >>> workbook_name("H/01 a")
    'H_01_a.xlsx'
    """
    return re.sub(r"[^0-9A-Za-z_.-]", "_", hospital_id or "unknown_hospital") + ".xlsx"


def workbook_data(wh: Warehouse, hospitals: list[str | None], limit: int) -> dict[str | None, dict]:
    """Everything the workbooks of ``hospitals`` show, fetched in three queries (not three per hospital).

    Per hospital: ``findings`` (errors first, then by stay, rule and field; at most ``limit`` rows),
    ``total`` (all its findings), ``scores`` and ``rules`` (its rows of quality_scores / quality_rule_results).
    """
    wanted = [h for h in hospitals if h is not None]
    unknown = None in hospitals

    def mine(t: ibis.Table) -> ibis.Table:
        keep = t.hospital_id.isin(wanted) if wanted else ibis.literal(False)
        return t.filter(keep | t.hospital_id.isnull()) if unknown else t.filter(keep)

    out: dict[str | None, dict] = {h: {"findings": [], "total": 0, "scores": [], "rules": []} for h in hospitals}
    f = mine(wh.table("quality_findings"))
    s = mine(wh.table("stays")).select(_sid="stay_id", _sh="hospital_id", dept="discharge_dept").distinct()
    joined = f.left_join(s, (f.stay_id == s._sid) & f.hospital_id.identical_to(s._sh))
    order = [ibis.cases((joined.severity == "error", 0), else_=1), joined.stay_id, joined.rule_id, joined.field]
    ranked = joined.select(
        "hospital_id", "stay_id", "dept", "field", "value", "rule_id", "severity", "category", "message_zh",
        "message_en", _n=ibis.row_number().over(group_by=joined.hospital_id, order_by=order),
        _total=joined.rule_id.count().over(group_by=joined.hospital_id))
    ranked = ranked.filter(ranked._n < limit)
    for row in sorted(wh.to_arrow(ranked).to_pylist(), key=lambda r: r["_n"]):
        out[row["hospital_id"]]["total"] = row.pop("_total")
        row.pop("_n")
        out[row.pop("hospital_id")]["findings"].append(row)
    if wh.has_table("quality_scores"):
        for row in wh.to_arrow(mine(wh.table("quality_scores"))).to_pylist():
            out[row["hospital_id"]]["scores"].append(row)
    for row in wh.to_arrow(mine(wh.table("quality_rule_results"))).to_pylist():
        out[row["hospital_id"]]["rules"].append(row)
    return out


def write_workbook(wh: Warehouse, path: Path, hospital_id: str | None, *, catalogue: Catalogue,
                   scoring: ScoringSpec, hospital_name: str | None = None,
                   max_findings: int = DEFAULT_MAX_FINDINGS, data: dict | None = None) -> dict:
    """Write one hospital's workbook; return ``{"findings": total, "shown": rows written}``.

    ``data`` is the hospital's entry of :func:`workbook_data` (fetched here when not given).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = data if data is not None else workbook_data(wh, [hospital_id], max_findings)[hospital_id]
    rows, total = data["findings"], data["total"]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    fmt = {"title": book.add_format({"bold": True, "font_size": 12}),
           "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
           "error": book.add_format({"font_color": "#C00000"}),
           "pct": book.add_format({"num_format": "0.00%"}), "num": book.add_format({"num_format": "0.00"})}
    title = f"{hospital_name or hospital_id or ''} 病案首页质控 Front-page quality control"
    _findings_sheet(book, fmt, title, rows, total, catalogue)
    _indicator_sheet(book, fmt, title, data["scores"], scoring)
    _rules_sheet(book, fmt, data["rules"], catalogue)
    book.close()
    return {"findings": total, "shown": len(rows)}


def _findings_sheet(book: xlsxwriter.Workbook, fmt: dict, title: str, rows: list[dict], total: int,
                    catalogue: Catalogue) -> None:
    ws = book.add_worksheet(FINDINGS_SHEET)
    if len(rows) < total:
        note = (f"共 {total} 条问题，仅列出前 {len(rows)} 条（错误优先）；完整清单见数据仓库表 quality_findings。 "
                f"{total} findings, the first {len(rows)} shown (errors first); the full list is in the "
                f"warehouse table quality_findings.")
    else:
        note = f"共 {total} 条问题 · {total} findings"
    ws.write(0, 0, f"{title} — {note}", fmt["title"])
    for col, label in enumerate(FINDINGS_HEADER):
        ws.write(1, col, label, fmt["head"])
    fixes = {r.id: (r.fix_zh, r.fix_en) for r in catalogue.rules}
    for i, r in enumerate(rows, start=2):
        fix_zh, fix_en = fixes.get(r["rule_id"], ("", ""))
        values = (r["stay_id"], r["dept"], r["field"], r["value"], r["rule_id"],
                  SEVERITY_LABEL.get(r["severity"], r["severity"]), CATEGORY_LABEL.get(r["category"], r["category"]),
                  r["message_zh"], r["message_en"], fix_zh, fix_en)
        cell = fmt["error"] if r["severity"] == "error" else None
        for col, value in enumerate(values):
            ws.write(i, col, value, cell if col == 5 else None)
    ws.freeze_panes(2, 1)
    ws.autofilter(1, 0, max(1, len(rows) + 1), len(FINDINGS_HEADER) - 1)
    for col, width in enumerate((22, 14, 30, 22, 10, 12, 16, 36, 40, 40, 44)):
        ws.set_column(col, col, width)


def _indicator_sheet(book: xlsxwriter.Workbook, fmt: dict, title: str, scores: list[dict],
                     scoring: ScoringSpec) -> None:
    ws = book.add_worksheet(INDICATORS_SHEET)
    ws.write(0, 0, f"{title} — 指标 indicators", fmt["title"])
    header = ("指标代码 Indicator", "指标 Name", "Name (English)", "值 Value", "得分 Score (0-100)",
              "分子 Numerator", "分母 Denominator", "口径 Definition")
    for col, label in enumerate(header):
        ws.write(1, col, label, fmt["head"])
    specs = {i.id: i for i in scoring.indicators}
    hospital_rows = [s for s in scores if s["dept"] is None]
    row = 2
    for s in hospital_rows:
        spec = specs.get(s["indicator"])
        is_rate = spec is not None and spec.kind != "score_mean"
        ws.write(row, 0, s["indicator"])
        ws.write(row, 1, spec.label_zh if spec else "")
        ws.write(row, 2, spec.label_en if spec else "")
        ws.write(row, 3, s["value"], fmt["pct"] if is_rate else fmt["num"])
        ws.write(row, 4, s["score"], fmt["num"])
        ws.write(row, 5, s["numerator"])
        ws.write(row, 6, s["denominator"])
        ws.write(row, 7, spec.doc if spec else "")
        row += 1
    row += 1
    ws.write(row, 0, "各出院科别得分（0-100）Scores by discharge department (0-100)", fmt["title"])
    indicator_ids = [s["indicator"] for s in hospital_rows]
    row += 1
    ws.write(row, 0, "科别 Department", fmt["head"])
    for col, ind in enumerate(indicator_ids, start=1):
        ws.write(row, col, specs[ind].label_zh + " " + ind if ind in specs else ind, fmt["head"])
    by_dept: dict[str, dict[str, float | None]] = {}
    for s in scores:
        if s["dept"] is not None:
            by_dept.setdefault(s["dept"], {})[s["indicator"]] = s["score"]
    for dept in sorted(by_dept):
        row += 1
        ws.write(row, 0, dept)
        for col, ind in enumerate(indicator_ids, start=1):
            ws.write(row, col, by_dept[dept].get(ind), fmt["num"])
    ws.set_column(0, 0, 34)
    ws.set_column(1, 2, 30)
    ws.set_column(3, 6, 14)
    ws.set_column(7, 7, 60)


def _rules_sheet(book: xlsxwriter.Workbook, fmt: dict, results: list[dict], catalogue: Catalogue) -> None:
    ws = book.add_worksheet(RULES_SHEET)
    header = ("规则 Rule", "问题 Problem", "Problem (English)", "严重程度 Severity", "类别 Category",
              "违规数 Violations", "分母 Denominator", "比例 Ratio", "状态 Status", "原因 Reason", "依据 Source")
    for col, label in enumerate(header):
        ws.write(0, col, label, fmt["head"])
    rules = {r.id: r for r in catalogue.rules}
    order = {r.id: i for i, r in enumerate(catalogue.rules)}
    for i, res in enumerate(sorted(results, key=lambda x: order.get(x["rule_id"], 0)), start=1):
        rule = rules.get(res["rule_id"])
        values = (res["rule_id"], rule.message_zh if rule else "", rule.message_en if rule else "",
                  SEVERITY_LABEL.get(rule.severity, "") if rule else "",
                  CATEGORY_LABEL.get(rule.category, "") if rule else "", res["violations"], res["denominator"])
        for col, value in enumerate(values):
            ws.write(i, col, value)
        ws.write(i, 7, res["ratio"], fmt["pct"])
        ws.write(i, 8, STATUS_LABEL.get(res["status"], res["status"]))
        ws.write(i, 9, res["reason"])
        ws.write(i, 10, rule.source if rule else "")
    ws.freeze_panes(1, 1)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 2, 40)
    ws.set_column(3, 9, 14)
    ws.set_column(10, 10, 40)
