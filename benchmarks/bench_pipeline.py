"""Benchmark: the whole pipeline, stage by stage, on DuckDB at 1 / 10 / 20 M stays and on Spark local mode.

One command prints (and writes as Markdown) a table per engine and size: for each stage, seconds, stays per
second, peak memory, and its share of the hardware ceiling (DuckDB's raw scan rate of the same front-page
Parquet files); then how each stage's cost per stay changes from the smallest to the largest size (the
linearity check: within 15% of linear); then OpenDRG's record-at-a-time grouper on 100,000 of the same
records, for the ratio with hospeval's grouping stage.

Data: a demo province of ``--base`` stays is generated once; larger sizes replicate it (new stay, record
and patient numbers per copy, same clinical content) and every size is written as the files a province
receives: one front-page Parquet file per copy (N041 Chinese headers), the hospital list and the facts.
By default each copy brings its own hospitals (new 组织机构代码, consortia and facts), so a bigger province
has more hospitals, departments and doctors, as real ones do; ``--replicate stays`` keeps the base
province's hospitals and gives each more stays instead.
Each stage runs in its own process on the warehouse the previous stage left, so its peak memory is its own
(Python + DuckDB, or Python + the Spark JVM).

Usage::

    PYTHONPATH=src python benchmarks/bench_pipeline.py --sizes 1,10,20 --spark-sizes 1 \
        --opendrg /tmp/opendrg --out benchmarks/results/pipeline.md
    PYTHONPATH=src python benchmarks/bench_pipeline.py --sizes 0.1 --spark-sizes 0.1   # a quick look

By default (``--order stages``) each stage runs at every DuckDB size back to back, with the sizes' warehouses
side by side on disk, so that a host whose speed drifts over the hours of a run moves a stage's figures at
all sizes alike; ``--order sizes`` runs every stage at one size, then the next, with one warehouse at a time.

Sizes are in millions of stays. OpenDRG (github.com/OpenDRG/DRG_Python, Apache-2.0) runs from a snapshot
outside the repository; none of its code is part of hospeval.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import hwm_mb, opendrg_rate

STAGES = ("ingest", "quality", "group", "reference", "indicators", "evaluate", "payment")
SECRET = "benchmark-secret"


# -- measuring -------------------------------------------------------------------------------------------
def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (the Spark JVM and its launcher)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds() -> float:
    """CPU seconds (user + system, all threads) of this process plus its live descendants (the Spark JVM).

    The cost measure for the linearity check: unlike wall time, it barely moves when other work shares the
    machine's cores.
    """
    t = os.times()
    total = t.user + t.system
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def peak_mb() -> float:
    """Peak resident memory of this process plus its live descendants (the Spark JVM), in MB."""
    me = os.getpid()
    return sum(hwm_mb(p) or 0.0 for p in (me, *_descendants(me)))


CALIBRATION = (  # a fixed DuckDB workload like the stages' own: a hash aggregation and a hash join
    "SELECT count(*), sum(s) FROM (SELECT i % 4000000 AS k, sum(i) AS s FROM range(20000000) t(i) GROUP BY k)",
    "SELECT count(*) FROM (SELECT hash(i) AS h FROM range(10000000) t(i)) "
    "JOIN (SELECT hash(i) AS h FROM range(0, 20000000, 2) t(i)) USING (h)",
)


def calibrate() -> float:
    """CPU seconds of the calibration workload now: how fast this (virtual) machine runs at the moment.

    A shared host's speed drifts (the raw scan of the same files ran 40% slower one afternoon than the
    evening before), so each stage is framed by this fixed workload and the mean of the two is reported
    beside it. It shows the drift but cannot correct for it: in one run its own CPU seconds ranged from
    2.9 to 5.3, without following the stages', so the linearity check stays on plain CPU seconds.
    """
    import duckdb

    con = duckdb.connect()
    c0 = cpu_seconds()
    for sql in CALIBRATION:
        con.execute(sql).fetchall()
    con.close()
    return cpu_seconds() - c0


class SpillWatch(threading.Thread):
    """Peak size of DuckDB's temporary directory during a stage, sampled twice a second.

    What DuckDB writes there is what did not fit ``memory_limit``: evicted work tables and the state of
    operators that spill (joins, sorts, aggregations), the cost that grows faster than the stays do.
    """

    def __init__(self, folder: Path | None) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak, self._done = folder, 0, threading.Event()
        if folder is not None:
            self.start()

    def run(self) -> None:
        while not self._done.wait(0.5):
            try:
                size = sum(e.stat().st_blocks * 512 for e in os.scandir(self.folder) if e.is_file())
            except OSError:  # not created yet, or a file removed while listed
                continue
            self.peak = max(self.peak, size)

    def stop(self) -> None:
        self._done.set()

    @property
    def peak_mb(self) -> float | None:
        return None if self.folder is None else self.peak / 2**20


def _reset_peak_memory() -> None:
    """Reset this process's VmHWM to its current resident size (Linux ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


