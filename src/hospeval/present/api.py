"""JSON API: login, result tables, dashboard figures, uploads, stage runs, jobs, users, audit log.

Table routes are generated from the catalog. Every router carries the authentication dependency.
"""

from __future__ import annotations

import csv
import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from hospeval.present import queries
from hospeval.present.auth import AuthError, Principal
from hospeval.present.catalog import RESULT_TABLES, ROLES, ResultTable
from hospeval.present.jobs import Job
from hospeval.present.scope import Forbidden, Scope
from hospeval.present.security import COOKIE, allow, authenticated, scope_of, token_of
from hospeval.present.tables import MAX_LIMIT, NotComputed, read_all, read_page
from hospeval.present.uploads import (
    MAX_FILES,
    UploadError,
    check_name,
    new_folder,
    remove_folder,
    save_stream,
)

public = APIRouter(prefix="/api", tags=["auth"])
router = APIRouter(prefix="/api", dependencies=[Depends(authenticated)])


# -- models ----------------------------------------------------------------------------------------
class Credentials(BaseModel):
    """User name and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class NewUser(BaseModel):
    """A user to create."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: Literal["admin", "commission", "hospital", "insurance"]
    hospital_id: str | None = Field(default=None, max_length=64)
    province: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=64)
    district: str | None = Field(default=None, max_length=64)


