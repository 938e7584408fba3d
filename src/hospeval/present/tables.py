"""Read one result table with scope, filters and paging: the engine behind every ``/api/tables/*`` route.

Order of operations matters for leaks: scope is applied first, then the caller's filters, then the count
and the page; so ``total`` and every page only ever describe rows the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis

from hospeval.present.catalog import PATIENT_COLUMNS, ResultTable
from hospeval.present.db import Params, Reader
from hospeval.present.scope import Forbidden, Scope

MAX_LIMIT = 1000


class NotComputed(Exception):
    """A table the page or route needs is missing: the stage that writes it has not run yet."""

    def __init__(self, table: str, stage: str) -> None:
        self.table, self.stage = table, stage
        super().__init__(f"not computed yet — run `{stage}` (table {table} is missing) / 尚未计算，请先运行 `{stage}`")


class BadQuery(Exception):
    """A filter or order names a column the table does not have or serve."""


@dataclass(frozen=True)
class Page:
    """One page of rows."""

    table: str
    total: int
    limit: int
    offset: int
    columns: list[str]
    rows: list[dict[str, Any]]


def served_columns(spec: ResultTable, schema: ibis.Schema) -> list[str]:
    """Columns of the live table that may be served (hidden and patient columns dropped)."""
    return [c for c in schema.names if c not in spec.hidden and c not in PATIENT_COLUMNS]


def scoped(spec: ResultTable, reader: Reader, scope: Scope, P: Params | None = None) -> ibis.Table:
    """Return the rows of ``spec`` that ``scope`` may see, with only the served columns.

    With ``P`` the scope's hospital list is the bound parameter ``scope`` (see :meth:`Reader.query`).
    """
    if scope.principal.role not in spec.roles:
        raise Forbidden(f"your role may not read {spec.name} (您的角色无权查看此数据)")
    if not reader.has(spec.name):
        raise NotComputed(spec.name, spec.stage)
    P = P or Params({"scope": sorted(scope.hospitals) if scope.hospitals is not None else None})
    table = reader.table(spec.name)
    if spec.scope == "hospital" and not scope.unrestricted:
        table = table.filter(P.strs("scope").contains(table.hospital_id))
    elif spec.scope == "stay" and not scope.unrestricted:
        if not reader.has("stays"):
            raise NotComputed("stays", "hospeval ingest")
        stays = reader.table("stays").select("stay_id", "hospital_id")
        stays = stays.filter(P.strs("scope").contains(stays.hospital_id))
        table = table.semi_join(stays, table.stay_id == stays.stay_id)
    if spec.masked_when_field and "field" in table.columns:
        masked = table.field.isin(sorted(PATIENT_COLUMNS))
        table = table.mutate(**{c: ibis.ifelse(masked, ibis.null(table[c].type()), table[c])
                                for c in spec.masked_when_field if c in table.columns})
    return table.select(*served_columns(spec, table.schema()))


def read_page(spec: ResultTable, reader: Reader, scope: Scope, filters: dict[str, str], *,
              limit: int = 100, offset: int = 0, order_by: str | None = None) -> Page:
    """Read one page of ``spec`` for ``scope``.

    Parameters
    ----------
    spec : ResultTable
        The table's declaration.
    reader : Reader
        The warehouse reader.
    scope : Scope
        The caller's scope.
    filters : dict
        Column -> value (equality, compared as text). A ``hospital_id`` filter outside the
        scope raises :class:`Forbidden` rather than returning an empty page.
    limit : int
        Page size (1 .. MAX_LIMIT).
    offset : int
        First row of the page.
    order_by : str, optional
        A served column, optionally prefixed with ``-`` for descending.
    """
    if scope.principal.role not in spec.roles:
        raise Forbidden(f"your role may not read {spec.name} (您的角色无权查看此数据)")
    if filters.get("hospital_id") is not None and spec.scope == "hospital":
        scope.check(filters["hospital_id"])
    columns = served_columns(spec, scoped(spec, reader, scope).schema())
    used = sorted(c for c, v in filters.items() if v is not None)
    for column in used:
        if column not in spec.filters or column not in columns:
            raise BadQuery(f"{spec.name} cannot be filtered on {column!r}")
    keys: list[Any] = [k for k in spec.order_by if k in columns]
    if order_by:
        name = order_by.lstrip("-")
        if name not in columns:
            raise BadQuery(f"{spec.name} cannot be ordered by {name!r}")
        first = ibis.desc(name) if order_by.startswith("-") else ibis.asc(name)
        keys = [first, *[k for k in keys if k != name]]

    def filtered(P: Params) -> ibis.Table:
        table = scoped(spec, reader, scope, P)
        for column in used:
            table = table.filter(table[column].cast("string") == P.str(f"filter_{column}"))
        return table

    values = {"scope": sorted(scope.hospitals) if scope.hospitals is not None else None,
              **{f"filter_{c}": filters[c] for c in used}}
    shape = (spec.name, scope.unrestricted, tuple(used))
    total = reader.query(("count", *shape), lambda P: filtered(P).count().name("n").as_table(), values)[0]["n"]
    rows = reader.query(("page", *shape, order_by), lambda P: filtered(P).order_by(keys or columns[:1]), values,
                        page=(limit, offset))
    return Page(spec.name, int(total or 0), limit, offset, columns, rows)


def read_all(spec: ResultTable, reader: Reader, scope: Scope, filters: dict[str, str] | None = None,
             max_rows: int = 1_000_000) -> Page:
    """Return all rows (up to ``max_rows``) for exports."""
    return read_page(spec, reader, scope, filters or {}, limit=max_rows, offset=0)
