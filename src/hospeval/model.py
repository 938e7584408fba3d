"""The canonical data model, read from the versioned schema files in ``schema/``.

The YAML files are the source of truth; this module only turns them into typed, immutable specs and
into DuckDB / Arrow types.

Examples
--------
>>> from hospeval.model import table_spec
>>> spec = table_spec("stays")
>>> spec.column("los_days").label_zh
'实际住院（天）'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa
import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir

TABLES = ("stays", "stay_diagnoses", "stay_procedures", "hospitals", "hospital_facts")

# Canonical type name -> (DuckDB SQL type, Arrow type)
_TYPES: dict[str, tuple[str, pa.DataType]] = {
    "string": ("VARCHAR", pa.string()),
    "int8": ("TINYINT", pa.int8()),
    "int16": ("SMALLINT", pa.int16()),
    "int32": ("INTEGER", pa.int32()),
    "int64": ("BIGINT", pa.int64()),
    "float64": ("DOUBLE", pa.float64()),
    "decimal": ("DECIMAL(14,2)", pa.decimal128(14, 2)),
    "boolean": ("BOOLEAN", pa.bool_()),
    "date": ("DATE", pa.date32()),
    "timestamp": ("TIMESTAMP", pa.timestamp("us")),
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table."""

    name: str
    type: str
    required: bool = False
    label_zh: str = ""
    codes: str | None = None
    min: float | None = None
    max: float | None = None
    parent: str | None = None
    cost_group: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def sql_type(self) -> str:
        """DuckDB type of the column."""
        return _TYPES[self.type][0]

    @property
    def arrow_type(self) -> pa.DataType:
        """Arrow type of the column."""
        return _TYPES[self.type][1]


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: name, primary key and ordered columns."""

    name: str
    version: str
    label_zh: str
    primary_key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]

    def column(self, name: str) -> ColumnSpec:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        """Arrow schema of the table."""
        return pa.schema([(c.name, c.arrow_type) for c in self.columns])

    def create_sql(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` statement for DuckDB."""
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return f'CREATE TABLE IF NOT EXISTS "{self.name}" ({cols})'


_KNOWN_KEYS = {f for f in ColumnSpec.__dataclass_fields__ if f != "extra"}


@cache
def table_spec(name: str) -> TableSpec:
    """Load the spec of one canonical table from ``schema/<name>.yaml``."""
    path = data_dir("schema") / f"{name}.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"no schema file for table {name!r}", file=str(path)) from exc
    cols = []
    for raw in doc["columns"]:
        if raw.get("type") not in _TYPES:
            raise SchemaError(f"unknown type {raw.get('type')!r}", file=str(path), field=raw.get("name"))
        known = {k: v for k, v in raw.items() if k in _KNOWN_KEYS}
        cols.append(ColumnSpec(**known, extra={k: v for k, v in raw.items() if k not in _KNOWN_KEYS}))
    return TableSpec(name=doc["table"], version=str(doc["version"]), label_zh=doc.get("label_zh", ""),
                     primary_key=tuple(doc["primary_key"]), columns=tuple(cols))


@cache
def code_sets() -> dict[str, dict[str, tuple[str, str]]]:
    """Return every code set: name -> code -> (label_zh, label_en)."""
    doc = yaml.safe_load((data_dir("schema") / "codes.yaml").read_text(encoding="utf-8"))
    return {name: {str(k): tuple(v) for k, v in values.items()} for name, values in doc.items()}


@cache
def metrics() -> dict[str, dict[str, str]]:
    """Return the metric catalogue of ``hospital_facts``."""
    return yaml.safe_load((data_dir("schema") / "metrics.yaml").read_text(encoding="utf-8"))


def cost_columns() -> list[str]:
    """Names of the cost-category columns of ``stays`` (top-level and sub-items)."""
    return [c.name for c in table_spec("stays").columns if c.cost_group or c.parent]


def top_cost_columns() -> list[str]:
    """Cost categories that add up to ``cost_total`` (sub-items excluded)."""
    return [c.name for c in table_spec("stays").columns if c.cost_group]
