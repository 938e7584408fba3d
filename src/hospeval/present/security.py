"""The one authentication dependency every router uses, role checks, and the audit middleware.

A caller is identified by a bearer token (``Authorization: Bearer ...``, for scripts) or by the session
cookie the login page sets (HttpOnly, SameSite=Strict). Routers are built with
``dependencies=[Depends(authenticated)]`` so a route cannot be added without it; the only public paths
are listed in :data:`PUBLIC_PATHS` and a test checks that every other route refuses an anonymous caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import Request
from starlette.middleware.base import BaseHTTPMiddleware

from hospeval.present.auth import Principal
from hospeval.present.scope import Forbidden, Scope, resolve

COOKIE = "hospeval_session"
# Paths served without a session: the login itself, the published API description, static assets (the
# chart library and style sheet; no data).
PUBLIC_PATHS = frozenset({"/login", "/api/auth/login", "/openapi.json", "/docs", "/docs/oauth2-redirect",
                          "/redoc", "/healthz"})
PUBLIC_PREFIXES = ("/static/",)


class TooManyLogins(Exception):
    """Answered 429: too many failed logins for one user name."""


class LoginThrottle:
    """Refuse logins of a user name after ``max_failures`` failures within ``window`` seconds."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, username: str) -> None:
        """Raise :class:`TooManyLogins` while ``username`` is locked out."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(username.lower(), []) if now - t < self.window]
            self._failures[username.lower()] = recent
        if len(recent) >= self.max_failures:
            raise TooManyLogins(f"too many failed logins; try again in {int(self.window // 60)} minutes "
                                "/ 登录失败次数过多，请稍后再试")

    def record(self, username: str, ok: bool) -> None:
        """Count a failure, or forget the failures after a success."""
        with self._lock:
            if ok:
                self._failures.pop(username.lower(), None)
            else:
                self._failures.setdefault(username.lower(), []).append(time.monotonic())


class LoginRequired(Exception):
    """No valid session: API callers get 401, browsers are sent to the login page."""


def token_of(request: Request) -> str | None:
    """Return the session token of a request (bearer header first, then cookie)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE)


def authenticated(request: Request) -> Principal:
    """FastAPI dependency: the calling principal, or :class:`LoginRequired`."""
    principal = request.app.state.auth.principal(token_of(request))
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


def allow(*roles: str) -> Callable[[Request], Principal]:
    """Dependency factory: the principal when its role is one of ``roles``, else :class:`Forbidden`."""

    def check(request: Request) -> Principal:
        principal = authenticated(request)
        if principal.role not in roles:
            raise Forbidden("your role may not use this (您的角色无权使用此功能)")
        return principal

    check.__name__ = f"allow_{'_'.join(roles)}"
    return check


def scope_of(request: Request) -> Scope:
    """FastAPI dependency: the row scope of the calling principal."""
    principal = authenticated(request)
    cached = getattr(request.state, "scope", None)
    if cached is None:
        cached = resolve(principal, request.app.state.reader)
        request.state.scope = cached
    return cached


def _action(request: Request, status: int) -> str:
    path = request.url.path
    if status in (401, 403):
        return "denied"
    if "/reports/" in path or path.endswith((".csv", ".xlsx", ".pdf")) or "/export" in path:
        return "export"
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        return "change"
    return "view"


class AuditMiddleware(BaseHTTPMiddleware):
    """Write one audit row per request that touches data: who, what (path and query), when, status."""

    async def dispatch(self, request: Request, call_next):  # noqa: ANN001, ANN201 - starlette signature
        """Answer the request, then write its audit row."""
        response = await call_next(request)
        path = request.url.path
        if path.startswith(PUBLIC_PREFIXES) or path in ("/openapi.json", "/docs", "/healthz", "/redoc"):
            return response
        principal = getattr(request.state, "principal", None)
        target = path + (f"?{request.url.query}" if request.url.query else "")
        client = request.client.host if request.client else None
        action = "login" if path in ("/login", "/api/auth/login") and request.method == "POST" else \
            _action(request, response.status_code)
        if principal is None and action == "view" and response.status_code >= 300:
            action = "denied"
        request.app.state.auth.audit(principal, action, target, response.status_code, client)
        return response
