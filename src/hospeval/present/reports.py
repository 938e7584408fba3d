"""Reports: per hospital (Excel workbook, printable HTML, PDF) and per jurisdiction (ranking of all hospitals).

The sections are gathered once by :func:`hospital_sections` / :func:`jurisdiction_sections` (each either rows
or a "not computed yet" note) and rendered three ways. PDF uses WeasyPrint when it is installed, with the
``Noto Sans CJK SC`` font (Debian ``fonts-noto-cjk``) so Chinese is not dropped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hospeval.present import queries
from hospeval.present.db import Reader
from hospeval.present.i18n import code_label, metric_label, t
from hospeval.present.scope import Scope
from hospeval.present.tables import NotComputed

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Section:
    """One block of a report: a title, rows with chosen columns, or the stage still to run."""

    key: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    missing: str | None = None  # the command to run when the data is not computed yet


def _section(key: str, lang: str, columns: list[str], fetch: Any) -> Section:
    try:
        rows = fetch()
    except NotComputed as exc:
        return Section(key, t(key, lang), columns, [], exc.stage)
    cols = columns or (list(rows[0]) if rows else [])
    return Section(key, t(key, lang), cols, rows)


PERF_COLUMNS = ["stays", "drg_count", "cmi", "cost_index", "time_index", "low_risk_mortality", "mortality",
                "mean_cost", "mean_los"]


def hospital_sections(reader: Reader, scope: Scope, hospital_id: str, lang: str = "zh",
                      scheme: str = queries.DEFAULT_SCHEME) -> list[Section]:
    """Every block of a hospital's report (scope is checked by the caller)."""
    def perf(by: str, limit: int | None = None, order: str | None = None) -> Any:
        return lambda: queries.performance(reader, scope, [by], scheme=scheme, where={"hospital_id": hospital_id},
                                           order=order, limit=limit)

    return [
        _section("score", lang, ["indicator_set", "method", "peer_group", "score", "rank", "grade", "percentile"],
                 lambda: queries.latest_scores(reader, scope, hospital_id)),
        _section("performance", lang, PERF_COLUMNS, perf("hospital_id")),
        _section("points_lost", lang, ["indicator_set", "indicator_id", "weight", "score", "points_lost"], lambda: queries.indicator_points(reader, scope, hospital_id)),
        _section("indicator_values", lang, ["indicator_set", "indicator_id", "period", "numerator",
                                            "denominator", "value"],
                 lambda: queries.indicator_values(reader, scope, hospital_id)),
        _section("quality", lang, ["indicator", "value", "score"],
                 lambda: queries.quality_summary(reader, scope, hospital_id)),
        _section("drg_mix", lang, ["drg", "stays", "weight", "mean_cost", "ref_cost", "mean_los", "deaths"],
                 lambda: queries.drg_mix(reader, scope, hospital_id, scheme)),
        _section("departments", lang, ["dept", *PERF_COLUMNS], perf("dept")),
        _section("trend", lang, ["period", *PERF_COLUMNS], perf("period")),
        _section("surplus_by_drg", lang, ["drg", "cases", "cost", "payment", "surplus"],
                 lambda: queries.payment_by(reader, scope, "drg", hospital_id=hospital_id)),
    ]


def jurisdiction_sections(reader: Reader, scope: Scope, lang: str = "zh",
                          scheme: str = queries.DEFAULT_SCHEME) -> list[Section]:
    """Return the jurisdiction report: ranking, hospitals by grade, DRG performance of every hospital."""
    return [
        _section("ranking", lang, ["peer_group", "rank", "hospital_id", "hospital_name", "score", "grade",
                                   "percentile"], lambda: queries.latest_scores(reader, scope)),
        _section("by_grade", lang, ["level", "category", "hospital_count", "beds"],
                 lambda: queries.hospitals_by_grade(reader, scope)),
        _section("performance", lang, ["hospital_id", *PERF_COLUMNS],
                 lambda: queries.performance(reader, scope, ["hospital_id"], scheme=scheme)),
    ]


COUNT_COLUMNS = frozenset({"stays", "deaths", "cases", "grouped", "drg_count", "hospital_count", "beds", "rank",
                           "n_stays", "low_risk_stays", "low_risk_deaths"})


def fmt(value: Any, column: str = "") -> str:
    """Format a cell for HTML (counts as integers, rates as percent, indexes to 3 places)."""
    if value is None:
        return "—"
    if column in COUNT_COLUMNS and isinstance(value, int | float):
        return f"{int(value):,}"
    if isinstance(value, float):
        if column in ("mortality", "low_risk_mortality", "percentile", "ratio"):
            return f"{value * 100:.2f}%" if column != "percentile" or value <= 1 else f"{value:.1f}"
        if column in ("cmi", "cost_index", "time_index", "weight"):
            return f"{value:.3f}"
        return f"{value:,.2f}"
    return str(value)


