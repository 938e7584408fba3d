"""Where the project's data folders (schema, profiles, schemes, rules, indicators) live."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """Return the folder holding the versioned knowledge files.

    ``HOSPEVAL_DATA`` overrides; otherwise the repository root (two levels above this package).
    """
    override = os.environ.get("HOSPEVAL_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2]


def data_dir(name: str) -> Path:
    """Return one knowledge folder, e.g. ``data_dir("schema")``."""
    return data_root() / name
