"""Typed exceptions with stable reason codes; the CLI and API turn them into clear messages."""

from __future__ import annotations


class HospevalError(Exception):
    """Base class for user-facing errors (bad input, missing data); never shown as a traceback."""

    reason = "error"

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.row, self.field = file, row, field
        where = ", ".join(
            p for p in (f"file {file}" if file else "", f"row {row}" if row is not None else "",
                        f"field {field}" if field else "") if p
        )
        super().__init__(f"{message} ({where})" if where else message)


class InputFileError(HospevalError):
    """A file cannot be read at all (missing, wrong type, undecodable, no usable header)."""

    reason = "input_file"


class SchemaError(HospevalError):
    """A knowledge file (schema, profile, scheme, rule, indicator) is malformed."""

    reason = "schema"


class WarehouseError(HospevalError):
    """The warehouse lacks a table a stage needs, or is locked."""

    reason = "warehouse"
