from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from hospeval.present.auth import AuthError, AuthStore

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_password_is_stored_as_argon2_hash_only():
    store = AuthStore(":memory:")  # the production parameters
    store.add_user("wang", "s3cret-pass", role="hospital", hospital_id="H001")
    stored = store._exec("SELECT password_hash FROM users WHERE username = 'wang'")[0][0]
    assert stored.startswith("$argon2id$")
    assert "s3cret-pass" not in stored


def test_login_wrong_password_and_unknown_user_give_none():
    store = AuthStore(":memory:", hasher=FAST)
    store.add_user("wang", "s3cret-pass", role="admin")
    assert store.login("wang", "wrong-pass") is None
    assert store.login("nobody", "s3cret-pass") is None
    assert store.principal(store.login("wang", "s3cret-pass")).role == "admin"


def test_session_expires_and_token_is_stored_hashed():
    store = AuthStore(":memory:", hasher=FAST)
    store.add_user("wang", "s3cret-pass", role="admin")
    expired = store.login("wang", "s3cret-pass", hours=-1)
    assert store.principal(expired) is None
    live = store.login("wang", "s3cret-pass")
    assert store._exec("SELECT count(*) FROM sessions WHERE token_sha256 = ?", (live,))[0][0] == 0


def test_removing_user_or_changing_password_ends_sessions():
    store = AuthStore(":memory:", hasher=FAST)
    store.add_user("wang", "s3cret-pass", role="admin")
    token = store.login("wang", "s3cret-pass")
    store.set_password("wang", "another-pass")
    assert store.principal(token) is None
    token = store.login("wang", "another-pass")
    store.remove_user("wang")
    assert store.principal(token) is None


@pytest.mark.parametrize("kwargs, field", [
    (dict(role="boss"), "role"),
    (dict(role="hospital"), "hospital_id"),
    (dict(role="commission", hospital_id="H001"), "hospital_id"),
])
def test_bad_user_definitions_are_refused(kwargs, field):
    store = AuthStore(":memory:", hasher=FAST)
    with pytest.raises(AuthError) as err:
        store.add_user("wang", "s3cret-pass", **kwargs)
    assert err.value.field == field


def test_short_password_and_duplicate_name_are_refused():
    store = AuthStore(":memory:", hasher=FAST)
    with pytest.raises(AuthError, match="at least"):
        store.add_user("wang", "short", role="admin")
    store.add_user("wang", "long-enough", role="admin")
    with pytest.raises(AuthError, match="exists"):
        store.add_user("wang", "long-enough", role="admin")


def test_audit_rows_newest_first_and_filtered():
    store = AuthStore(":memory:", hasher=FAST)
    store.add_user("wang", "s3cret-pass", role="admin")
    p = store.user("wang")
    store.audit(p, "view", "/a", 200)
    store.audit(p, "export", "/b", 200)
    store.audit(None, "denied", "/c", 401)
    total, rows = store.audit_rows()
    assert total == 3 and rows[0]["target"] == "/c"
    total, rows = store.audit_rows(action="export")
    assert total == 1 and rows[0]["username"] == "wang"


def test_logins_are_throttled_after_repeated_failures(new_auth, password, tmp_path):
    from fastapi.testclient import TestClient

    from hospeval.present.app import create_app
    from hospeval.warehouse import Warehouse

    client = TestClient(create_app(Warehouse(":memory:"), new_auth(), output=tmp_path))
    for _ in range(5):
        assert client.post("/api/auth/login", json={"username": "h1", "password": "wrong-pass"}).status_code == 401
    r = client.post("/api/auth/login", json={"username": "h1", "password": password})
    assert r.status_code == 429 and "too many" in r.json()["detail"]
    assert client.post("/login", data={"username": "H1", "password": password}).status_code == 429
    assert client.post("/api/auth/login", json={"username": "h2", "password": password}).status_code == 200
