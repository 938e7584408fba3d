"""The run context shared by stages, and the stage protocol that ``hospeval demo`` drives.

A stage package that can run end to end exposes ``hospeval.<stage>.stage.run(ctx) -> StageSummary``.
The demo calls the stages that exist, in pipeline order, so a new stage joins by adding that module.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from hospeval.batches import work_scope
from hospeval.warehouse import Warehouse

ORDER = ("ingest", "quality", "group", "reference", "indicators", "evaluate", "payment", "present")


@dataclass
class RunContext:
    """What a stage needs to run: the warehouse, where to write files, and the chosen scheme."""

    warehouse: Warehouse
    output: Path
    scheme: str = "chs-drg-1.1"
    console: Console = field(default_factory=Console)


@dataclass
class StageSummary:
    """What a stage reports back: a line per figure and the files it wrote."""

    stage: str
    lines: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # CPU seconds of the stage's parts, if it times them


@contextmanager
def cpu_timer(timings: dict[str, float], part: str) -> Iterator[None]:
    """Add the process's CPU seconds (every thread, DuckDB's included) spent in the block to ``timings[part]``."""
    start = time.process_time()
    try:
        yield
    finally:
        timings[part] = timings.get(part, 0.0) + time.process_time() - start


def available_stages(skip: tuple[str, ...] = ("ingest",)) -> list[str]:
    """Stages that provide ``stage.run``, in pipeline order (ingest is driven by the demo itself)."""
    return [s for s in ORDER if s not in skip and importlib.util.find_spec(f"hospeval.{s}.stage")]


def run_stage(name: str, ctx: RunContext) -> StageSummary:
    """Run one stage's ``stage.run``, then drop the work tables it made.

    Work tables live in memory until dropped; left in place, each stage of a ``hospeval run`` would start
    with every earlier stage's intermediate results still held, and from a few million stays on they
    would be spilled to disk and slow every later stage. No stage reads another stage's work tables;
    the work tables a stage keeps as results for the session (``Warehouse.session_tables``, what-if case
    rows) stay.
    """
    with work_scope(ctx.warehouse):
        return importlib.import_module(f"hospeval.{name}.stage").run(ctx)
