from __future__ import annotations

import os

import pytest

from hospeval.demo.generator import ProvinceTruth, generate_province
from hospeval.demo.lookup import stay_templates
from hospeval.warehouse import Warehouse


@pytest.fixture(scope="session")
def province() -> tuple[Warehouse, ProvinceTruth]:
    """A 20 000-stay demo province (seed 42), shared by the demo tests; do not modify it."""
    wh = Warehouse(":memory:")
    truth = generate_province(wh, stays=20_000, seed=int(os.environ.get("HOSPEVAL_DEMO_TEST_SEED", "42")), batch_size=7_000)
    wh.con.register("stay_templates", stay_templates(wh))
    return wh, truth


@pytest.fixture(scope="session")
def wh(province) -> Warehouse:
    return province[0]


@pytest.fixture(scope="session")
def truth(province) -> ProvinceTruth:
    return province[1]

