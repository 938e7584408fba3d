"""Thread-safe reads of the warehouse for the web process (the only module of ``present`` that runs SQL).

The server keeps one :class:`~hospeval.warehouse.Warehouse` open; every request reads through its own DuckDB
cursor (a cursor is a connection to the same database, safe to use from one thread). Queries are written as
Ibis expressions over *unbound* tables whose schemas come from the warehouse, compiled to DuckDB SQL and run
on the request's cursor, so no Ibis backend object is shared between threads.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> wh = Warehouse(":memory:"); wh.ensure_schema()
>>> reader = Reader(wh)
>>> reader.has("stays"), reader.has("stay_groups")
(True, False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends.sql.datatypes import DuckDBType

from hospeval.warehouse import Warehouse


class Reader:
    """Read-only query helper over an open warehouse, usable from many threads at once."""

    def __init__(self, warehouse: Warehouse, cache_size: int = 2048) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._tables: frozenset[str] | None = None
        self._schemas: dict[str, ibis.Schema] = {}
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._cache_size = cache_size
        self.generation = 0

    # -- caches ----------------------------------------------------------------------------------
    # The server process is the only writer of the warehouse while it runs (DuckDB locks the file), and it
    # writes only through jobs, which call invalidate() when they end; so caches keyed by generation are exact.
    def invalidate(self) -> None:
        """Forget cached table lists, schemas and results (call after anything writes the warehouse)."""
        with self._lock:
            self.generation += 1
            self._tables = None
            self._schemas.clear()
            self._memo.clear()

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the cached result of ``key`` or compute and keep it (LRU, dropped on invalidate).

        Single flight: when many requests miss the same key at once, one computes and the others wait for it.
        """
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._memo:
                    self._memo.move_to_end(key)
                    return self._memo[key]
                generation = self.generation
            try:
                value = compute()
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                if generation == self.generation:
                    self._memo[key] = value
                    while len(self._memo) > self._cache_size:
                        self._memo.popitem(last=False)
            return value

    def cursor(self):  # noqa: ANN201 - duckdb type stays inside this module
        """Return a fresh DuckDB cursor on the warehouse (one per thread / request)."""
        return self.warehouse.con.cursor()

    def tables(self) -> set[str]:
        """Names of the tables (and views) the warehouse has now."""
        cached = self._tables
        if cached is not None:
            return set(cached)
        cur = self.cursor()
        try:
            rows = cur.execute("SELECT table_name FROM information_schema.tables").fetchall()
        finally:
            cur.close()
        self._tables = frozenset(r[0] for r in rows)
        return set(self._tables)

    def has(self, *names: str) -> bool:
        """Return true when every table in ``names`` exists."""
        present = self.tables()
        return all(n in present for n in names)

    def schema(self, name: str) -> ibis.Schema:
        """Ibis schema of a warehouse table (cached until :meth:`invalidate`)."""
        cached = self._schemas.get(name)
        if cached is not None:
            return cached
        cur = self.cursor()
        try:
            rows = cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position", [name]
            ).fetchall()
        finally:
            cur.close()
        schema = ibis.schema({col: DuckDBType.from_string(typ) for col, typ in rows})
        self._schemas[name] = schema
        return schema

    def table(self, name: str) -> ibis.Table:
        """Unbound Ibis table for ``name`` (compile with :meth:`arrow` / :meth:`records`)."""
        return ibis.table(self.schema(name), name=name)

    def arrow(self, expr: ibis.Expr) -> pa.Table:
        """Run an Ibis expression and return Arrow."""
        sql = ibis.to_sql(expr, dialect="duckdb")
        cur = self.cursor()
        try:
            return cur.execute(sql).to_arrow_table()
        finally:
            cur.close()

    def records(self, expr: ibis.Expr) -> list[dict[str, Any]]:
        """Run an Ibis expression and return rows as JSON-friendly dicts."""
        return [_jsonable(row) for row in self.arrow(expr).to_pylist()]

    # -- compiled query templates ------------------------------------------------------------------
    def query(self, shape: Hashable, build: Callable[[Params], ibis.Expr], values: dict[str, Any], *,
              page: tuple[int, int] | None = None) -> list[dict[str, Any]]:
        """Run a query whose SQL is compiled once per ``shape`` and whose values are bound parameters.

        ``build(P)`` makes the Ibis expression, taking every run-time value from ``P`` (``P.str("name")``,
        ``P.strs("name")``, ``P.num("name")``); ``values`` gives them. Compiling an Ibis expression costs tens of
        milliseconds, running it on a summary table a few; so a page that asks ten questions pays the compile
        once per question shape, not per request, and values never enter the SQL text. ``page`` (limit,
        offset) is appended as bound ``LIMIT`` / ``OFFSET``.
        """
        template = self.memo(("sql", shape), lambda: Params.template(build))
        if template is None:  # a parameter did not survive compilation: compile with the values inlined
            sql, bound = ibis.to_sql(build(Params(values)), dialect="duckdb"), {}
        else:
            sql, names = template
            bound = {name: values[name] for name in names}
        if page is not None:
            sql = f"{sql}\nLIMIT CAST($page_limit AS BIGINT) OFFSET CAST($page_offset AS BIGINT)"
            bound.update(page_limit=int(page[0]), page_offset=int(page[1]))
        cur = self.cursor()
        try:
            table = cur.execute(sql, bound).to_arrow_table()
        finally:
            cur.close()
        return [_jsonable(row) for row in table.to_pylist()]

    def scalar(self, expr: ibis.Expr) -> Any:
        """Run a scalar Ibis expression."""
        table = self.arrow(expr.name("value").as_table())
        return _value(table.column(0)[0].as_py()) if table.num_rows else None


