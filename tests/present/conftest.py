from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from present_fixtures import PASSWORD, USERS, make_auth  # noqa: F401

from hospeval.present import sample
from hospeval.present.app import create_app
from hospeval.warehouse import Warehouse


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