# -- data ------------------------------------------------------------------------------------------------
REPLICATE = {
    "hospitals": "each further million stays is a copy of the base province's hospitals under new codes "
                 "(a province grows by hospitals: departments, doctors and consortia grow with the stays)",
    "stays": "each further million stays is a copy of the base province's stays in the same hospitals "
             "(the same hospitals, departments and doctors with more stays each)",
}


def prepare(data: Path, base: int, sizes: list[float], replicate: str = "hospitals") -> None:
    """Generate the base province once, then write each size's input files (replicas of the base)."""
    from hospeval.demo.generator import generate_province
    from hospeval.warehouse import Warehouse

    data.mkdir(parents=True, exist_ok=True)
    base_db = data / f"base-{base}.duckdb"
    if not base_db.exists():
        t = time.perf_counter()
        tmp = base_db.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        with Warehouse(tmp) as wh:
            generate_province(wh, stays=base, seed=2024, year=2024)
        tmp.rename(base_db)
        print(f"generated base province of {base:,} stays in {time.perf_counter() - t:.0f} s", flush=True)
    copies_dir = data / f"copies-{base}"
    copies_dir.mkdir(exist_ok=True)
    for size in sizes:
        n = int(size * 1_000_000)
        folder = size_folder(data, size, replicate)
        if (folder / "done").exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "front_pages").mkdir(parents=True)
        t = time.perf_counter()
        copies = -(-n // base)
        write_hospitals(base_db, folder, copies if replicate == "hospitals" else 1)
        for k in range(copies):
            take = min(base, n - k * base)
            part = copies_dir / copy_name(k, take, replicate)
            if not part.exists():
                write_copy(base_db, k, take, part, replicate)
            (folder / "front_pages" / part.name).symlink_to(part)
        (folder / "done").write_text(str(n))
        print(f"{n:,} stays as {copies} front-page Parquet files ({time.perf_counter() - t:.0f} s) -> {folder}",
              flush=True)


def size_folder(data: Path, size: float, replicate: str) -> Path:
    return data / f"n{_label(size)}-{replicate}"


def hospital_suffix(k: int) -> str:
    """Copy ``k``'s suffix to hospital and consortium codes (copy 0 keeps the base province's codes)."""
    return f"C{k:02d}" if k else ""


def copy_name(k: int, take: int, replicate: str) -> str:
    return f"part-{k:03d}-{take}.parquet" if k == 0 or replicate == "stays" else f"hosp-{k:03d}-{take}.parquet"


def write_hospitals(base_db: Path, folder: Path, copies: int) -> None:
    """The hospital list and facts for ``copies`` copies of the base province's hospitals."""
    from hospeval.warehouse import Warehouse

    def union(select: str) -> str:
        return " UNION ALL ".join(select.format(s=hospital_suffix(k)) for k in range(copies))

    with Warehouse(base_db, read_only=True) as src:
        src.con.execute(f"""COPY ({union("SELECT * REPLACE (hospital_id || '{s}' AS hospital_id, name || '{s}' AS name, "
                                         "consortium_id || '{s}' AS consortium_id) FROM hospitals")})
                            TO '{folder / 'hospitals.csv'}' (HEADER)""")
        src.con.execute(f"""COPY ({union("SELECT * REPLACE (hospital_id || '{s}' AS hospital_id) FROM hospital_facts")})
                            TO '{folder / 'hospital_facts.csv'}' (HEADER)""")


def write_copy(base_db: Path, k: int, take: int, part: Path, replicate: str) -> None:
    """Copy ``k`` of the first ``take`` stays of the base province: the same clinical content with a new
    病案号 (so new stay and patient pseudonyms at ingest) and, when replicating hospitals, the hospital codes
    of copy ``k``. Copy 0 is exported from the base warehouse; the others rewrite copy 0's columns, which is
    far cheaper than exporting again.
    """
    import duckdb

    from hospeval.ingest.export import export_front_page
    from hospeval.ingest.profiles import load_profile
    from hospeval.warehouse import Warehouse

    first = part.parent / copy_name(0, take, replicate)
    if k > 0 and not first.exists():
        write_copy(base_db, 0, take, first, replicate)
    tmp = part.with_suffix(".tmp.parquet")
    if k > 0:
        profile = load_profile("n041_zh")
        mrn, code = profile.identifier_headers["medical_record_no"], profile.headers["hospital_id"]  # 病案号, 组织机构代码
        hospital = f', "{code}" || \'{hospital_suffix(k)}\' AS "{code}"' if replicate == "hospitals" else ""
        con = duckdb.connect()
        con.execute(f"""COPY (SELECT * REPLACE ("{mrn}" || '{k:02d}' AS "{mrn}"{hospital}) FROM read_parquet('{first}'))
                        TO '{tmp}' (FORMAT parquet)""")
        con.close()
    else:
        with Warehouse(":memory:") as copy:
            copy.con.execute(f"ATTACH '{base_db}' AS base (READ_ONLY)")
            copy.con.execute(f"CREATE TABLE keep AS SELECT stay_id FROM base.stays ORDER BY stay_id LIMIT {take}")
            for table in ("stays", "stay_diagnoses", "stay_procedures"):
                copy.con.execute(f"CREATE TABLE {table} AS SELECT * FROM base.{table} SEMI JOIN keep USING (stay_id)")
            export_front_page(copy, tmp, profile="n041_zh")
    tmp.rename(part)


def _label(size: float) -> str:
    return f"{size:g}M"


def input_files(folder: Path) -> list[Path]:
    return [folder / "hospitals.csv", folder / "hospital_facts.csv", *sorted((folder / "front_pages").glob("*.parquet"))]


# -- one stage in its own process --------------------------------------------------------------------------
def run_one_stage(stage: str, engine: str, warehouse: Path, folder: Path, cores: int, memory: str) -> dict:
    """Run one stage on the warehouse (the child process's job); return seconds and peak memory."""
    from hospeval.pipeline import RunContext, run_stage

    if engine == "spark":
        from hospeval.spark import SparkWarehouse, spark_session

        session = spark_session(f"local[{cores}]", **{"spark.sql.shuffle.partitions": str(4 * cores),
                                                      "spark.driver.memory": "8g"})
        wh = SparkWarehouse(warehouse, session=session)
    else:
        from hospeval.warehouse import Warehouse

        wh = Warehouse(warehouse)
        wh.con.execute(f"SET memory_limit = '{memory}'")
    before = calibrate()
    _reset_peak_memory()  # the calibration's own memory is not the stage's
    spill = SpillWatch(Path(f"{warehouse}.tmp") if engine == "duckdb" else None)
    t, cpu0, sys0 = time.perf_counter(), cpu_seconds(), os.times().system
    if stage == "ingest":
        from hospeval.ingest import ingest_files

        files = input_files(folder)
        csvs = [f for f in files if f.suffix == ".csv"]
        if engine == "spark":  # the hospital list and facts are small CSVs: loaded on DuckDB, copied over
            from hospeval.warehouse import Warehouse

            with Warehouse(":memory:") as small:
                ingest_files(small, csvs, secret=SECRET)
                for name in ("hospitals", "hospital_facts"):
                    wh.replace(name, small.to_arrow(name))
            ingest_files(wh, [f for f in files if f.suffix == ".parquet"], secret=SECRET)
        else:
            ingest_files(wh, files, secret=SECRET)
        parts = {}
    else:
        out = warehouse.parent / f"out-{engine}"
        parts = run_stage(stage, RunContext(warehouse=wh, output=out, scheme="chs-drg-1.1")).timings
    seconds, cpu = time.perf_counter() - t, cpu_seconds() - cpu0
    mem = peak_mb()
    spill.stop()
    wh.close()
    system = os.times().system - sys0 if engine == "duckdb" else None  # the JVM's share is not split out
    load = os.getloadavg()[0]
    return {"seconds": seconds, "cpu_seconds": cpu, "sys_seconds": system, "peak_mb": mem, "spill_mb": spill.peak_mb,
            "load": load, "calibration": (before + calibrate()) / 2, "parts": parts}


def stage_in_child(stage: str, engine: str, warehouse: Path, folder: Path, cores: int, memory: str) -> dict:
    cmd = [sys.executable, __file__, "--child", stage, "--engine", engine, "--warehouse", str(warehouse),
           "--folder", str(folder), "--cores", str(cores), "--duckdb-memory", memory]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "src"})
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": " / ".join(tail)[-300:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def raw_scan_rate(folder: Path) -> float:
    """Rows per second of DuckDB reading every column of the front-page Parquet files (the ceiling)."""
    import duckdb

    files = [str(f) for f in sorted((folder / "front_pages").glob("*.parquet"))]
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("SELECT max(COLUMNS(*)) FROM read_parquet(?)", [files]).fetchall()
    seconds = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0]
    return rows / seconds


