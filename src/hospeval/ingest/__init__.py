"""Stage: ingest. Files (CSV / XLSX / Parquet, UTF-8 or GB18030, Chinese / N041 / HQMS / English headers)
into the canonical tables, with pseudonymised identifiers, quarantine and reconciled counts.
"""

from __future__ import annotations

from hospeval.ingest.load import FileReport, IngestReport, ingest_files

__all__ = ["FileReport", "IngestReport", "ingest_files"]
