"""The Spark engine: the warehouse as Parquet folders that Apache Spark reads and writes.

Every table is one Parquet folder ``<root>/<table>/`` (``root`` a local folder, ``hdfs://`` or
``s3a://`` location). Opening the warehouse registers each folder as a Spark view of the same name, so
stages see the tables ``Warehouse`` would show and run the same Ibis expressions on them. Writes go to
``<root>/<table>.__staging/`` first and are swapped in by a rename, so a failed write leaves the old
table whole (per table; Spark has no transaction across tables, see docs/spark.md). Work tables
(:meth:`SparkWarehouse.scratch`) are checkpointed in the executors and never written to ``root``.

Because the tables are plain Parquet, DuckDB reads them directly: ``hospeval warehouse pull`` copies a
Spark warehouse's result tables into the dashboard's DuckDB file.

Examples
--------
>>> wh = SparkWarehouse("/tmp/hospeval-spark", master="local[2]")  # doctest: +SKIP
>>> wh.replace("t", pa.table({"a": [1, 2]}))                         # doctest: +SKIP
2
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ibis
import pyarrow as pa

from hospeval.errors import WarehouseError
from hospeval.model import TABLES, table_spec
from hospeval.warehouse import Data, as_ibis_schema, conform, write_arrow_csv

# Views are per Spark session, not per warehouse: the warehouse that last used a session owns its views,
# and one that finds another in charge registers its own tables again before it reads or writes.
_owners: dict[int, SparkWarehouse] = {}
STAGING = ".__staging"
OLD = ".__old"
_session_lock = threading.Lock()


def spark_session(master: str = "local[*]", **conf: str):
    """Get (or create) the process's Spark session, configured for hospeval.

    Local mode binds to loopback and runs without the web UI; timestamps are UTC so that both engines
    read the same dates. ``conf`` adds Spark settings (``spark.executor.memory`` ...).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise WarehouseError("the Spark engine needs pyspark: pip install 'hospeval[spark]'") from exc
    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "8" if local else "400",
        "spark.sql.ansi.enabled": "false",  # DuckDB-like NULL on overflow / bad cast, as Ibis expects
        "spark.ui.enabled": "false" if local else "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",  # ingest's date parsing: no legacy fallback error
        "spark.sql.jsonGenerator.ignoreNullFields": "false",  # quarantine records keep empty fields, as DuckDB
        "spark.driver.memory": "4g" if local else "8g",
        **conf,
    }
    with _session_lock:
        builder = SparkSession.builder.master(master).appName("hospeval")
        for key, value in settings.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkWarehouse:
    """A warehouse of Parquet tables under ``root``, computed by Spark through Ibis."""

    engine = "spark"
    batch_stays: int | None = None  # Spark partitions the work itself (see hospeval.batches)

    def __init__(self, root: str | Path, *, master: str = "local[*]", session=None) -> None:
        self.path = self.root = str(root).rstrip("/")
        self._owns_session = session is None
        self.session = session if session is not None else spark_session(master)
        self._ibis = ibis.pyspark.from_connection(self.session)
        self._scratch: dict[str, object] = {}
        self.session_tables: set[str] = set()  # work tables kept for the session (see Warehouse)
        self._arrow_views = 0
        jvm = self.session.sparkContext._jvm
        self._jpath = jvm.org.apache.hadoop.fs.Path
        self._fs = self._jpath(self.root).getFileSystem(self.session.sparkContext._jsc.hadoopConfiguration())
        self._fs.mkdirs(self._jpath(self.root))
        self._tables: set[str] = set()
        self.refresh()
        _owners[id(self.session)] = self

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Drop the work tables; stop the session when this warehouse started it."""
        for name in list(self._scratch):
            self.drop(name)
        if _owners.get(id(self.session)) is self:
            for name in list(self._tables):
                self.session.catalog.dropTempView(name)
            del _owners[id(self.session)]
        if self._owns_session:
            self.session.stop()

    def __enter__(self) -> SparkWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self):
        """Raw DuckDB access does not exist on Spark; the caller's step runs on DuckDB only."""
        raise WarehouseError("this step needs the DuckDB engine (it uses DuckDB SQL); run it with "
                             "--engine duckdb, or pull the Spark results first: hospeval warehouse pull",
                             file=self.root)

    def _activate(self) -> None:
        """Make this warehouse's tables the session's views (another warehouse may have used the session)."""
        if _owners.get(id(self.session)) is not self:
            _owners[id(self.session)] = self
            self.refresh()
            for name, frame in self._scratch.items():
                frame.createOrReplaceTempView(name)

    def refresh(self) -> None:
        """(Re)register every table folder under ``root`` as a view."""
        found = set()
        for status in self._fs.listStatus(self._jpath(self.root)):
            name = status.getPath().getName()
            if (status.isDirectory() and not name.endswith((STAGING, OLD)) and not name.startswith(("_", "."))
                    and self._is_table(status.getPath())):
                found.add(name)
                self._register(name)
        self._tables = found

    def _is_table(self, path) -> bool:
        """A folder Spark wrote as a table (its ``_SUCCESS`` marker or Parquet parts), not a report folder."""
        return any(f.getPath().getName() == "_SUCCESS" or f.getPath().getName().endswith(".parquet")
                   for f in self._fs.listStatus(path))

    def _location(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _register(self, name: str) -> None:
        self.session.read.parquet(self._location(name)).createOrReplaceTempView(name)
        self._tables.add(name)

    # -- schema ----------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the canonical tables that do not exist yet."""
        for name in TABLES:
            self.ensure_table(name, table_spec(name).arrow_schema())

    def has_table(self, name: str) -> bool:
        """True when the warehouse has a table (or work table) called ``name``."""
        return name in self._tables or name in self._scratch

    def require(self, *names: str) -> None:
        """Raise :class:`WarehouseError` naming the first missing table."""
        for name in names:
            if not self.has_table(name):
                raise WarehouseError(
                    f"the warehouse has no table {name!r}; run the stage that produces it first", file=self.root)

    def count(self, name: str, where: dict[str, object] | None = None) -> int:
        """Row count of a table, or of its rows whose columns equal ``where``'s values."""
        if not where and name in self._tables and name not in self._scratch:
            stored = self._footer_rows(name)
            if stored is not None:
                return stored
        t = self.table(name)
        for column, value in (where or {}).items():
            t = t.filter(t[column] == value)
        return int(t.count().to_pyarrow().as_py())

    def _footer_rows(self, name: str) -> int | None:
        """Rows of a stored table summed from its Parquet footers, or None when the folder is not flat Parquet.

        Every write ends in a row count (``replace`` returns it); read from the footers it costs a few
        metadata reads instead of a Spark job (up to 30 per stage). A folder holding anything Spark would read
        that is not a ``.parquet`` file (sub-folders, other files) is counted by a query instead.
        """
        jvm = self.session.sparkContext._jvm
        conf = self.session.sparkContext._jsc.hadoopConfiguration()
        total = 0
        for status in self._fs.listStatus(self._jpath(self._location(name))):
            file = status.getPath().getName()
            if file.startswith(("_", ".")):
                continue
            if status.isDirectory() or not file.endswith(".parquet"):
                return None
            reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
                jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromStatus(status, conf))
            try:
                total += int(reader.getRecordCount())
            finally:
                reader.close()
        return total

    # -- data ------------------------------------------------------------------------------------
    def ibis(self) -> ibis.BaseBackend:
        """The Ibis PySpark backend over this warehouse's session."""
        return self._ibis

    def table(self, name: str) -> ibis.Table:
        """Ibis table expression for one warehouse table."""
        self.require(name)
        self._activate()
        return self._ibis.table(name)

    def _frame(self, data: Data):
        """A Spark DataFrame of ``data`` (an expression on this backend or an Arrow table)."""
        self._activate()
        if isinstance(data, pa.Table):
            # Straight from Arrow: Ibis' memtable path goes through pandas, which loses NULL decimals.
            return self.session.createDataFrame(data.combine_chunks())
        self._ibis._run_pre_execute_hooks(data)  # registers the expression's in-memory tables
        return self.session.sql(self._ibis.compile(data))

    def _expr(self, data: Data) -> ibis.Table:
        """``data`` as an expression on this backend (Arrow becomes a session view)."""
        if not isinstance(data, pa.Table):
            return data
        self._arrow_views += 1
        name = f"__hospeval_arrow_{self._arrow_views}"
        self._frame(data).createOrReplaceTempView(name)
        return self._ibis.table(name)

    @contextmanager
    def transaction(self) -> Iterator[SparkWarehouse]:
        """Spark has no multi-table transaction: each write is atomic per table (staging + rename)."""
        yield self

    def replace(self, name: str, data: Data) -> int:
        """Create or replace table ``name`` with ``data``; the old folder is swapped out only on success."""
        self._write(name, self._frame(data))
        return self.count(name)

    def _write(self, name: str, frame) -> None:
        """Write to the staging folder, then swap it in (old -> .__old, staging -> table, drop old)."""
        location = self._location(name)
        staging, target, old = (self._jpath(location + STAGING), self._jpath(location),
                                self._jpath(location + OLD))
        self._fs.delete(staging, True)
        try:
            frame.write.mode("overwrite").parquet(location + STAGING)
        except Exception:
            self._fs.delete(staging, True)
            raise
        had_old = self._fs.exists(target)
        if had_old and not self._fs.rename(target, old):
            raise WarehouseError(f"cannot move the old {name!r} aside", file=location)
        if not self._fs.rename(staging, target):
            if had_old:
                self._fs.rename(old, target)
            raise WarehouseError(f"cannot move the new {name!r} into place", file=location)
        self._fs.delete(old, True)
        self._register(name)

    def scratch(self, name: str, data: Data) -> ibis.Table:
        """Materialise ``data`` as a work table: checkpointed in the executors, never written to ``root``.

        Small Arrow data is not checkpointed: Spark keeps it in the plan as a local relation (below
        ``spark.sql.execution.arrow.localRelationThreshold``), already materialised, so a checkpoint would
        only cost one more job per table (grouping-scheme tables, QC dictionaries, rule texts).
        """
        frame = self._frame(data)
        if not (isinstance(data, pa.Table) and data.nbytes < self._local_relation_bytes()):
            frame = frame.localCheckpoint(eager=True)
        self.drop(name) if name in self._scratch else None
        frame.createOrReplaceTempView(name)
        self._scratch[name] = frame
        return self._ibis.table(name)

    def _local_relation_bytes(self) -> int:
        """Arrow data up to this size becomes a local relation of the plan (Spark's own threshold)."""
        value = self.session.conf.get("spark.sql.execution.arrow.localRelationThreshold", "48MB")
        return int(self.session.sparkContext._jvm.org.apache.spark.network.util.JavaUtils.byteStringAsBytes(value))

    def work_tables(self) -> set[str]:
        """Names of the work tables (:meth:`scratch`) this session holds."""
        return set(self._scratch)

    def drop_work_table(self, name: str) -> None:
        """Drop a work table, never a stored table of the same name."""
        if name in self._scratch:
            self.drop(name)

    def drop(self, name: str) -> None:
        """Drop a table or work table if it exists."""
        frame = self._scratch.pop(name, None)
        if frame is not None:
            self.session.catalog.dropTempView(name)
            frame.unpersist()
            if name in self._tables:  # a work table shadowed a stored table of the same name
                self._register(name)
            return
        if name in self._tables:
            self.session.catalog.dropTempView(name)
            self._fs.delete(self._jpath(self._location(name)), True)
            self._tables.discard(name)

    def ensure_table(self, name: str, schema: ibis.Schema | pa.Schema) -> None:
        """Create an empty table with ``schema`` when ``name`` does not exist."""
        if not self.has_table(name):
            self.replace(name, as_ibis_schema(schema).to_pyarrow().empty_table())

    def _conform(self, name: str, src: ibis.Table) -> ibis.Table:
        """``src`` with the columns, order and types of table ``name``."""
        return conform(src, self.table(name).schema())

    def replace_rows(self, name: str, data: Data, where: dict[str, object],
                     schema: ibis.Schema | pa.Schema | None = None) -> int:
        """Replace the rows of ``name`` whose columns equal ``where``'s values by ``data``.

        The kept rows and the new ones are written together to the staging folder and swapped in, so the
        table is never seen half-replaced.
        """
        src = self._expr(data)
        if schema is not None:
            self.ensure_table(name, schema)
        if not self.has_table(name):
            self.replace(name, src)
        else:
            old = self.table(name)
            keep = ibis.literal(True)
            for column, value in where.items():
                keep = keep & (old[column] == value)
            kept = old.filter(~keep.fill_null(False)) if where else old.limit(0)
            self._write(name, self._frame(kept.union(self._conform(name, src), distinct=False)))
        return self.count(name, where)

    def append(self, name: str, data: Data) -> None:
        """Append ``data`` to ``name`` (created from ``data`` when missing), columns matched by name."""
        src = self._expr(data)
        if not self.has_table(name):
            self.replace(name, src)
            return
        self._write(name, self._frame(self.table(name).union(self._conform(name, src), distinct=False)))

    def to_arrow(self, name_or_expr: str | ibis.Table) -> pa.Table:
        """Materialise a table or expression as Arrow (collects to the driver: for results, not stays)."""
        expr = self.table(name_or_expr) if isinstance(name_or_expr, str) else name_or_expr
        return self._ibis.to_pyarrow(expr)

    def write_csv(self, name_or_expr: str | ibis.Table, path: str | Path) -> Path:
        """Write a table or expression to a UTF-8 CSV file with a header, on the driver."""
        return write_arrow_csv(self.to_arrow(name_or_expr), path)

    def tables(self) -> list[str]:
        """Names of the stored tables (work tables excluded)."""
        return sorted(self._tables)
