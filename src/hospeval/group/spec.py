"""Grouping schemes as data: the typed declaration of a scheme folder under ``schemes/<name>/``.

A scheme folder holds ``scheme.yaml`` (name, version, source, licence, file names) and CSV tables
(see ``docs/grouping.md``). This module reads and checks them; :mod:`hospeval.group.engine` compiles
them to Ibis.

Examples
--------
>>> from hospeval.group.spec import load_scheme
>>> scheme = load_scheme("chs-drg-1.1")
>>> scheme.version, scheme.table("mdc").num_rows
('1.1', 26)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir

# Every table of the format and the columns it must have (extra columns are allowed).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "icd10": ("code", "name"),
    "icd9cm3": ("code", "name"),
    "valid_procedures": ("code",),
    "mdc": ("mdc", "name", "priority", "entry", "sex", "age_years_max", "min_sites"),
    "mdc_diagnoses": ("mdc", "code", "site"),
    "adrg": ("adrg", "mdc", "name", "priority", "group_as", "dx", "dx2", "proc", "proc_formula", "sex", "age_years_min",
             "age_years_max", "age_days_min", "age_days_max", "birth_weight_min", "birth_weight_max", "dept"),
    "adrg_codes": ("adrg", "kind", "table", "code"),
    "drg": ("drg", "adrg", "name", "priority", "split", "age_years_min", "age_years_max", "los_min", "los_max"),
    "cc": ("code", "level", "exclusion_table"),
    "cc_exclusion": ("principal_code", "exclusion_table"),
}
# Tables and columns a scheme may leave out (rule kinds of local schemes); a missing optional column is read
# as empty (no condition), so that schemes written before it existed keep their meaning.
OPTIONAL_TABLES = ("icd10_map", "icd9cm3_map", "mdc_procedures")
OPTIONAL_TABLE_COLUMNS = {"mdc_procedures": ("mdc", "code")}
OPTIONAL_COLUMNS = {"drg": ("dept", "procedures")}
INT_COLUMNS = {"priority", "age_years_max", "age_years_min", "age_days_min", "age_days_max",
               "birth_weight_min", "birth_weight_max", "min_sites", "los_min", "los_max"}
ALLOWED = {
    ("mdc", "entry"): {"principal_dx", "any_dx", "principal_valid"},
    ("adrg", "dx"): {"", "principal", "any", "principal_not"},
    ("adrg", "dx2"): {"", "secondary"},
    ("adrg", "proc"): {"", "principal", "principal_valid", "tables", "no_valid", "not_principal_valid"},
    ("drg", "split"): {"none", "mcc", "mcc_or_cc"},
    ("cc", "level"): {"MCC", "CC"},
    ("adrg_codes", "kind"): {"diagnosis", "procedure"},
}


@dataclass(frozen=True)
class Scheme:
    """One grouping scheme: its manifest and its tables (Arrow, all read from the scheme folder)."""

    name: str
    version: str
    folder: Path
    manifest: dict = field(compare=False, hash=False)
    tables: dict[str, pa.Table] = field(compare=False, hash=False, repr=False)

    def table(self, name: str) -> pa.Table:
        """One table of the scheme (``mdc``, ``adrg``, ``icd10`` ...)."""
        return self.tables[name]

    @property
    def retry_each_procedure(self) -> bool:
        """Whether a stay reaching no DRG is grouped again with each further procedure as its only one."""
        return bool(self.manifest.get("retry_each_procedure", False))

    @property
    def newborn_max_age_days(self) -> int:
        """Age in days up to which a stay counts as a newborn (28 in CHS-DRG)."""
        return int(self.manifest.get("newborn_max_age_days", 28))


def scheme_dir(name: str) -> Path:
    """Folder of a scheme under the ``schemes`` data folder."""
    return data_dir("schemes") / name


def available_schemes() -> list[str]:
    """Names of the scheme folders that have a ``scheme.yaml``."""
    root = data_dir("schemes")
    return sorted(p.parent.name for p in root.glob("*/scheme.yaml"))


def _read_csv(path: Path, table: str) -> pa.Table:
    try:
        header = path.open(encoding="utf-8").readline().strip().split(",")
    except FileNotFoundError as exc:
        raise SchemaError(f"scheme table {table!r} is missing", file=str(path)) from exc
    types = {c: (pa.int32() if c in INT_COLUMNS else pa.string()) for c in header}
    opts = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                quoted_strings_can_be_null=False)
    try:
        data = pacsv.read_csv(path, convert_options=opts)
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"cannot read scheme table: {exc}", file=str(path)) from exc
    for col in TABLE_COLUMNS.get(table, OPTIONAL_TABLE_COLUMNS.get(table, ())):
        if col not in data.column_names:
            raise SchemaError("scheme table lacks a column", file=str(path), field=col)
    for col in OPTIONAL_COLUMNS.get(table, ()):
        if col not in data.column_names:
            data = data.append_column(col, pa.array([""] * data.num_rows, pa.string()))
    for (tname, col), allowed in ALLOWED.items():
        if tname == table:
            bad = set(data.column(col).to_pylist()) - allowed
            if bad:
                raise SchemaError(f"values {sorted(bad)[:5]} not in {sorted(allowed)}", file=str(path), field=col)
    return data


@cache
def load_scheme(name: str) -> Scheme:
    """Read and check the scheme folder ``schemes/<name>/``.

    Raises
    ------
    SchemaError
        When the folder, the manifest or a table is missing or malformed.
    """
    folder = scheme_dir(name)
    manifest_path = folder / "scheme.yaml"
    if not manifest_path.exists():
        known = ", ".join(available_schemes()) or "none"
        raise SchemaError(f"unknown scheme {name!r} (available: {known})", file=str(manifest_path))
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    for key in ("name", "version", "source", "licence", "files"):
        if key not in manifest:
            raise SchemaError("scheme manifest lacks a key", file=str(manifest_path), field=key)
    files = manifest["files"]
    tables = {}
    for table in (*TABLE_COLUMNS, *OPTIONAL_TABLES):
        if table not in files:
            if table in OPTIONAL_TABLES:
                continue
            raise SchemaError("scheme manifest lists no file for a table", file=str(manifest_path), field=table)
        tables[table] = _read_csv(folder / files[table], table)
    if "mdc_procedures" in tables:
        unknown = set(tables["mdc_procedures"].column("mdc").to_pylist()) - set(tables["mdc"].column("mdc").to_pylist())
        if unknown:
            raise SchemaError(f"MDCs {sorted(unknown)[:5]} are not in mdc.csv", file=str(folder / files["mdc_procedures"]),
                              field="mdc")
    if not isinstance(manifest.get("retry_each_procedure", False), bool):
        raise SchemaError("must be true or false", file=str(manifest_path), field="retry_each_procedure")
    return Scheme(name=str(manifest["name"]), version=str(manifest["version"]), folder=folder,
                  manifest=manifest, tables=tables)
