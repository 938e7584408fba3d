"""Server-rendered dashboard pages (Jinja2 + vendored ECharts) and report downloads.

Every page reads through :mod:`hospeval.present.queries` with the caller's scope; a block whose table is
missing says which command computes it. Chinese by default; ``?lang=en`` switches (kept in a cookie).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hospeval.present import charts, queries, reports
from hospeval.present.api import NotFound, hospital_in_scope
from hospeval.present.auth import Principal
from hospeval.present.i18n import LANGS, t
from hospeval.present.reports import Section, _section
from hospeval.present.scope import Forbidden, Scope
from hospeval.present.security import COOKIE, allow, authenticated, scope_of, token_of

public_pages = APIRouter(include_in_schema=False)
pages = APIRouter(include_in_schema=False, dependencies=[Depends(authenticated)])
downloads = APIRouter(prefix="/api/reports", tags=["reports"], dependencies=[Depends(authenticated)])

def lang_of(request: Request) -> str:
    """``?lang=`` first, then the ``lang`` cookie, else Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


Lang = Annotated[str, Depends(lang_of)]


def render(request: Request, template: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the common context (user, language, labels)."""
    env = request.app.state.templates
    principal = getattr(request.state, "principal", None)
    html = env.get_template(template).render(request=request, lang=lang, user=principal,
                                             path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, samesite="strict")
    return response


# -- login -----------------------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@public_pages.get("/login")
def login_page(request: Request, lang: Lang, next: str | None = None) -> HTMLResponse:  # noqa: A002
    """Return the login form."""
    return render(request, "login.html", lang, next=_safe_next(next), error=None)


@public_pages.post("/login")
def login_submit(request: Request, lang: Lang, username: Annotated[str, Form(max_length=64)],
                 password: Annotated[str, Form(max_length=256)],
                 next: Annotated[str, Form(max_length=500)] = "/") -> Response:  # noqa: A002
    """Check the password, set the session cookie and go on."""
    request.app.state.login_throttle.check(username)
    token = request.app.state.auth.login(username, password)
    request.app.state.login_throttle.record(username, token is not None)
    if token is None:
        return render(request, "login.html", lang, status=401, next=_safe_next(next), error=t("bad_login", lang))
    request.state.principal = request.app.state.auth.principal(token)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response


@pages.get("/logout")
def logout_page(request: Request) -> Response:
    """End the session and return to the login page."""
    request.app.state.auth.logout(token_of(request) or "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- overview --------------------------------------------------------------------------------------
@pages.get("/")
def overview(request: Request, lang: Lang, principal: Annotated[Principal, Depends(authenticated)],
             scope: Annotated[Scope, Depends(scope_of)], scheme: str = queries.DEFAULT_SCHEME) -> Response:
    """Province / city overview: hospitals by grade, peer-group ranking, pilot candidates, DRG performance."""
    if principal.role == "hospital":
        return RedirectResponse(f"/hospitals/{principal.hospital_id}", status_code=303)
    if principal.role == "insurance":
        return RedirectResponse("/payment", status_code=303)
    reader = request.app.state.reader
    grades = _section("by_grade", lang, ["level", "category", "hospital_count", "beds"],
                      lambda: queries.hospitals_by_grade(reader, scope) if reader.has("hospitals")
                      else _missing("hospitals", "hospeval ingest"))
    ranking = _section("ranking", lang, ["peer_group", "rank", "hospital_id", "hospital_name", "score", "grade",
                                         "percentile"], lambda: queries.latest_scores(reader, scope))
    pilots = Section("pilots", t("pilots", lang), ranking.columns,
                     [r for r in ranking.rows if r.get("rank") is not None and _top(r["rank"], 3)],
                     ranking.missing)
    perf = _section("performance", lang, ["hospital_id", *reports.PERF_COLUMNS],
                    lambda: queries.performance(reader, scope, ["hospital_id"], scheme=scheme))
    chart_list = []
    if grades.rows:
        levels = sorted({str(r["level"]) for r in grades.rows}, reverse=True)
        cats = sorted({str(r["category"]) for r in grades.rows})
        chart_list.append(charts.bar(t("by_grade", lang), [_code("hospital_level", lv, lang) for lv in levels],
                                     {_code("hospital_category", c, lang): [
                                         sum(r["hospital_count"] for r in grades.rows
                                             if str(r["level"]) == lv and str(r["category"]) == c)
                                         for lv in levels] for c in cats}))
    if perf.rows and "cmi" in perf.rows[0]:
        top = sorted(perf.rows, key=lambda r: -(r.get("cmi") or 0))[:30]
        chart_list.append(charts.bar("CMI", [r["hospital_id"] for r in top], {"CMI": [r["cmi"] for r in top]}))
    return render(request, "overview.html", lang, sections=[grades, pilots, ranking, perf], charts=chart_list,
                  schemes=_schemes(reader), scheme=scheme)


def _top(rank: Any, n: int) -> bool:
    try:
        return 1 <= float(rank) <= n
    except (TypeError, ValueError):
        return False


def _missing(table: str, stage: str) -> Any:
    from hospeval.present.tables import NotComputed

    raise NotComputed(table, stage)


def _code(code_set: str, code: Any, lang: str) -> str:
    from hospeval.present.i18n import code_label

    return code_label(code_set, code, lang)


def _schemes(reader: Any) -> list[str]:
    try:
        return queries.schemes(reader)
    except Exception:  # noqa: BLE001 - a selector must not break the page
        return [queries.DEFAULT_SCHEME]


# -- hospital and drill-downs ----------------------------------------------------------------------
hospital_roles = Depends(allow("admin", "commission", "hospital"))


@pages.get("/hospitals/{hospital_id}", dependencies=[hospital_roles])
def hospital_page(request: Request, hospital_id: str, lang: Lang, scope: Annotated[Scope, Depends(scope_of)],
                  scheme: str = queries.DEFAULT_SCHEME) -> Response:
    """One hospital: score, points lost, DRG mix, CMI, indexes, low-risk mortality, quality, trends."""
    hospital_in_scope(request, hospital_id, scope)
    scope = scope.narrow(hospital_id)
    reader = request.app.state.reader
    sections = {s.key: s for s in reports.hospital_sections(reader, scope, hospital_id, lang, scheme)}
    chart_list = []
    trend = sections["trend"]
    if trend.rows:
        periods = [r["period"] for r in trend.rows]
        series = {t("stays", lang): [r["stays"] for r in trend.rows]}
        if "cmi" in trend.rows[0]:
            series["CMI"] = [r["cmi"] for r in trend.rows]
        chart_list.append(charts.line(t("trend", lang), periods, series, secondary={"CMI"}))
    mix = sections["drg_mix"]
    if mix.rows:
        chart_list.append(charts.bar(t("drg_mix", lang), [r["drg"] for r in mix.rows[:15]],
                                     {t("stays", lang): [r["stays"] for r in mix.rows[:15]]}))
    points = sections["points_lost"]
    if points.rows and "points_lost" in points.rows[0]:
        chart_list.append(charts.bar(t("points_lost", lang), [r.get("indicator_id") for r in points.rows[:20]],
                                     {t("points_lost", lang): [r["points_lost"] for r in points.rows[:20]]},
                                     horizontal=True))
    perf = sections["performance"].rows[0] if sections["performance"].rows else {}
    return render(request, "hospital.html", lang, hospital=queries.hospital(reader, scope, hospital_id) or
                  {"hospital_id": hospital_id}, hospital_id=hospital_id, perf=perf, sections=sections,
                  charts=chart_list, scheme=scheme, schemes=_schemes(reader),
                  pdf=reports.pdf_available())


DRILL = {"departments": "dept", "doctors": "doctor", "drgs": "drg", "months": "period"}
DRILL_ROWS = 200  # rows on a drill-down page (largest first); the API serves all


@pages.get("/hospitals/{hospital_id}/{dimension}", dependencies=[hospital_roles])
def drill_page(request: Request, hospital_id: str, dimension: Literal["departments", "doctors", "drgs", "months"],
               lang: Lang, scope: Annotated[Scope, Depends(scope_of)], scheme: str = queries.DEFAULT_SCHEME,
               dept: Annotated[str | None, Query(max_length=64)] = None,
               doctor: Annotated[str | None, Query(max_length=64)] = None,
               drg: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """Drill-down of one hospital by department, doctor, DRG or month, optionally within one of the others."""
    hospital_in_scope(request, hospital_id, scope)
    scope = scope.narrow(hospital_id)
    by = DRILL[dimension]
    where = {"hospital_id": hospital_id, **{k: v for k, v in (("dept", dept), ("doctor", doctor), ("drg", drg))
                                            if v and k != by}}
    reader = request.app.state.reader
    section = _section(dimension, lang, [by, *reports.PERF_COLUMNS],
                       lambda: queries.performance(reader, scope, [by], scheme=scheme, where=where,
                                                   order="stays" if by != "period" else None, limit=DRILL_ROWS))
    chart_list = []
    if section.rows:
        top = section.rows[:25]
        chart_list.append(charts.bar(t(dimension, lang), [r[by] for r in top],
                                     {t("stays", lang): [r["stays"] for r in top]}))
    return render(request, "drill.html", lang, hospital_id=hospital_id, dimension=dimension, by=by,
                  where=where, section=section, charts=chart_list, scheme=scheme,
                  hospital=queries.hospital(reader, scope, hospital_id) or {"hospital_id": hospital_id})


# -- consortium and payment ------------------------------------------------------------------------
@pages.get("/consortia", dependencies=[hospital_roles])
def consortium_page(request: Request, lang: Lang, scope: Annotated[Scope, Depends(scope_of)]) -> Response:
    """Consortia, their members and the referral flows between institutions."""
    reader = request.app.state.reader
    members = _section("members", lang, ["consortium_id", "consortium_role", "hospital_id", "name", "level"],
                       lambda: queries.consortia(reader, scope) if reader.has("hospitals")
                       else _missing("hospitals", "hospeval ingest"))
    flows = _section("referral_flows", lang, ["hospital_id", "sender_name", "receiving_institution",
                                              "receiver_id", "discharge_disposition", "stays"],
                     lambda: queries.referral_flows(reader, scope))
    facts = _section("referral_facts", lang, ["hospital_id", "metric", "value"],
                     lambda: queries.referral_facts(reader, scope))
    chart_list = []
    if flows.rows:
        links = [(r.get("sender_name") or r["hospital_id"], r["receiving_institution"], r["stays"])
                 for r in flows.rows[:60]]
        chart_list.append(charts.sankey(t("referral_flows", lang), links))
    return render(request, "consortium.html", lang, sections=[members, flows, facts], charts=chart_list)


@pages.get("/payment")
def payment_page(request: Request, lang: Lang, scope: Annotated[Scope, Depends(scope_of)],
                 factor: Annotated[float, Query(ge=0.5, le=1.5)] = 1.0,
                 hospital_id: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Surplus / loss by DRG and by hospital, with a what-if rate factor."""
    if hospital_id:
        scope.check(hospital_id)
    reader = request.app.state.reader
    cols = ["cases", "cost", "payment", "surplus", "what_if_surplus"]
    # DRG settlements carry `drg`, DIP settlements `dip_group` (docs/contracts.md).
    group = "drg"
    if reader.has("payment_settlements") and "drg" not in reader.schema("payment_settlements").names:
        group = "dip_group"
    by_drg = _section("surplus_by_drg", lang, [group, *cols],
                      lambda: queries.payment_by(reader, scope, group, factor=factor, hospital_id=hospital_id))
    by_hospital = _section("surplus_by_hospital", lang, ["hospital_id", *cols],
                           lambda: queries.payment_by(reader, scope, "hospital_id", factor=factor,
                                                      hospital_id=hospital_id))
    chart_list = []
    if by_drg.rows:
        rows = by_drg.rows[:20]
        chart_list.append(charts.bar(t("surplus_by_drg", lang), [r[group] for r in rows],
                                     {t("surplus", lang): [r["surplus"] for r in rows],
                                      t("what_if_surplus", lang): [r["what_if_surplus"] for r in rows]}))
    return render(request, "payment.html", lang, sections=[by_drg, by_hospital], charts=chart_list,
                  factor=factor, hospital_id=hospital_id or "")


@pages.get("/admin", dependencies=[Depends(allow("admin"))])
def admin_page(request: Request, lang: Lang) -> Response:
    """Show uploads, stage runs with progress, users and the latest audit rows."""
    from hospeval.pipeline import available_stages

    _, audit_rows = request.app.state.auth.audit_rows(limit=30)
    return render(request, "admin.html", lang, stages=available_stages(), users=request.app.state.auth.users(),
                  audit=audit_rows, jobs=[j.as_dict() for j in request.app.state.jobs.list()][:20])


# -- report downloads ------------------------------------------------------------------------------
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def _download(content: bytes, fmt: str, name: str) -> Response:
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(content, media_type=MEDIA[fmt], headers={"content-disposition": f'{disposition}; filename="{name}"'})


def _render_report(sections: list[Section], title: str, subtitle: str, fmt: str, lang: str) -> bytes:
    if fmt == "xlsx":
        return reports.render_xlsx(sections, title, lang)
    html = reports.render_html(sections, title, lang, subtitle)
    if fmt == "html":
        return html.encode("utf-8")
    if not reports.pdf_available():
        raise NotFound("PDF rendering is not available on this server (install weasyprint) / 服务器未安装 PDF 组件")
    return reports.render_pdf(html)


@downloads.get("/hospitals/{hospital_id}/{fmt}", dependencies=[hospital_roles],
               summary="Hospital report as xlsx, printable html or pdf")
def hospital_report(request: Request, hospital_id: str, fmt: Literal["xlsx", "html", "pdf"], lang: Lang,
                    scope: Annotated[Scope, Depends(scope_of)], scheme: str = queries.DEFAULT_SCHEME) -> Response:
    """Answer it. Example: ``GET /api/reports/hospitals/H001/xlsx``."""
    hospital_in_scope(request, hospital_id, scope)
    scope = scope.narrow(hospital_id)
    reader = request.app.state.reader
    sections = reports.hospital_sections(reader, scope, hospital_id, lang, scheme)
    title = reports.hospital_title(reader, scope, hospital_id, lang)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in hospital_id)
    return _download(_render_report(sections, title, t("hospital", lang), fmt, lang), fmt,
                     f"hospital-{safe}.{fmt}")


@downloads.get("/jurisdiction/{fmt}", dependencies=[Depends(allow("admin", "commission"))],
               summary="Jurisdiction ranking report as xlsx, printable html or pdf")
def jurisdiction_report(request: Request, fmt: Literal["xlsx", "html", "pdf"], lang: Lang,
                        scope: Annotated[Scope, Depends(scope_of)], scheme: str = queries.DEFAULT_SCHEME
                        ) -> Response:
    """Every hospital in the caller's jurisdiction, ranked."""
    sections = reports.jurisdiction_sections(request.app.state.reader, scope, lang, scheme)
    return _download(_render_report(sections, t("jurisdiction_report", lang), scope.principal.jurisdiction,
                                     fmt, lang), fmt, f"jurisdiction.{fmt}")


__all__ = ["Forbidden", "downloads", "pages", "public_pages"]
