"""The warehouse: where every canonical and result table lives, and the verbs stages write it with.

Two engines implement the same verbs (``table``, ``replace``, ``scratch``, ``replace_rows``, ``append``,
``drop``, ``count``, ``to_arrow``, ``write_csv``): :class:`Warehouse`, one embedded DuckDB file (the
default), and :class:`hospeval.spark.SparkWarehouse`, Parquet tables under a folder or bucket that Spark
reads and writes. Stages express their logic as Ibis expressions over ``table(...)`` and write results
only through these verbs, so the same code runs on both; :func:`open_warehouse` picks the engine from the
settings (``--engine`` / ``HOSPEVAL_ENGINE``). ``Warehouse.con`` (the raw DuckDB connection) is for
DuckDB-only code: CSV ingest and the dashboard.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> with Warehouse(":memory:") as wh:
...     wh.ensure_schema()
...     wh.count("stays")
0
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa

from hospeval.errors import WarehouseError
from hospeval.model import TABLES, table_spec

Data = pa.Table | ibis.Table


class Warehouse:
    """A DuckDB warehouse file (or ``":memory:"``) with the canonical tables."""

    engine = "duckdb"
    # Stays per batch of the per-stay stages (grouping, DIP keys, indicators; see hospeval.batches): a working set that
    # fits the memory limit with room to spare on a 16 GB machine.
    batch_stays: int | None = 2_000_000

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise WarehouseError(f"cannot open warehouse: {exc}", file=self.path) from exc
        self._attach(con)

    def _attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Per-connection state: every Warehouse object, opened or a cursor, gets it here."""
        self.con = con
        self._ibis = None
        self._depth = 0
        # work tables that are results for the rest of the session (what-if case rows), not intermediates
        self.session_tables: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------------
    def cursor(self) -> Warehouse:
        """Another Warehouse over a new cursor of this connection, for another thread.

        It sees the same database (also ``":memory:"``) but has its own transactions and work tables.
        """
        clone = type(self).__new__(type(self))
        clone.path = self.path
        clone._attach(self.con.cursor())
        return clone

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ----------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the canonical tables that do not exist yet."""
        for name in TABLES:
            self.con.execute(table_spec(name).create_sql())

    def has_table(self, name: str) -> bool:
        """True when the warehouse has a table (or view) called ``name``."""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def require(self, *names: str) -> None:
        """Raise :class:`WarehouseError` naming the first missing table and the command that makes it."""
        for name in names:
            if not self.has_table(name):
                raise WarehouseError(
                    f"the warehouse has no table {name!r}; run the stage that produces it first",
                    file=self.path,
                )

    def count(self, name: str, where: dict[str, object] | None = None) -> int:
        """Row count of a table, or of its rows whose columns equal ``where``'s values."""
        condition = " AND ".join(f'"{c}" = ?' for c in where or {}) or "TRUE"
        return self.con.execute(f'SELECT count(*) FROM "{name}" WHERE {condition}',
                                list((where or {}).values())).fetchone()[0]

    # -- data ------------------------------------------------------------------------------------
    def ibis(self) -> ibis.BaseBackend:
        """Ibis backend over this warehouse's connection (shared, so it sees open transactions)."""
        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str) -> ibis.Table:
        """Ibis table expression for one warehouse table."""
        self.require(name)
        return self.ibis().table(name)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing block: commits when it ends cleanly, rolls back on any exception.

        Nested blocks join the outermost one, so a verb that writes atomically can run inside a
        stage's larger transaction.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    def replace(self, name: str, data: pa.Table | ibis.Table) -> int:
        """Create or replace table ``name`` with ``data`` (an Arrow table or an Ibis expression)."""
        if isinstance(data, ibis.Table):
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {self._sql(data)}')
        else:
            self.con.register("__hospeval_replace", data)
            try:
                self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __hospeval_replace')
            finally:
                self.con.unregister("__hospeval_replace")
        return self.count(name)

    def to_arrow(self, name_or_expr: str | ibis.Table) -> pa.Table:
        """Materialise a table or expression as Arrow."""
        if isinstance(name_or_expr, str):
            return self.con.execute(f'SELECT * FROM "{name_or_expr}"').to_arrow_table()
        return self.ibis().to_pyarrow(name_or_expr)

    # -- engine-neutral verbs (SparkWarehouse implements the same) ------------------------------------
    @contextmanager
    def _source(self, data: Data) -> Iterator[ibis.Table]:
        """``data`` as an expression on this backend (Arrow is registered for the duration)."""
        if isinstance(data, ibis.Table):
            yield data
            return
        self.con.register("__hospeval_source", data)
        try:
            yield self.ibis().table("__hospeval_source")
        finally:
            self.con.unregister("__hospeval_source")

    def _sql(self, expr: ibis.Table) -> str:
        self.ibis()._run_pre_execute_hooks(expr)  # registers the expression's in-memory tables
        return ibis.to_sql(expr, dialect="duckdb")

    def scratch(self, name: str, data: Data) -> ibis.Table:
        """Materialise ``data`` as a session-scoped work table (never written to the warehouse file)."""
        with self._source(data) as src:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {self._sql(src)}')
        return self.ibis().table(name)

    def work_tables(self) -> set[str]:
        """Names of the work tables (:meth:`scratch`) this connection holds."""
        return {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}

    def drop_work_table(self, name: str) -> None:
        """Drop a work table, never a stored table or view of the same name."""
        self.con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')

    def drop(self, name: str) -> None:
        """Drop a table, work table or view if it exists."""
        kind = self.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                                [name]).fetchone()
        if kind:
            self.con.execute(f'DROP {"VIEW" if kind[0] == "VIEW" else "TABLE"} IF EXISTS "{name}"')

    def ensure_table(self, name: str, schema: ibis.Schema | pa.Schema) -> None:
        """Create an empty table with ``schema`` when ``name`` does not exist."""
        if not self.has_table(name):
            self.replace(name, as_ibis_schema(schema).to_pyarrow().empty_table())

    def replace_rows(self, name: str, data: Data, where: dict[str, object],
                     schema: ibis.Schema | pa.Schema | None = None) -> int:
        """Replace the rows of ``name`` whose columns equal ``where``'s values by ``data``, atomically.

        The table is created on first use (with ``schema`` when given, else ``data``'s); ``data``'s
        columns are matched by name and cast to the table's types. Returns the rows now matching.
        """
        with self._source(data) as src, self.transaction():
            if schema is not None:
                self.ensure_table(name, schema)
            if not self.has_table(name):
                self.con.execute(f'CREATE TABLE "{name}" AS {self._sql(src)}')
            else:
                condition = " AND ".join(f'"{c}" = ?' for c in where) or "TRUE"
                self.con.execute(f'DELETE FROM "{name}" WHERE {condition}', list(where.values()))
                self._insert(name, src)
        return self.count(name, where)

    def append(self, name: str, data: Data) -> None:
        """Append ``data`` to ``name`` (created from ``data`` when missing), columns matched by name."""
        with self._source(data) as src, self.transaction():
            if self.has_table(name):
                self._insert(name, src)
            else:
                self.con.execute(f'CREATE TABLE "{name}" AS {self._sql(src)}')

    def _insert(self, name: str, src: ibis.Table) -> None:
        cast = conform(src, self.ibis().table(name).schema())
        self.con.execute(f'INSERT INTO "{name}" {self._sql(cast)}')

    def write_csv(self, name_or_expr: str | ibis.Table, path: str | Path) -> Path:
        """Write a table or expression to a UTF-8 CSV file with a header."""
        return write_arrow_csv(self.to_arrow(name_or_expr), path)


