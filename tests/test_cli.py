from __future__ import annotations

import subprocess
import sys

import typer
from typer.testing import CliRunner

from hospeval.cli import app

runner = CliRunner()


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()):
    for cmd in group.registered_commands:
        yield (*prefix, cmd.name or cmd.callback.__name__), cmd
    for sub in group.registered_groups:
        yield from _commands(sub.typer_instance, (*prefix, sub.name))


def test_every_command_has_help_with_an_example():
    found = list(_commands(app))
    assert ("ingest",) in [name for name, _ in found] and ("demo",) in [name for name, _ in found]
    for name, _ in found:
        result = runner.invoke(app, [*name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"hospeval {' '.join(name)} --help has no usage example"


def test_user_mistake_gives_message_and_exit_2_without_traceback(tmp_path):
    env_py = [sys.executable, "-m", "hospeval", "ingest", str(tmp_path / "missing.csv")]
    proc = subprocess.run(env_py, capture_output=True, text=True,
                          env={"HOSPEVAL_WAREHOUSE": str(tmp_path / "w.duckdb"), "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": "src"})
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "missing.csv" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_ingest_command_leaves_loaded_warehouse(tmp_path, monkeypatch):
    from hospeval.warehouse import Warehouse
    from tests.ingest.helpers import N041_HEADER, N041_ROWS, write

    monkeypatch.setenv("HOSPEVAL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("HOSPEVAL_SECRET", "test-secret")
    path = write(tmp_path / "a.csv", N041_HEADER, N041_ROWS)
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "reconciled" in result.output
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.count("stays") == 3 and wh.count("ingest_loads") == 1
