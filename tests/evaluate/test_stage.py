"""The two stages run end to end on the small province (levels trimmed to keep the test short)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))
from indicator_province import build_warehouse  # noqa: E402

from hospeval.evaluate import stage as evaluate_stage  # noqa: E402
from hospeval.indicators import stage as indicators_stage  # noqa: E402
from hospeval.pipeline import RunContext  # noqa: E402
from hospeval.warehouse import Warehouse  # noqa: E402


def test_stages(tmp_path, monkeypatch):
    monkeypatch.setattr(indicators_stage, "LEVELS", ("hospital", "consortium"))
    monkeypatch.setattr(indicators_stage, "GRAINS", ("year",))
    with Warehouse(":memory:") as wh:
        build_warehouse(wh)
        ctx = RunContext(warehouse=wh, output=tmp_path)
        s1 = indicators_stage.run(ctx)
        assert s1.files[0].exists() and "5 sets" in s1.lines[0]
        s2 = evaluate_stage.run(ctx)
        assert any(line.startswith("tertiary 2024") for line in s2.lines)
        pilots = wh.con.execute("SELECT category, hospital_id FROM evaluation_pilots ORDER BY 1").fetchall()
        assert pilots == [("high_level", "H1"), ("regional", "H2")]
        assert all(f.exists() for f in s2.files)