def conform(src: ibis.Table, target: ibis.Schema) -> ibis.Table:
    """``src`` with ``target``'s columns, order and types (columns it lacks become NULL)."""
    return src.select(*[src[c].cast(t).name(c) if c in src.columns else ibis.null(t).name(c)
                        for c, t in target.items()])


def write_arrow_csv(table: pa.Table, path: str | Path) -> Path:
    """Write an Arrow table to a UTF-8 CSV file with a header, creating the folder."""
    import pyarrow.csv as pacsv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)
    return path


def as_ibis_schema(schema: ibis.Schema | pa.Schema) -> ibis.Schema:
    """An Ibis schema from an Ibis or Arrow one."""
    return ibis.Schema.from_pyarrow(schema) if isinstance(schema, pa.Schema) else ibis.schema(schema)


def pull_parquet_tables(wh: Warehouse, folder: str | Path, tables: list[str] | None = None) -> dict[str, int]:
    """Copy the Parquet tables of a Spark warehouse folder into ``wh``; return rows per table.

    One transaction: either every table is replaced or none is.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WarehouseError("no Spark warehouse folder here (copy HDFS / S3 warehouses down first)",
                             file=str(folder))
    found = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
                   and "." not in p.name)
    missing = sorted(set(tables or ()) - set(found))
    if missing:
        raise WarehouseError(f"the Spark warehouse has no table(s) {', '.join(missing)}", file=str(folder))
    counts = {}
    with wh.transaction() as con:
        for name in tables or found:
            files = str(folder / name / "*.parquet")
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_parquet(?)', [files])
            counts[name] = wh.count(name)
    return counts


def open_warehouse(settings: object | None = None, *, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse: DuckDB by default, Spark when the engine setting says so."""
    from hospeval.config import settings as current

    s = settings or current()
    if getattr(s, "engine", "duckdb") == "spark":
        from hospeval.spark import SparkWarehouse

        return SparkWarehouse(s.spark_warehouse, master=s.spark_master)
    return Warehouse(s.warehouse, read_only=read_only)
