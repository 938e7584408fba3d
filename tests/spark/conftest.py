"""The engine-equivalence suite: one small demo province, the pipeline run on DuckDB and on Spark local.

One Spark session serves the whole run (it takes seconds to start); every test here is in the xdist
group ``spark`` so that one worker owns it. The ``pipeline`` fixture runs each stage on both engines in
order and records each engine's error instead of stopping; when a stage fails on Spark, DuckDB's tables
of that stage are copied over so that the later stages are still compared.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest

from hospeval.model import TABLES
from hospeval.pipeline import RunContext, available_stages, run_stage
from hospeval.warehouse import Warehouse

SECRET = "equivalence-suite-secret"
STAYS = 3000
SPARK_STAGES = ("quality", "group", "reference", "indicators", "evaluate", "payment")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/spark/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.spark)
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def spark():
    """The run's one local Spark session (2 cores)."""
    from hospeval.spark import spark_session

    session = spark_session("local[2]", **{"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()


@dataclass
class Pipeline:
    """Both engines' warehouses after the pipeline, and what failed where."""

    duck: Warehouse
    spark: object
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # stage -> engine -> error
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    written: dict[str, list[str]] = field(default_factory=dict)  # stage -> tables it wrote (DuckDB)

    def tables(self, stage: str) -> list[str]:
        return self.written.get(stage, [])

    def assert_ran(self, stage: str) -> None:
        """The stage ran without error on both engines (else the Spark copy is DuckDB's and proves nothing)."""
        print(f"\n{stage} seconds per engine: {self.seconds.get(stage)}")  # shown with pytest -s / -rP
        errors = self.errors.get(stage, {})
        assert "duckdb" not in errors, f"{stage} failed on DuckDB: {errors.get('duckdb')}"
        assert "spark" not in errors, f"{stage} failed on Spark: {errors.get('spark')}"


def _tables(wh: Warehouse) -> set[str]:
    return {r[0] for r in wh.con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()}


@pytest.fixture(scope="session")
def province(tmp_path_factory) -> Warehouse:
    """A small demo province loaded through the real (CSV, GB18030) ingest into DuckDB."""
    from hospeval.demo.generator import generate_province
    from hospeval.demo.run import export_province
    from hospeval.ingest import ingest_files

    root = tmp_path_factory.mktemp("province")
    with Warehouse(root / "generated.duckdb") as scratch:
        generate_province(scratch, stays=STAYS, seed=11, year=2024)
        files = export_province(scratch, root / "input")
    wh = Warehouse(root / "duck.duckdb")
    ingest_files(wh, files, secret=SECRET)
    return wh


@pytest.fixture(scope="session")
def pipeline(province, spark, tmp_path_factory) -> Pipeline:
    """Run every Spark-capable stage on both engines over the same canonical tables."""
    from hospeval.spark import SparkWarehouse

    root = tmp_path_factory.mktemp("pipeline")
    sw = SparkWarehouse(root / "spark", session=spark)
    for name in TABLES:
        sw.replace(name, province.to_arrow(name))
    result = Pipeline(duck=province, spark=sw)
    stages = [s for s in available_stages() if s in SPARK_STAGES]
    # While working on one stage: HOSPEVAL_EQUIVALENCE_STAGES=group,reference runs only those on Spark
    # (the others' DuckDB tables are copied over).
    on_spark = os.environ.get("HOSPEVAL_EQUIVALENCE_STAGES", ",".join(stages)).split(",")
    for stage in stages:
        before = _tables(province)
        engines = (("duckdb", province), ("spark", sw)) if stage in on_spark else (("duckdb", province),)
        for engine, wh in engines:
            ctx = RunContext(warehouse=wh, output=root / f"out-{engine}", scheme="chs-drg-1.1")
            t0 = time.perf_counter()
            try:
                run_stage(stage, ctx)
            except Exception as exc:  # recorded and asserted by the stage's own test
                result.errors.setdefault(stage, {})[engine] = f"{type(exc).__name__}: {exc}"
            result.seconds.setdefault(stage, {})[engine] = time.perf_counter() - t0
        result.written[stage] = sorted(_tables(province) - before)
        if "spark" in result.errors.get(stage, {}) or stage not in on_spark:
            for name in result.written[stage]:
                sw.replace(name, province.to_arrow(name))
    yield result
    sw.close()
