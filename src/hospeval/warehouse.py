"""The warehouse: one embedded DuckDB file holding every canonical and result table.

Only this module and engine-specific code import duckdb; stages get an Ibis backend from
:meth:`Warehouse.ibis` and express their logic as Ibis expressions.

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


class Warehouse:
    """A DuckDB warehouse file (or ``":memory:"``) with the canonical tables."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise WarehouseError(f"cannot open warehouse: {exc}", file=self.path) from exc
        self._ibis = None

    # -- lifecycle -------------------------------------------------------------------------------
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

    def count(self, name: str) -> int:
        """Row count of a table."""
        return self.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]

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
        """All-or-nothing block: commits when it ends cleanly, rolls back on any exception."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def replace(self, name: str, data: pa.Table | ibis.Table) -> int:
        """Create or replace table ``name`` with ``data`` (an Arrow table or an Ibis expression)."""
        if isinstance(data, ibis.Table):
            sql = ibis.to_sql(data, dialect="duckdb")
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
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
        return self.con.execute(ibis.to_sql(name_or_expr, dialect="duckdb")).to_arrow_table()