def opendrg_ratio_input(data: Path, base: int, records: int) -> Path:
    """The first ``records`` stays of the base province in the golden-sample layout OpenDRG reads."""
    from hospeval.warehouse import Warehouse

    path = data / f"opendrg-{records}.csv"
    if path.exists():
        return path
    with Warehouse(data / f"base-{base}.duckdb", read_only=True) as wh:
        wh.con.execute(f"""COPY (
            WITH s AS (SELECT * FROM stays ORDER BY stay_id LIMIT {records}),
            d AS (SELECT stay_id, string_agg(code, '|' ORDER BY seq) AS diagnoses
                  FROM stay_diagnoses SEMI JOIN s USING (stay_id) GROUP BY stay_id),
            p AS (SELECT stay_id, string_agg(code, '|' ORDER BY seq) AS procedures
                  FROM stay_procedures SEMI JOIN s USING (stay_id) GROUP BY stay_id)
            SELECT s.stay_id AS record_id, s.sex, s.age_years, s.age_days, s.birth_weight_g,
                   s.discharge_dept AS dept_code, s.los_days, s.discharge_disposition AS discharge_status,
                   coalesce(d.diagnoses, '') AS diagnoses, coalesce(p.procedures, '') AS procedures
            FROM s LEFT JOIN d USING (stay_id) LEFT JOIN p USING (stay_id)) TO '{path}' (HEADER)""")
    return path


