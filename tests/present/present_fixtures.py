"""Users and passwords shared by the present stage's tests (a uniquely named module, not conftest)."""

from __future__ import annotations

from argon2 import PasswordHasher

from hospeval.present.auth import AuthStore

PASSWORD = "correct-horse-1"
# One user per role; the commission and insurance users are limited to 上海市: hospitals H001-H003, H005, H006
# of the sample (i % 5 == 4 is in 江苏省/苏州市, so H004 is outside).
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
