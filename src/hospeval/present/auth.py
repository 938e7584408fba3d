"""Accounts, sessions and the audit log, kept in a small SQLite file beside the warehouse.

Why SQLite and not the DuckDB warehouse: the server holds the warehouse open for writing, and DuckDB lets one
process at a time open a file, so ``hospeval users add`` could not run while ``hospeval serve`` does. SQLite
allows both (WAL mode), and audit rows are small single-row writes, which SQLite does well.

Passwords are hashed with argon2id (argon2-cffi). A session token is 32 random bytes; only its SHA-256 is
stored, with an expiry. Every read or export is written to ``audit_log``.

Examples
--------
>>> store = AuthStore(":memory:")
>>> store.add_user("wang", "s3cret-pass", role="hospital", hospital_id="H001")
>>> token = store.login("wang", "s3cret-pass")
>>> store.principal(token).hospital_id
'H001'
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hospeval.errors import HospevalError
from hospeval.present.catalog import ROLES

SESSION_HOURS = float(os.environ.get("HOSPEVAL_SESSION_HOURS", "8"))
MIN_PASSWORD = 8
# argon2id with the library's defaults (RFC 9106 "low memory" profile).
DEFAULT_HASHER = PasswordHasher()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
  hospital_id TEXT, province TEXT, city TEXT, district TEXT,
  active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
  at TEXT NOT NULL, username TEXT, role TEXT, action TEXT NOT NULL, target TEXT NOT NULL,
  status INTEGER NOT NULL, client TEXT);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
"""


