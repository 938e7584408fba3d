"""The end-to-end demo: generate a province, load it through the real ingest path, run every stage.

Steps: generate hospitals, stays and facts into a scratch warehouse -> export them as the files a
province would receive (front pages with Chinese N041 headers in GB18030, one file per hospital; the
hospital list; the facts) -> ``ingest`` those files into the demo warehouse -> run each available stage
(quality, group, reference, indicators, evaluate, payment, present) -> print where everything is.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from hospeval.ingest import ingest_files
from hospeval.ingest.export import export_front_page
from hospeval.pipeline import RunContext, StageSummary, available_stages, run_stage
from hospeval.warehouse import Warehouse


@dataclass
class DemoResult:
    """Where the demo put things, and what each stage reported."""

    warehouse: Path
    output: Path
    input_files: list[Path]
    summaries: list[StageSummary] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def export_province(source: Warehouse, folder: Path) -> list[Path]:
    """Write the generated province as input files: one front-page file per hospital, plus the
    hospital list and the facts. Returns the file paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    hospitals = folder / "hospitals.csv"
    source.con.execute(f"COPY hospitals TO '{hospitals}' (HEADER)")
    facts = folder / "hospital_facts.csv"
    source.con.execute(f"COPY hospital_facts TO '{facts}' (HEADER)")
    files += [hospitals, facts]
    for (hospital_id,) in source.con.execute("SELECT DISTINCT hospital_id FROM stays ORDER BY 1").fetchall():
        path = folder / f"front_page_{hospital_id}.csv"
        export_front_page(source, path, profile="n041_zh", encoding="gb18030",
                          where=f"s.hospital_id = '{hospital_id}'")
        files.append(path)
    return files


def run_demo(output: Path, *, stays: int = 20_000, seed: int = 42, year: int = 2024,
             scheme: str = "chs-drg-1.1", console: Console | None = None, secret: str | None = None) -> DemoResult:
    """Run the whole demo into ``output`` (recreated), returning what was produced."""
    from hospeval.demo.generator import generate_province

    console = console or Console()
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    scratch_path = output / "generated.duckdb"
    started = time.perf_counter()
    with console.status(f"generating a province with {stays:,} stays (seed {seed})..."), \
            Warehouse(scratch_path) as scratch:
        truth = generate_province(scratch, stays=stays, seed=seed, year=year)
        with console.status("writing the province's input files (N041 Chinese headers, GB18030)..."):
            files = export_province(scratch, output / "input")
    scratch_path.unlink()
    console.print(f"[green]generated[/] {stays:,} stays and {len(files) - 2} hospital front-page files "
                  f"in {time.perf_counter() - started:.1f}s -> {output / 'input'}")
    # What the generator built in, for checking the evaluation against (hospital level truths).
    (output / "truth.json").write_text(json.dumps(truth.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    for line in truth.summary_lines():
        console.print(f"  {line}")
    result = DemoResult(output / "hospeval.duckdb", output, files)
    with Warehouse(result.warehouse) as wh:
        with console.status("ingesting...") as status:
            report = ingest_files(wh, files, secret=secret, progress=lambda m: status.update(f"ingest: {m}"))
        read = sum(f.rows_read for f in report.files)
        loaded = sum(f.rows_loaded for f in report.files)
        console.print(f"[green]ingest[/] {len(files)} files, {read:,} rows read, {loaded:,} loaded, "
                      f"{read - loaded:,} quarantined")
        ctx = RunContext(warehouse=wh, output=output, scheme=scheme, console=console)
        for stage in available_stages():
            t0 = time.perf_counter()
            try:
                with console.status(f"running stage {stage}..."):
                    summary = run_stage(stage, ctx)
            except Exception as exc:  # a failing stage must not hide the others' results
                result.failures[stage] = f"{type(exc).__name__}: {exc}"
                console.print(f"[red]{stage} failed[/]: {exc}")
                continue
            result.summaries.append(summary)
            console.print(f"[green]{stage}[/] ({time.perf_counter() - t0:.1f}s)")
            for line in summary.lines:
                console.print(f"  {line}")
    return result