# -- the run -------------------------------------------------------------------------------------------------
def _target(engine: str, cores: int, size: float, work: Path) -> tuple[str, Path, Path]:
    """A run's name, its fresh folder and the warehouse inside it."""
    name = f"{engine}{cores if engine == 'spark' else ''}-{_label(size)}"
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    return name, target, target / ("spark" if engine == "spark" else "hospeval.duckdb")


def _record(name: str, engine: str, cores: int, size: float, stage: str, r: dict, log: Path | None) -> None:
    """Print one stage's figures and append them to the --log."""
    shown = (f"{r['seconds']:8.1f} s {int(size * 1e6) / r['seconds']:>12,.0f} stays/s {r['cpu_seconds']:8.1f} "
             f"cpu-s {r['peak_mb']:8,.0f} MB load {r['load']:.1f} "
             f"calibration {r.get('calibration', 0):.2f}" if "error" not in r else f"error: {r['error']}")
    print(f"  {datetime.now(UTC):%H:%M} {name:<16} {stage:<11} {shown}", flush=True)
    if log:
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"engine": engine, "cores": cores, "size": size, "stage": stage, **r}) + "\n")


def _fatal(r: dict, stage: str) -> bool:
    """Whether the later stages cannot run after this one (nothing ingested or grouped)."""
    return "error" in r and stage in ("ingest", "group")


