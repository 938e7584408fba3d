"""hospeval: evaluation and operations decision support for public hospitals.

Stages (each a sub-package): ingest -> quality -> group -> reference -> indicators -> evaluate
-> payment -> present. Every stage reads and writes tables in one warehouse (DuckDB by default).
"""

from __future__ import annotations

__version__ = "0.1.0"
