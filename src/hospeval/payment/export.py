"""Write payment, standards and operations results as CSV files and one XLSX workbook."""

from __future__ import annotations

from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv

from hospeval.warehouse import Warehouse

XLSX_MAX_ROWS = 1_000_000


def to_arrow(wh: Warehouse, data: str | ir.Table) -> pa.Table:
    """Materialise a table name or Ibis expression."""
    return wh.to_arrow(data)


def write_csv(table: pa.Table, path: Path) -> Path:
    """Write a CSV (UTF-8 with BOM so that Excel shows Chinese)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(table, fh)
    return path


def write_workbook(sheets: dict[str, pa.Table], path: Path) -> Path:
    """One sheet per table (names cut to Excel's 31 characters, rows to the sheet limit)."""
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, table in sheets.items():
            frame = table.slice(0, XLSX_MAX_ROWS).to_pandas()
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return path