def run_engine(engine: str, cores: int, size: float, folder: Path, work: Path, memory: str,
               log: Path | None = None) -> dict[str, dict]:
    """Every stage at one size, one after the other (size-major order)."""
    name, target, warehouse = _target(engine, cores, size, work)
    results = {}
    for stage in STAGES:
        results[stage] = r = stage_in_child(stage, engine, warehouse, folder, cores, memory)
        _record(name, engine, cores, size, stage, r, log)
        if _fatal(r, stage):
            break
    shutil.rmtree(target, ignore_errors=True)
    return results


def run_stage_major(sizes: list[float], folders: dict[float, Path], work: Path, memory: str,
                    log: Path | None = None) -> dict[float, dict[str, dict]]:
    """Each stage at every size back to back (stage-major order), the sizes' warehouses kept side by side.

    The linearity check compares one stage's cost across sizes. Size-major order runs a stage at 1 M and at
    20 M an hour or more apart, and a shared host's speed drifts by more than 15% in an hour; here the
    three measurements of a stage fall within the stage's own run time at the three sizes. Needs the disk
    for every size's warehouse at once.
    """
    targets = {size: _target("duckdb", 0, size, work) for size in sizes}
    results: dict[float, dict[str, dict]] = {size: {} for size in sizes}
    for stage in STAGES:
        for size in sizes:
            if any(_fatal(r, s) for s, r in results[size].items()):
                continue
            name, _, warehouse = targets[size]
            results[size][stage] = r = stage_in_child(stage, "duckdb", warehouse, folders[size], 0, memory)
            _record(name, "duckdb", 0, size, stage, r, log)
    for _, target, _ in targets.values():
        shutil.rmtree(target, ignore_errors=True)
    return results


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    import duckdb

    return (f"{os.cpu_count()} cores ({cpu}), {mem / 1024 / 1024:.0f} GB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
            f"load average at start {os.getloadavg()[0]:.1f}")