class AuthError(HospevalError):
    """Bad user definition (unknown role, missing hospital, weak password)."""

    reason = "auth"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user name, a role and what the role is limited to.

    ``hospital_id`` limits a hospital user; ``province`` / ``city`` / ``district`` limit a commission or
    insurance user to a jurisdiction (all empty = the whole warehouse).
    """

    username: str
    role: str
    hospital_id: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None

    @property
    def jurisdiction(self) -> str:
        """Human-readable scope, e.g. ``上海市/浦东新区`` or ``H001``."""
        if self.role == "hospital":
            return self.hospital_id or ""
        parts = [p for p in (self.province, self.city, self.district) if p]
        return "/".join(parts) if parts else "*"


def _now() -> datetime:
    return datetime.now(UTC)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_auth_path(warehouse: str | Path) -> str:
    """Where the auth file lives: ``HOSPEVAL_AUTH_DB`` or ``auth.sqlite`` beside the warehouse file."""
    override = os.environ.get("HOSPEVAL_AUTH_DB")
    if override:
        return override
    if str(warehouse) == ":memory:":
        return ":memory:"
    return str(Path(warehouse).with_name("auth.sqlite"))


class AuthStore:
    """Users, sessions and audit log in one SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path = ":memory:", *, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
        self.path = str(path)
        self.hasher = hasher
        self._dummy_hash: str | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            if self.path != ":memory:":
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
            self._con.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self._con.close()

    def _exec(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    # -- users -----------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, *, role: str, hospital_id: str | None = None,
                 province: str | None = None, city: str | None = None, district: str | None = None) -> None:
        """Create a user (raises :class:`AuthError` on a bad definition or an existing name)."""
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", field="role")
        if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise AuthError("user names use letters, digits, '.', '_' and '-' only", field="username")
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"passwords need at least {MIN_PASSWORD} characters", field="password")
        if role == "hospital" and not hospital_id:
            raise AuthError("a hospital user needs --hospital (its hospital_id)", field="hospital_id")
        if role != "hospital" and hospital_id:
            raise AuthError("only hospital users are tied to one hospital", field="hospital_id")
        if role in ("hospital", "admin") and (province or city or district):
            raise AuthError("province / city / district apply to commission and insurance users only")
        if self.user(username) is not None:
            raise AuthError(f"user {username!r} exists already", field="username")
        self._exec("INSERT INTO users VALUES (?,?,?,?,?,?,?,1,?)",
                   (username, self.hasher.hash(password), role, hospital_id, province, city, district,
                    _now().isoformat()))

    def set_password(self, username: str, password: str) -> None:
        """Change a password and end the user's sessions."""
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"passwords need at least {MIN_PASSWORD} characters", field="password")
        if self.user(username) is None:
            raise AuthError(f"no user {username!r}", field="username")
        self._exec("UPDATE users SET password_hash = ? WHERE username = ?", (self.hasher.hash(password), username))
        self._exec("DELETE FROM sessions WHERE username = ?", (username,))

    def remove_user(self, username: str) -> None:
        """Delete a user and its sessions."""
        if self.user(username) is None:
            raise AuthError(f"no user {username!r}", field="username")
        self._exec("DELETE FROM sessions WHERE username = ?", (username,))
        self._exec("DELETE FROM users WHERE username = ?", (username,))

    def user(self, username: str) -> Principal | None:
        """Return the principal of an active user, or None."""
        rows = self._exec("SELECT username, role, hospital_id, province, city, district FROM users "
                          "WHERE username = ? AND active = 1", (username,))
        return Principal(*rows[0]) if rows else None

    def users(self) -> list[Principal]:
        """Every active user."""
        rows = self._exec("SELECT username, role, hospital_id, province, city, district FROM users "
                          "WHERE active = 1 ORDER BY username")
        return [Principal(*r) for r in rows]

    # -- sessions --------------------------------------------------------------------------------
    def login(self, username: str, password: str, *, hours: float = SESSION_HOURS) -> str | None:
        """Check a password; return a new session token, or None when the name or password is wrong."""
        rows = self._exec("SELECT password_hash FROM users WHERE username = ? AND active = 1", (username,))
        stored = rows[0][0] if rows else self._dummy()
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        token = secrets.token_urlsafe(32)
        now = _now()
        self._exec("INSERT INTO sessions VALUES (?,?,?,?)",
                   (_sha(token), username, now.isoformat(), (now + timedelta(hours=hours)).isoformat()))
        self._exec("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
        return token

    def _dummy(self) -> str:
        # A hash of a random password, verified when the user is unknown so that timing does not tell
        # whether a user name exists.
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    def logout(self, token: str) -> None:
        """End a session."""
        self._exec("DELETE FROM sessions WHERE token_sha256 = ?", (_sha(token),))

    def principal(self, token: str | None) -> Principal | None:
        """Return the user of a live session token, or None (unknown, expired or user removed)."""
        if not token:
            return None
        rows = self._exec(
            "SELECT u.username, u.role, u.hospital_id, u.province, u.city, u.district FROM sessions s "
            "JOIN users u ON u.username = s.username WHERE s.token_sha256 = ? AND s.expires_at > ? "
            "AND u.active = 1", (_sha(token), _now().isoformat()))
        return Principal(*rows[0]) if rows else None

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, principal: Principal | None, action: str, target: str, status: int,
              client: str | None = None) -> None:
        """Append one audit row (who did what to which target, and the answer's status)."""
        self._exec("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
                   (_now().isoformat(), principal.username if principal else None,
                    principal.role if principal else None, action, target[:500], status, client))

    def audit_rows(self, *, limit: int = 100, offset: int = 0, username: str | None = None,
                   action: str | None = None) -> tuple[int, list[dict]]:
        """Audit rows, newest first, with the total count."""
        where, params = [], []
        if username:
            where.append("username = ?")
            params.append(username)
        if action:
            where.append("action = ?")
            params.append(action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = self._exec(f"SELECT count(*) FROM audit_log {clause}", tuple(params))[0][0]
        rows = self._exec(f"SELECT at, username, role, action, target, status, client FROM audit_log {clause} "
                          "ORDER BY at DESC, rowid DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        keys = ("at", "username", "role", "action", "target", "status", "client")
        return total, [dict(zip(keys, r, strict=True)) for r in rows]