class StageRun(BaseModel):
    """Options of a stage run."""

    scheme: str = Field(default=queries.DEFAULT_SCHEME, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


def _me(principal: Principal) -> dict[str, Any]:
    return {"username": principal.username, "role": principal.role, "hospital_id": principal.hospital_id,
            "province": principal.province, "city": principal.city, "district": principal.district}


# -- auth ------------------------------------------------------------------------------------------
@public.post("/auth/login", summary="Log in; returns a bearer token and sets the session cookie")
def login(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
    """Answer it. Example: ``curl -X POST -H 'content-type: application/json' -d '{"username":"u","password":"p"}'``."""
    request.app.state.login_throttle.check(body.username)
    token = request.app.state.auth.login(body.username, body.password)
    request.app.state.login_throttle.record(body.username, token is not None)
    if token is None:
        raise LoginRequired_("wrong user name or password / 用户名或密码错误")
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    principal = request.app.state.auth.principal(token)
    request.state.principal = principal
    return {"token": token, "token_type": "bearer", "user": _me(principal)}


class LoginRequired_(Exception):  # noqa: N801 - a wrong password, answered 401 like a missing session
    """Wrong credentials."""


@router.post("/auth/logout", summary="End the session")
def logout(request: Request, response: Response) -> dict[str, str]:
    """End the caller's session."""
    request.app.state.auth.logout(token_of(request) or "")
    response.delete_cookie(COOKIE)
    return {"status": "logged out"}


@router.get("/auth/me", summary="Who am I")
def me(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
    """Return the caller's user name, role and scope."""
    return _me(principal)


# -- result tables ---------------------------------------------------------------------------------
@router.get("/tables", summary="Result tables this role may read, and whether each is computed")
def list_tables(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> list[dict]:
    """Tables of docs/contracts.md the caller's role may read."""
    present = request.app.state.reader.tables()
    return [{"table": t.name, "label_zh": t.label_zh, "label_en": t.label_en, "computed": t.name in present,
             "stage": t.stage, "filters": list(t.filters)}
            for t in RESULT_TABLES if principal.role in t.roles]


def _table_endpoint(spec: ResultTable, export: bool) -> Callable[..., Any]:
    """Build the endpoint of one table, with one query parameter per declared filter."""

    def endpoint(request: Request, scope: Scope, limit: int = 100, offset: int = 0, order_by: str | None = None,
                 **filters: str | None) -> Any:
        reader = request.app.state.reader
        if export:
            page = read_all(spec, reader, scope, filters)
            return _csv_response(page.columns, page.rows, f"{spec.name}.csv")
        page = read_page(spec, reader, scope, filters, limit=limit, offset=offset, order_by=order_by)
        return {"table": page.table, "total": page.total, "limit": page.limit, "offset": page.offset,
                "columns": page.columns, "rows": page.rows}

    params = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter("scope", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Scope, Depends(scope_of)]),
    ]
    if not export:
        params += [
            inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY,
                              annotation=Annotated[int, Query(ge=1, le=MAX_LIMIT)], default=100),
            inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY,
                              annotation=Annotated[int, Query(ge=0, le=10**9)], default=0),
            inspect.Parameter("order_by", inspect.Parameter.KEYWORD_ONLY,
                              annotation=Annotated[str | None, Query(max_length=64)], default=None),
        ]
    params += [inspect.Parameter(f, inspect.Parameter.KEYWORD_ONLY,
                                 annotation=Annotated[str | None, Query(max_length=128)], default=None)
               for f in spec.filters]

    def wrapper(**kwargs: Any) -> Any:
        fixed = {k: kwargs.pop(k) for k in ("request", "scope", "limit", "offset", "order_by") if k in kwargs}
        return endpoint(**fixed, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__name__ = f"{'export' if export else 'read'}_{spec.name}"
    wrapper.__doc__ = f"{spec.label_en} / {spec.label_zh} (written by `{spec.stage}`), scoped to the caller."
    return wrapper


for _spec in RESULT_TABLES:
    router.add_api_route(f"/tables/{_spec.name}", _table_endpoint(_spec, export=False), methods=["GET"],
                         tags=["tables"], summary=f"Read {_spec.name} ({_spec.label_zh})")
    router.add_api_route(f"/tables/{_spec.name}/export.csv", _table_endpoint(_spec, export=True),
                         methods=["GET"], tags=["exports"], summary=f"Export {_spec.name} as CSV",
                         response_class=StreamingResponse)


def _csv_response(columns: list[str], rows: list[dict], filename: str) -> StreamingResponse:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8-sig")
    return StreamingResponse(iter([data]), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


# -- dashboard figures -----------------------------------------------------------------------------
def hospital_in_scope(request: Request, hospital_id: str, scope: Scope) -> str:
    """Check a hospital id against the caller's scope (403, or 404 for admin when it does not exist)."""
    scope.check(hospital_id)
    if scope.unrestricted and request.app.state.reader.has("hospitals") and \
            queries.hospital(request.app.state.reader, scope, hospital_id) is None:
        raise NotFound(f"no hospital {hospital_id!r}")
    return hospital_id


class NotFound(Exception):
    """Answered 404."""


@router.get("/hospitals/{hospital_id}/performance", tags=["dashboard"],
            dependencies=[Depends(allow("admin", "commission", "hospital"))],
            summary="DRG performance of one hospital (CMI, cost/time index, low-risk mortality), by a dimension")
def hospital_performance(request: Request, hospital_id: str, scope: Annotated[Scope, Depends(scope_of)],
                         by: Literal["hospital_id", "dept", "doctor", "period", "drg"] = "hospital_id",
                         scheme: Annotated[str, Query(max_length=64)] = queries.DEFAULT_SCHEME,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Answer it. Example: ``GET /api/hospitals/H001/performance?by=dept``."""
    hospital_in_scope(request, hospital_id, scope)
    rows = queries.performance(request.app.state.reader, scope.narrow(hospital_id),
                               list(dict.fromkeys(["hospital_id", by])),
                               scheme=scheme, where={"hospital_id": hospital_id}, limit=limit)
    return {"hospital_id": hospital_id, "by": by, "rows": rows}


@router.get("/performance", tags=["dashboard"], dependencies=[Depends(allow("admin", "commission", "hospital"))],
            summary="DRG performance of every hospital in scope")
def jurisdiction_performance(request: Request, scope: Annotated[Scope, Depends(scope_of)],
                             scheme: Annotated[str, Query(max_length=64)] = queries.DEFAULT_SCHEME
                             ) -> dict[str, Any]:
    """One row per hospital the caller may see."""
    return {"rows": queries.performance(request.app.state.reader, scope, ["hospital_id"], scheme=scheme)}


@router.get("/payment/summary", tags=["dashboard"], summary="Payment surplus / loss by a dimension, with what-if")
def payment_summary(request: Request, scope: Annotated[Scope, Depends(scope_of)],
                    by: Literal["drg", "dip_group", "hospital_id", "case_type"] = "drg",
                    factor: Annotated[float, Query(ge=0.5, le=1.5)] = 1.0,
                    hospital_id: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    """Answer it. Example: ``GET /api/payment/summary?by=drg&factor=1.05``."""
    if hospital_id is not None:
        scope.check(hospital_id)
    rows = queries.payment_by(request.app.state.reader, scope, by, factor=factor, hospital_id=hospital_id)
    return {"by": by, "factor": factor, "rows": rows}


@router.get("/consortia/flows", tags=["dashboard"], dependencies=[Depends(allow("admin", "commission", "hospital"))],
            summary="Referral flows between institutions")
def consortium_flows(request: Request, scope: Annotated[Scope, Depends(scope_of)]) -> dict[str, Any]:
    """Transfers out by sending hospital and receiving institution."""
    return {"rows": queries.referral_flows(request.app.state.reader, scope)}


# -- uploads, stages, jobs -------------------------------------------------------------------------
def default_ingest(warehouse: Any, paths: list[Path], names: list[str], progress: Callable[[float, str], None]
                   ) -> list[str]:
    """Load saved uploads through the ingest library (the one place that calls it).

    Ingest reports steps as messages (read and check each file, then one write); they become fractions here.
    """
    try:
        from hospeval.ingest import ingest_files
    except ImportError as exc:
        raise UploadError("the ingest stage is not installed yet / 数据导入模块尚未安装", status=503) from exc
    steps, done = 3 * len(paths) + 1, [0]

    def on_message(message: str) -> None:
        done[0] += 1
        progress(min(0.95, done[0] / steps), message)

    report = ingest_files(warehouse, paths, progress=on_message, source_names=names)
    progress(1.0, "done / 完成")
    return [f"{f.file}: {f.rows_read} rows read, {f.rows_loaded} loaded, {f.rows_quarantined} quarantined "
            f"({f.profile}, {f.encoding})" for f in report.files]


def ingest_available() -> bool:
    """Return true when ``hospeval.ingest.ingest_files`` exists."""
    try:
        from hospeval.ingest import ingest_files  # noqa: F401
    except ImportError:
        return False
    return True


def get_ingest() -> Callable[..., list[str]]:
    """Dependency: the ingest function (tests replace it through ``app.dependency_overrides``)."""
    return default_ingest


@router.post("/uploads", tags=["jobs"], status_code=202, summary="Upload data files; ingest runs as a job",
             dependencies=[Depends(allow("admin"))])
def upload(request: Request, files: Annotated[list[UploadFile], File(description=".csv, .xlsx or .parquet")],
           principal: Annotated[Principal, Depends(authenticated)],
           ingest: Annotated[Callable[..., list[str]], Depends(get_ingest)]) -> dict[str, Any]:
    """All files are checked before any is loaded; one bad file refuses the whole request."""
    if not files:
        raise UploadError("no file sent / 未上传文件")
    if len(files) > MAX_FILES:
        raise UploadError(f"send at most {MAX_FILES} files at once")
    kinds = [check_name(f.filename) for f in files]
    folder = new_folder()
    try:
        saved = [save_stream(f.file, folder, f.filename or "", kind, request.app.state.max_upload_bytes)
                 for f, kind in zip(files, kinds, strict=True)]
        if ingest is default_ingest and not ingest_available():
            raise UploadError("the files are fine, but the ingest stage is not installed yet "
                              "/ 文件检查通过，但数据导入模块尚未安装", status=503)
    except BaseException:
        remove_folder(folder)
        raise
    app_state = request.app.state

    def work(job: Job) -> list[str]:
        def progress(fraction: float, message: str = "") -> None:
            job.progress, job.message = max(0.0, min(1.0, float(fraction))), message or job.message

        return ingest(app_state.job_warehouse(), [s.path for s in saved], [s.original_name for s in saved],
                      progress)

    job = app_state.jobs.submit("ingest", principal.username, work, cleanup=lambda: remove_folder(folder))
    return {"job": job.id, "status_url": f"/api/jobs/{job.id}",
            "files": [{"name": s.original_name, "bytes": s.size} for s in saved]}


@router.post("/stages/{stage}/run", tags=["jobs"], status_code=202, summary="Run one stage as a background job",
             dependencies=[Depends(allow("admin"))])
def run_stage(request: Request, stage: Literal["quality", "group", "reference", "indicators", "evaluate",
                                              "payment", "present"],
              principal: Annotated[Principal, Depends(authenticated)], body: StageRun | None = None
              ) -> dict[str, Any]:
    """Answer it. Example: ``POST /api/stages/quality/run`` with ``{"scheme": "chs-drg-1.1"}``."""
    from hospeval.pipeline import RunContext, available_stages
    from hospeval.pipeline import run_stage as run

    if stage not in available_stages():
        raise NotFound(f"stage {stage!r} is not installed yet / 该阶段尚未安装")
    options = body or StageRun()
    app_state = request.app.state

    def work(job: Job) -> list[str]:
        job.progress, job.message = 0.1, f"running {stage}"
        ctx = RunContext(warehouse=app_state.job_warehouse(), output=app_state.output, scheme=options.scheme)
        summary = run(stage, ctx)
        return list(summary.lines)

    job = app_state.jobs.submit(f"stage:{stage}", principal.username, work)
    return {"job": job.id, "status_url": f"/api/jobs/{job.id}"}


def _visible_job(request: Request, principal: Principal, job_id: str) -> Job:
    job = request.app.state.jobs.get(job_id)
    if job is None or (principal.role != "admin" and job.owner != principal.username):
        raise NotFound("no such job")
    return job


@router.get("/jobs", tags=["jobs"], summary="Background jobs (own; all for admin)")
def list_jobs(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> list[dict]:
    """Newest first."""
    owner = None if principal.role == "admin" else principal.username
    return [j.as_dict() for j in request.app.state.jobs.list(owner)]


@router.get("/jobs/{job_id}", tags=["jobs"], summary="Progress of one job")
def get_job(request: Request, job_id: Annotated[str, PathParam(max_length=64)],
            principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
    """Poll until ``status`` is ``done`` or ``failed``."""
    return _visible_job(request, principal, job_id).as_dict()


# -- users and audit (admin) -----------------------------------------------------------------------
admin = APIRouter(prefix="/api", tags=["admin"], dependencies=[Depends(authenticated), Depends(allow("admin"))])


@admin.get("/users", summary="Users")
def list_users(request: Request) -> list[dict[str, Any]]:
    """Every active user (no password hashes)."""
    return [_me(p) for p in request.app.state.auth.users()]


@admin.post("/users", status_code=201, summary="Create a user")
def create_user(request: Request, body: NewUser) -> dict[str, Any]:
    """Answer it. Example body: ``{"username": "wang", "password": "...", "role": "hospital", "hospital_id": "H001"}``."""
    request.app.state.auth.add_user(body.username, body.password, role=body.role, hospital_id=body.hospital_id,
                                    province=body.province, city=body.city, district=body.district)
    return _me(request.app.state.auth.user(body.username))


@admin.delete("/users/{username}", summary="Remove a user")
def delete_user(request: Request, username: Annotated[str, PathParam(max_length=64)]) -> dict[str, str]:
    """Remove a user and end its sessions."""
    request.app.state.auth.remove_user(username)
    return {"status": "removed", "username": username}


@admin.get("/audit", summary="Audit log: who saw or exported what, when")
def audit(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
          username: Annotated[str | None, Query(max_length=64)] = None,
          action: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, Any]:
    """Newest first."""
    total, rows = request.app.state.auth.audit_rows(limit=limit, offset=offset, username=username, action=action)
    return {"total": total, "rows": rows}


__all__ = ["AuthError", "Forbidden", "NotComputed", "NotFound", "ROLES", "admin", "public", "router"]
