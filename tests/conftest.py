from __future__ import annotations

import pytest

from hospeval.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    """An empty warehouse file with the canonical tables."""
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.ensure_schema()
    yield wh
    wh.close()