def environment() -> Environment:
    """Jinja environment of the dashboard and reports (autoescaped)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.globals.update(t=t, fmt=fmt, code_label=code_label, metric_label=metric_label)
    return env


def render_html(sections: list[Section], title: str, lang: str, subtitle: str = "") -> str:
    """Return the printable HTML report."""
    return environment().get_template("report.html").render(
        sections=sections, title=title, subtitle=subtitle, lang=lang,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def render_xlsx(sections: list[Section], title: str, lang: str) -> bytes:
    """Return an Excel workbook: a cover sheet and one sheet per section."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    cover = book.add_worksheet(t("overview", lang)[:31])
    cover.write(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    cover.write(1, 0, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    for i, section in enumerate(sections):
        cover.write(3 + i, 0, section.title)
        cover.write(3 + i, 1, f"{t('not_computed', lang)}: {section.missing}" if section.missing
                    else f"{len(section.rows)}")
        sheet = book.add_worksheet(f"{i + 1} {section.title}"[:31].replace("/", "-"))
        if section.missing:
            sheet.write(0, 0, f"{t('not_computed', lang)} — {t('run', lang)} `{section.missing}`")
            continue
        for c, column in enumerate(section.columns):
            sheet.write(0, c, t(column, lang), bold)
            sheet.set_column(c, c, max(10, len(t(column, lang)) * 2))
        for r, row in enumerate(section.rows, start=1):
            for c, column in enumerate(section.columns):
                sheet.write(r, c, row.get(column))
    book.close()
    return buf.getvalue()


def pdf_available() -> bool:
    """Return true when WeasyPrint is installed (imported only when a PDF is asked for: it is slow to load)."""
    import importlib.util

    return importlib.util.find_spec("weasyprint") is not None


def render_pdf(html: str) -> bytes:
    """PDF from the printable HTML (raises ImportError when WeasyPrint is missing)."""
    try:
        import weasyprint
    except OSError as exc:  # installed, but Debian's pango is missing
        raise ImportError(f"weasyprint cannot load its libraries: {exc}") from exc
    return weasyprint.HTML(string=html).write_pdf()


def hospital_title(reader: Reader, scope: Scope, hospital_id: str, lang: str) -> str:
    """``<name> (<id>)`` for a report heading."""
    row = queries.hospital(reader, scope, hospital_id)
    name = row["name"] if row else hospital_id
    return f"{name}（{hospital_id}）" if lang == "zh" else f"{name} ({hospital_id})"


def write_hospital_reports(reader: Reader, scope: Scope, hospital_id: str, folder: Path, lang: str = "zh",
                           scheme: str = queries.DEFAULT_SCHEME) -> list[Path]:
    """Write ``<id>.xlsx``, ``<id>.html`` and (when possible) ``<id>.pdf`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = hospital_sections(reader, scope, hospital_id, lang, scheme)
    title = hospital_title(reader, scope, hospital_id, lang)
    html = render_html(sections, title, lang, t("hospital", lang))
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in hospital_id)
    paths = [folder / f"hospital-{safe}.xlsx", folder / f"hospital-{safe}.html"]
    paths[0].write_bytes(render_xlsx(sections, title, lang))
    paths[1].write_text(html, encoding="utf-8")
    if pdf_available():
        paths.append(folder / f"hospital-{safe}.pdf")
        paths[2].write_bytes(render_pdf(html))
    return paths


def write_jurisdiction_reports(reader: Reader, scope: Scope, folder: Path, lang: str = "zh",
                               scheme: str = queries.DEFAULT_SCHEME) -> list[Path]:
    """Write the jurisdiction ranking as ``jurisdiction.xlsx`` / ``.html`` (/ ``.pdf``)."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = jurisdiction_sections(reader, scope, lang, scheme)
    title = t("jurisdiction_report", lang)
    html = render_html(sections, title, lang, scope.principal.jurisdiction)
    paths = [folder / "jurisdiction.xlsx", folder / "jurisdiction.html"]
    paths[0].write_bytes(render_xlsx(sections, title, lang))
    paths[1].write_text(html, encoding="utf-8")
    if pdf_available():
        paths.append(folder / "jurisdiction.pdf")
        paths[2].write_bytes(render_pdf(html))
    return paths
