"""Engine-specific pieces of the Parquet ingest (:mod:`hospeval.ingest.parquet`), and nothing else.

Everything else in that ingest is an Ibis expression that compiles the same way on DuckDB and Spark.
What cannot be, and why:

- Reading a Parquet file with its row numbers. DuckDB: ``read_parquet(..., file_row_number=true)`` as a
  temporary view (lazy: clear identifiers are never copied into a table). Spark: ``spark.read.parquet``
  with the hidden ``_metadata.row_index`` column, as a temporary view. Every column is read as text, as
  the CSV ingest sees it, so that both paths type and check values the same way.
- Parsing dates with several formats, NULL when none fits. Ibis compiles ``as_timestamp`` to DuckDB's
  ``strptime``, which raises on a bad value, so DuckDB uses ``try_strptime(text, [formats])`` (exactly
  the CSV ingest's parser). Spark uses ``coalesce(try_to_timestamp(text, java_format), ...)`` with the
  formats translated to Java patterns. Known differences (Spark returns NULL, DuckDB parses): a year of
  fewer than 4 digits (``24-01-02``); a 3-digit month or day is accepted by Spark only
  (``2024-001-02``). Usual front-page spellings (``2024-01-02``, ``2024/1/2 8:05``, ``20240102``,
  ``2024年1月2日``, ``2024-01-02T08:00:00``, fractions of a second) parse identically (tested).
- A quarantined row's fields as JSON: ``to_json`` of a struct is a builtin of both engines and writes the
  same text (key order kept, same escapes), but Spark leaves out NULL fields unless
  ``spark.sql.jsonGenerator.ignoreNullFields`` is false, which :func:`prepare` sets for the session.
- Trim: Ibis ``strip()`` removes every kind of whitespace, the CSV ingest's ``trim`` only spaces; the
  builtin ``trim`` has the same name and meaning on both engines.

``hex`` / ``unhex`` (for HMAC-SHA256, see :mod:`hospeval.ingest.pseudonym`) are builtins with the same
name and meaning on both engines, so they are declared there, not here.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.datatypes as dt

from hospeval.errors import InputFileError


@ibis.udf.scalar.builtin(name="trim")
def trim(text: str) -> str:  # type: ignore[empty-body]
    """Remove leading and trailing spaces (only spaces, as DuckDB's and Spark's ``trim``)."""


@ibis.udf.scalar.builtin(name="to_json")
def to_json(value) -> str:  # type: ignore[empty-body]  # noqa: ANN001 - any struct
    """A struct as a JSON object: ``{"key":"text","other":null}``."""


@ibis.udf.scalar.builtin(name="try_strptime")
def _duck_try_strptime(text: str, formats: dt.Array(dt.string)) -> dt.timestamp:  # type: ignore[empty-body]
    """DuckDB: the first format that parses, else NULL."""


@ibis.udf.scalar.builtin(name="try_to_timestamp")
def _spark_try_to_timestamp(text: str, fmt: str) -> dt.timestamp:  # type: ignore[empty-body]
    """Spark: NULL when ``text`` does not fit ``fmt``."""


# strftime -> Java pattern. Separated fields take 1 or 2 digits, as DuckDB's strptime does; fields written
# without separators (%Y%m%d, %H%M%S) need their full width; %f takes 1 to 6 digits.
_LENIENT = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s", "%f": "SSSSSS"}
_FIXED = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%f": "SSSSSS"}


def java_pattern(fmt: str) -> str:
    """Translate a strftime format to a Java ``DateTimeFormatter`` pattern (letters quoted as literals).

    >>> java_pattern("%Y-%m-%dT%H:%M:%S"), java_pattern("%Y%m%d%H%M")
    ("yyyy-M-d'T'H:m:s", 'yyyyMMddHHmm')
    """
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            code = fmt[i:i + 2]
            adjacent = fmt[i + 2:i + 3] == "%" or (i >= 2 and fmt[i - 2] == "%")
            out.append((_FIXED if adjacent else _LENIENT)[code])
            i += 2
        else:
            c = fmt[i]
            out.append(f"'{c}'" if (c.isascii() and c.isalpha()) or c in "'[]{}#" else c)
            i += 1
    return "".join(out)


def parse_timestamp(engine: str, text: ibis.Value, formats: list[str]) -> ibis.Value:
    """``text`` parsed with the first of ``formats`` that fits (strftime codes), NULL when none does."""
    if engine == "spark":
        return ibis.coalesce(*[_spark_try_to_timestamp(text, java_pattern(f)) for f in formats])
    return _duck_try_strptime(text, ibis.literal(formats, type=dt.Array(dt.string)))


def prepare(wh) -> None:
    """Session settings the expressions above rely on (Spark: the new date parser without the legacy
    fallback error; NULL fields written by ``to_json``).
    """
    if wh.engine == "spark":
        wh.session.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        wh.session.conf.set("spark.sql.jsonGenerator.ignoreNullFields", "false")


def read_parquet(wh, path: Path, name: str) -> tuple[ibis.Table, list[str]]:
    """Temporary view ``name`` of a Parquet file: ``__k`` (1-based row number) and every column as text.

    Returns the view as an Ibis table and the file's column names. Raises :class:`InputFileError` when the
    file is not Parquet.
    """
    try:
        if wh.engine == "spark":
            headers = _spark_view(wh, path, name)
        else:
            headers = _duck_view(wh, path, name)
    except InputFileError:
        raise
    except Exception as exc:  # each engine raises its own error types for a file it cannot read
        raise InputFileError(f"cannot read as Parquet: {str(exc).strip().splitlines()[0]}",
                             file=str(path)) from exc
    return wh.ibis().table(name), headers


def _check_headers(headers: list[str], path: Path) -> None:
    reserved = [h for h in headers if h.startswith("__")]
    if reserved:
        raise InputFileError(f"column names starting with '__' are reserved: {', '.join(reserved)}",
                             file=str(path))


def _duck_view(wh, path: Path, name: str) -> list[str]:
    con = wh.con
    src = "read_parquet(" + _quote(str(path)) + ", file_row_number=true)"
    headers = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall() if r[0] != "file_row_number"]
    _check_headers(headers, path)
    cols = ", ".join(f'CAST("{_ident(h)}" AS VARCHAR) AS "{_ident(h)}"' for h in headers)
    con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT file_row_number + 1 AS __k, {cols} FROM {src}')
    return headers


def _spark_view(wh, path: Path, name: str) -> list[str]:
    from pyspark.sql import functions as F

    frame = wh.session.read.parquet(str(path))
    headers = list(frame.columns)
    _check_headers(headers, path)
    # A single file is read in row-group order; row_index is the row's position in its file.
    frame = frame.select((F.col("_metadata.row_index") + 1).alias("__k"),
                         *[F.col(f"`{h}`").cast("string").alias(h) for h in headers])
    frame.createOrReplaceTempView(name)
    return headers


def drop_view(wh, name: str) -> None:
    """Drop a view made by :func:`read_parquet`."""
    if wh.engine == "spark":
        wh.session.catalog.dropTempView(name)
    else:
        wh.con.execute(f'DROP VIEW IF EXISTS "{name}"')


def _ident(text: str) -> str:
    return text.replace('"', '""')


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