def report(results: dict, scans: dict, sizes: list[float], ratio: dict | None, replicate: str = "hospitals",
           order: str = "sizes") -> str:
    lines = [f"# Pipeline benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "", f"Machine: {machine()}", "",
             f"Sizes above the base province (--replicate {replicate}): {REPLICATE[replicate]}.", "",
             f"Order (--order {order}): " + ("each stage at every DuckDB size back to back." if order == "stages"
                                             else "every stage at one size, then the next size."), ""]
    lines += ["| engine | stays | stage | seconds | stays/s | CPU seconds | of which system | calibration CPU s | "
              "peak MB | spilled MB | load | share of scan ceiling |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (engine, size), stages in results.items():
        for stage, r in stages.items():
            n = int(size * 1e6)
            if "error" in r:
                lines.append(f"| {engine} | {n:,} | {stage} | error: {r['error'][:120]} | | | | | | | | |")
                continue
            rate = n / r["seconds"]
            share = f"{rate / scans[size]:.1%}" if size in scans else ""
            lines.append(f"| {engine} | {n:,} | {stage} | {r['seconds']:.1f} | {rate:,.0f} | {r['cpu_seconds']:.1f} | "
                         f"{_opt(r.get('sys_seconds'), '.1f')} | {_opt(r.get('calibration'), '.2f')} | {r['peak_mb']:,.0f} | "
                         f"{_opt(r.get('spill_mb'), ',.0f')} | "
                         f"{r['load']:.1f} | {share} |")
    lines += ["", "Raw DuckDB scan of the front-page Parquet files (every column): " +
              ", ".join(f"{int(s * 1e6):,} stays {r:,.0f} rows/s" for s, r in scans.items()), ""]
    duck = sorted(s for (e, s) in results if e == "duckdb")
    if len(duck) >= 3:
        lines += linearity(results, duck)
    if ratio:
        lines += [f"OpenDRG record-at-a-time (chs_drg_11) on {ratio['records']:,} of the same stays: "
                  f"{ratio['opendrg']:,.0f} records/s. hospeval's group stage: " +
                  ", ".join(f"{int(s * 1e6):,} stays {int(s * 1e6) / results[('duckdb', s)]['group']['seconds']:,.0f}/s "
                            f"= {int(s * 1e6) / results[('duckdb', s)]['group']['seconds'] / ratio['opendrg']:.0f}x"
                            for s in duck if "seconds" in results[("duckdb", s)].get("group", {})), ""]
    return "\n".join(lines)


def _opt(value: float | None, spec: str) -> str:
    """A figure an older log or another engine may lack (blank then)."""
    return "" if value is None else format(value, spec)


def linearity(results: dict, duck: list[float]) -> list[str]:
    """Marginal cost per million stays, first step vs last step of sizes (linear growth = a constant margin).

    Fixed costs (start-up, per-hospital reports, evaluation of a fixed set of hospitals) make the cost per
    stay fall with size, which is not a failure of linearity; what must hold is that each further million
    stays costs the same, within 15%. Cost is CPU seconds, which other work on the machine barely moves.
    A stage whose further millions cost under ``FLAT`` CPU seconds each on both steps (evaluate reads one row
    per hospital and indicator, not stays) does not grow with stays at all: it is reported as flat, since
    the ratio of two near-zero margins is noise.
    """
    a, m, b = duck[0], duck[len(duck) // 2], duck[-1]
    lines = [f"## Linearity on DuckDB: marginal CPU seconds per million stays, {a:g}M->{m:g}M vs {m:g}M->{b:g}M",
             "", "| stage | fixed cost (CPU s) | CPU s per M stays, first step | CPU s per M stays, last step | "
             "ratio | within 15% of linear |", "|---|---|---|---|---|---|"]
    totals = [0.0, 0.0, 0.0]
    for stage in STAGES:
        t = [results[("duckdb", s)].get(stage, {}).get("cpu_seconds") for s in (a, m, b)]
        if None in t:
            continue
        totals = [x + y for x, y in zip(totals, t, strict=True)]
        lines.append(_margin_row(stage, t, a, m, b))
    lines.append(_margin_row("**all stages**", totals, a, m, b))
    for stage in STAGES:  # the parts a stage times itself (quality: rules, scores, workbooks)
        parts = [results[("duckdb", s)].get(stage, {}).get("parts") or {} for s in (a, m, b)]
        for part in parts[0]:
            t = [p.get(part) for p in parts]
            if None not in t:
                lines.append(_margin_row(f"{stage}: {part}", t, a, m, b))
    return [*lines, ""]


FLAT = 1.0  # CPU seconds per further million stays below which a stage's cost does not grow with stays


def _margin_row(stage: str, t: list[float], a: float, m: float, b: float) -> str:
    first, last = (t[1] - t[0]) / (m - a), (t[2] - t[1]) / (b - m)
    fixed = t[0] - first * a
    if abs(first) < FLAT and abs(last) < FLAT:
        return f"| {stage} | {t[0]:.1f} | {first:.1f} | {last:.1f} | flat | yes (does not grow with stays) |"
    if first < FLAT:  # a near-zero first margin gives no meaningful ratio
        ratio, verdict = "none", f"no ratio (first step under {FLAT:g} CPU s per M)"
    else:
        ratio, verdict = f"{last / first:.2f}", "yes" if abs(last / first - 1) <= 0.15 else "no"
    return f"| {stage} | {fixed:.1f} | {first:.1f} | {last:.1f} | {ratio} | {verdict} |"


def _resumed(log: Path | None) -> dict[tuple, dict[str, dict]]:
    """Stage figures from an earlier run's --log, by (engine, cores, size)."""
    out: dict[tuple, dict[str, dict]] = {}
    if log and log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            out.setdefault((r.pop("engine"), r.pop("cores"), r.pop("size")), {})[r.pop("stage")] = r
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1,10,20", help="DuckDB sizes in millions of stays")
    ap.add_argument("--spark-sizes", default="1", help="Spark sizes in millions ('' for none)")
    ap.add_argument("--spark-cores", default="1,2")
    ap.add_argument("--replicate", choices=sorted(REPLICATE), default="hospitals",
                    help="how sizes above the base grow: " + "; ".join(f"{k}: {v}" for k, v in REPLICATE.items()))
    ap.add_argument("--base", type=int, default=1_000_000, help="stays generated once and replicated")
    ap.add_argument("--data", type=Path, default=Path("/tmp/hospeval-bench"))
    ap.add_argument("--opendrg", type=Path, default=Path("/tmp/opendrg"))
    ap.add_argument("--opendrg-records", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/pipeline.md"))
    ap.add_argument("--order", choices=("sizes", "stages"), default="stages",
                    help="stages: each stage at every DuckDB size back to back, the warehouses kept side by side "
                         "(a drifting host moves all of a stage's sizes alike); sizes: every stage at one size, "
                         "then the next size (one warehouse on disk at a time)")
    ap.add_argument("--duckdb-memory", default="8GB", help="DuckDB memory_limit per stage process")
    ap.add_argument("--log", type=Path, default=None, help="append each stage's figures as JSON lines")
    ap.add_argument("--resume", type=Path, default=None, help="a --log file whose runs are reused, not rerun")
    ap.add_argument("--prepare-only", action="store_true", help="write the input files and stop")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="duckdb", help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cores", type=int, default=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one_stage(args.child, args.engine, args.warehouse, args.folder, args.cores,
                                       args.duckdb_memory)))
        return
    sizes = [float(s) for s in args.sizes.split(",") if s]
    spark_sizes = [float(s) for s in args.spark_sizes.split(",") if s]
    base = min(args.base, int(max(sizes + spark_sizes) * 1e6))  # replicas only above the base size
    prepare(args.data, base, sorted(set(sizes + spark_sizes)), args.replicate)
    if args.prepare_only:
        return
    results, scans = {}, {}
    done = _resumed(args.resume)
    for size in sorted(set(sizes + spark_sizes)):
        scans[size] = raw_scan_rate(size_folder(args.data, size, args.replicate))
        print(f"{int(size * 1e6):,} stays: raw scan {scans[size]:,.0f} rows/s", flush=True)
    runs = [("spark", int(c), size) for size in spark_sizes for c in args.spark_cores.split(",") if c]
    if args.order == "stages":
        todo = [s for s in sizes if len(done.get(("duckdb", 0, s), {})) < len(STAGES)]
        if todo and len(todo) < len(sizes):
            sys.exit("--order stages reruns every size or none: resume from a log with all sizes, or none")
        folders = {s: size_folder(args.data, s, args.replicate) for s in sizes}
        by_size = run_stage_major(todo, folders, args.data / "work", args.duckdb_memory, args.log) if todo else {}
        results.update({("duckdb", s): by_size.get(s) or done[("duckdb", 0, s)] for s in sizes})
    else:
        runs = [("duckdb", 0, size) for size in sizes] + runs
    for engine, cores, size in runs:
        key = ("duckdb" if engine == "duckdb" else f"spark local[{cores}]", size)
        if (engine, cores, size) in done and len(done[(engine, cores, size)]) == len(STAGES):
            results[key] = done[(engine, cores, size)]
            continue
        results[key] = run_engine(engine, cores, size, size_folder(args.data, size, args.replicate), args.data / "work",
                                  args.duckdb_memory, args.log)
    ratio = None
    if (args.opendrg / "drg_group").is_dir():
        records = opendrg_ratio_input(args.data, base, min(args.opendrg_records, base))
        with records.open(encoding="utf-8") as f:
            n = sum(1 for _ in csv.reader(f)) - 1
        ratio = {"records": n, "opendrg": opendrg_rate(args.opendrg, records)}
        print(f"OpenDRG: {ratio['opendrg']:,.0f} records/s on {n:,} records")
    text = report(results, scans, sizes, ratio, args.replicate, args.order)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
