"""Where the project's data folders (schema, profiles, schemes, rules, indicators) live."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


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


def read_yaml_mapping(path: Path, what: str = "file") -> dict[str, Any]:
    """Read a knowledge file that must hold one YAML mapping; errors name the file (``SchemaError``)."""
    from hospeval.errors import SchemaError

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"{what} not found", file=str(path)) from exc
    except yaml.YAMLError as exc:
        raise SchemaError(f"not valid YAML: {exc}", file=str(path)) from exc
    if not isinstance(doc, dict):
        raise SchemaError("expected a YAML mapping at the top level", file=str(path))
    return doc
