from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from hospeval.present import sample
from hospeval.present.app import create_app
from hospeval.present.auth import AuthStore
from hospeval.warehouse import Warehouse

PASSWORD = "correct-horse-1"
# One user per role; the commission and insurance users are limited to 上海市 (hospitals H001-H004, H006 of
# the sample: i % 5 == 4 -> 江苏省/苏州市, so H004 is outside).
USERS = {
    "admin": dict(role="admin"),
    "city": dict(role="commission", province="上海市", city="上海市"),
    "pudong": dict(role="commission", province="上海市", district="浦东新区"),
    "h1": dict(role="hospital", hospital_id="H001"),
    "h2": dict(role="hospital", hospital_id="H002"),
    "bureau": dict(role="insurance", province="上海市"),
}


# Cheap argon2 parameters keep the tests fast; production uses the library defaults.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_auth() -> AuthStore:
    auth = AuthStore(":memory:", hasher=FAST)
    for name, spec in USERS.items():
        auth.add_user(name, PASSWORD, **spec)
    return auth


@pytest.fixture(scope="module")
def warehouse():
    wh = Warehouse(":memory:")
    sample.build(wh, hospitals=6, stays=3000)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def app(warehouse, tmp_path_factory):
    return create_app(warehouse, make_auth(), output=tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def tokens(app):
    client = TestClient(app)
    out = {}
    for name in USERS:
        r = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = r.json()["token"]
    return out


@pytest.fixture()
def as_user(app, tokens):
    """Return a TestClient logged in (bearer) as ``name``."""

    def make(name: str) -> TestClient:
        return TestClient(app, headers={"authorization": f"Bearer {tokens[name]}"})

    return make


@pytest.fixture()
def anon(app):
    return TestClient(app, follow_redirects=False)


@pytest.fixture()
def new_auth():
    """Return a function making a fresh auth store with one user per role (password PASSWORD)."""
    return make_auth


@pytest.fixture()
def password():
    return PASSWORD
