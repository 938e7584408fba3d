"""The FastAPI application: API, dashboard and report downloads in one process over one warehouse.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.present.auth import AuthStore
>>> app = create_app(Warehouse(":memory:"), AuthStore(":memory:"))
>>> app.openapi()["info"]["title"]
'hospeval'
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from hospeval import __version__
from hospeval.errors import HospevalError
from hospeval.present import api, pages
from hospeval.present.auth import AuthStore
from hospeval.present.db import Reader
from hospeval.present.jobs import JobManager
from hospeval.present.reports import environment
from hospeval.present.scope import Forbidden
from hospeval.present.security import AuditMiddleware, LoginRequired, LoginThrottle, TooManyLogins
from hospeval.present.tables import BadQuery, NotComputed
from hospeval.present.uploads import MAX_BYTES, UploadError
from hospeval.warehouse import Warehouse

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("hospeval.present")


def create_app(warehouse: Warehouse, auth: AuthStore, *, output: Path | None = None,
               max_upload_bytes: int = MAX_BYTES) -> FastAPI:
    """Build the application over an open warehouse and auth store."""
    app = FastAPI(title="hospeval", version=__version__,
                  description="HTTP API of hospeval (公立医院高质量发展评价): result tables with filters and "
                              "paging, uploads and stage runs as background jobs, reports. Log in with "
                              "POST /api/auth/login and send `Authorization: Bearer <token>`.")
    app.state.warehouse = warehouse
    app.state.reader = Reader(warehouse)
    app.state.auth = auth
    app.state.jobs = JobManager(on_finish=app.state.reader.invalidate)
    app.state.output = output or Path("out")
    app.state.max_upload_bytes = max_upload_bytes
    app.state.templates = environment()
    app.state.login_throttle = LoginThrottle()
    app.state.job_warehouse = warehouse.cursor
    app.add_middleware(AuditMiddleware)
    app.add_middleware(ControlCharacterGuard)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (api.public, api.router, api.admin, pages.public_pages, pages.pages, pages.downloads):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _handlers(app)
    return app


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and ("text/html" in accept or "json" not in accept)


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_html(request) and status in (403, 404):
        return pages.render(request, "error.html", pages.lang_of(request), status=status, status_code=status,
                            message=message)
    return JSONResponse({"detail": message}, status_code=status)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"detail": "log in first (请先登录)"}, status_code=401,
                            headers={"www-authenticate": "Bearer"})

    @app.exception_handler(api.LoginRequired_)
    def bad_login(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=401)

    @app.exception_handler(TooManyLogins)
    def too_many(request: Request, exc: TooManyLogins) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=429)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(api.NotFound)
    def not_found(request: Request, exc: Exception) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(NotComputed)
    def not_computed(request: Request, exc: NotComputed) -> Response:
        return JSONResponse({"detail": str(exc), "table": exc.table, "run": exc.stage}, status_code=404)

    @app.exception_handler(BadQuery)
    def bad_query(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(UploadError)
    def bad_upload(request: Request, exc: UploadError) -> Response:
        return JSONResponse({"detail": str(exc), "reason": exc.reason}, status_code=exc.status)

    @app.exception_handler(HospevalError)
    def user_error(request: Request, exc: HospevalError) -> Response:
        return JSONResponse({"detail": str(exc), "reason": exc.reason}, status_code=400)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        return JSONResponse({"detail": "invalid request / 请求无效: " + "; ".join(problems)[:1000]},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    def crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s", request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error; the administrator can find it in the server log"},
                            status_code=500)


class ControlCharacterGuard:
    """Refuse (400) a path or query string carrying control characters (NUL and friends) before any route.

    Filter values reach SQL as escaped literals, and a NUL would end the literal early in DuckDB's parser.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request line, then pass it on."""
        if scope["type"] == "http":
            text = scope.get("path", "") + unquote(scope.get("query_string", b"").decode("latin-1"))
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
                response = JSONResponse({"detail": "control characters are not allowed in the path or query "
                                                   "/ 路径或参数包含控制字符"}, status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Return every (method, path) the app answers, including routes of included routers and mounts."""
    out: list[tuple[str, str]] = []

    def walk(routes: list) -> None:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if callable(contexts):  # FastAPI >= 0.16x keeps included routers as one route each
                for ctx in contexts():
                    out.extend((m, ctx.path) for m in sorted(ctx.methods or ()))
            elif hasattr(route, "methods") and hasattr(route, "path"):
                out.extend((m, route.path) for m in sorted(route.methods or ()))
            elif hasattr(route, "routes") and hasattr(route, "path"):
                out.append(("GET", route.path + "/"))

    walk(app.routes)
    return [(m, p) for m, p in out if m != "HEAD"]


def warm_up(reader: Reader, limit_seconds: float = 120.0, templates: Environment | None = None) -> int:
    """Compile every page question once (for an unrestricted and a restricted scope) before serving.

    Compiling costs far more than running; doing it before the first user arrives keeps the first pages as
    fast as the later ones. Returns the number of statements compiled.
    """
    import time

    from hospeval.present import queries, reports
    from hospeval.present.auth import Principal
    from hospeval.present.scope import Scope

    deadline = time.monotonic() + limit_seconds
    if not reader.has("hospitals"):
        return 0
    everyone = Scope(Principal("warm-up", "admin"), None)
    ids = [r["hospital_id"] for r in queries.hospitals(reader, everyone)]
    if not ids:
        return 0
    restricted = Scope(Principal("warm-up", "commission"), frozenset(ids))
    one = Scope(Principal("warm-up", "hospital", hospital_id=ids[0]), frozenset(ids[:1]))
    steps = [
        lambda: reports.hospital_sections(reader, one, ids[0]),
        lambda: reports.jurisdiction_sections(reader, everyone),
        lambda: reports.jurisdiction_sections(reader, restricted),
        *[lambda by=by: queries.performance(reader, one, [by], where={"hospital_id": ids[0]},
                                            order="stays" if by != "period" else None, limit=pages.DRILL_ROWS)
          for by in ("dept", "doctor", "drg", "period")],
        *[lambda s=s: queries.consortia(reader, s) for s in (everyone, restricted)],
        *[lambda s=s: queries.referral_flows(reader, s) for s in (everyone, restricted)],
        *[lambda s=s, by=by: queries.payment_by(reader, s, by) for s in (everyone, restricted)
          for by in ("drg", "hospital_id")],
    ]
    steps.append(lambda: queries.schemes(reader))
    env = templates or environment()
    steps += [lambda name=name: env.get_template(name) for name in
              ("overview.html", "hospital.html", "drill.html", "consortium.html", "payment.html", "admin.html",
               "login.html", "error.html", "report.html")]
    for step in steps:
        if time.monotonic() > deadline:
            break
        try:
            step()
        except Exception:  # noqa: BLE001, S112 - a table not computed yet is fine here
            continue
    return sum(1 for key in list(reader._memo) if key[0] == "sql")