class Params:
    """Hands out the run-time values of a query: as sentinels while compiling a template, else as literals."""

    _CASTS = {"string": "VARCHAR", "array<string>": "VARCHAR[]", "float64": "DOUBLE"}

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values = values  # None while compiling a template
        self.sentinels: dict[str, tuple[Any, Any, str]] = {}  # name -> (ibis param, sentinel, type)

    def _param(self, name: str, dtype: str, sentinel: Any) -> ibis.Expr:
        if self.values is not None:
            return ibis.literal(self.values[name], type=dtype)
        if name in self.sentinels:  # the same value used twice is one parameter
            return self.sentinels[name][0]
        param = ibis.param(dtype)
        self.sentinels[name] = (param, sentinel, dtype)
        return param

    def str(self, name: str) -> ibis.Expr:
        """Return a text parameter."""
        return self._param(name, "string", f"__hospeval_{name}__")

    def strs(self, name: str) -> ibis.Expr:
        """Return a list-of-texts parameter (use ``P.strs(n).contains(column)`` for membership)."""
        return self._param(name, "array<string>", [f"__hospeval_{name}__"])

    def num(self, name: str) -> ibis.Expr:
        """Return a number parameter."""
        return self._param(name, "float64", 0.000123456789 + len(self.sentinels) * 1e-12)

    @classmethod
    def template(cls, build: Callable[[Params], ibis.Expr]) -> tuple[str, tuple[str, ...]] | None:
        """Compile ``build`` with sentinels, then turn each sentinel into a named DuckDB parameter."""
        params = cls()
        expr = build(params)
        sql = ibis.to_sql(expr, dialect="duckdb", params={p: s for p, s, _ in params.sentinels.values()})
        names = []
        for name, (_, sentinel, dtype) in params.sentinels.items():
            if isinstance(sentinel, list):
                text = f"['{sentinel[0]}']"
            elif isinstance(sentinel, str):
                text = f"'{sentinel}'"
            else:
                text = repr(sentinel)
            if text not in sql:
                return None
            sql = sql.replace(text, f"CAST(${name} AS {cls._CASTS[dtype]})")
            names.append(name)
        return sql, tuple(names)


def _value(value: Any) -> Any:
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in row.items()}
