"""``hospeval ingest``: load front-page, hospital and facts files into the warehouse."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hospeval.config import settings
from hospeval.ingest.load import IngestReport, ingest_files
from hospeval.warehouse import open_warehouse

console = Console()


def print_report(report: IngestReport) -> None:
    """Print a per-file table: rows read / loaded / quarantined and the reasons."""
    table = Table(title=f"ingest {report.load_id}")
    for col in ("file", "table", "profile", "encoding", "read", "loaded", "quarantined", "reasons"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "quarantined") else "left")
    for f in report.files:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(f.reasons.items()))
        table.add_row(Path(f.file).name, f.table, f.profile, f.encoding, f"{f.rows_read:,}",
                      f"{f.rows_loaded:,}", f"{f.rows_quarantined:,}", reasons)
    console.print(table)
    for f in report.files:
        if f.ignored_columns:
            shown = ", ".join(f.ignored_columns[:8]) + (" ..." if len(f.ignored_columns) > 8 else "")
            console.print(f"[yellow]{Path(f.file).name}: {len(f.ignored_columns)} columns not used: {shown}")
    console.print("rows read = loaded + quarantined: [green]reconciled[/] for every file; "
                  "quarantined rows are in table ingest_quarantine.")


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` and ``schema`` commands."""
    register_schema(app)

    @app.command("ingest")
    def ingest(
        paths: list[Path] = typer.Argument(..., help="CSV / XLSX / Parquet files to load."),
        profile: str = typer.Option(None, help="Header profile (n041, n041_zh, hqms, canonical, hospitals, "
                                               "hospital_facts); detected when omitted."),
        encoding: str = typer.Option(None, help="Text encoding of CSV files (utf-8, gb18030); detected when omitted."),
    ) -> None:
        """Load files into the warehouse: map headers, pseudonymise identifiers, quarantine bad rows.

        The whole call is atomic: if any file cannot be read, nothing is loaded. Loading a file again
        replaces its stays instead of duplicating them.

        On Spark (hospeval --engine spark --spark-warehouse DIR ingest ...) only Parquet files are read.

        Example: hospeval ingest exports/2024-front-page.csv hospitals.xlsx
        """
        s = settings()
        if s.secret_is_default:
            console.print("[yellow]HOSPEVAL_SECRET is not set: pseudonyms use the development secret and "
                          "could be re-derived by anyone. Set it before loading real data.")
        with open_warehouse(s) as wh, console.status("ingesting...") as status:
            report = ingest_files(wh, paths, profile=profile, encoding=encoding,
                                  progress=lambda m: status.update(m))
        print_report(report)


def register_schema(app: typer.Typer) -> None:
    """Add the ``schema`` command (the data model, read from ``schema/``)."""
    from hospeval.model import TABLES, table_spec

    @app.command("schema")
    def schema(table: str = typer.Argument(None, help="A table name; all tables when omitted.")) -> None:
        """Print the canonical data model: columns, types, Chinese labels, code sets and N041 field codes.

        Example: hospeval schema stays
        """
        from hospeval.errors import SchemaError

        names = [table] if table else list(TABLES)
        for name in names:
            if name not in TABLES:
                raise SchemaError(f"no table {name!r}; tables are {', '.join(TABLES)}")
            spec = table_spec(name)
            out = Table(title=f"{spec.name} — {spec.label_zh} (v{spec.version}, key {', '.join(spec.primary_key)})")
            for col in ("column", "type", "required", "label", "codes", "N041"):
                out.add_column(col)
            for c in spec.columns:
                out.add_row(c.name, c.type, "yes" if c.required else "", c.label_zh, c.codes or "",
                            str(c.extra.get("n041", "")))
            console.print(out)
