"""Keyed pseudonyms (HMAC-SHA256) computed inside the database, so clear identifiers never leave the
temporary staging tables.

Three forms give the same digest (tested): :func:`hmac_hex` (Python, the reference), :func:`hmac_sql`
(DuckDB SQL, for the CSV ingest) and :func:`hmac_expr` (an Ibis expression that runs on DuckDB and
Spark, for the Parquet ingest). So a hospital can re-derive a pseudonym for a patient it knows, given
the secret.

Examples
--------
>>> len(hmac_hex("secret", "id|110101199001011234"))
64
"""

from __future__ import annotations

import hashlib
import hmac

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops

_BLOCK = 64


def hmac_hex(secret: str, message: str) -> str:
    """HMAC-SHA256 of ``message`` under ``secret``, hex encoded (the reference implementation)."""
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _pads(secret: str) -> tuple[str, str]:
    key = secret.encode("utf-8")
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    return inner, outer


def hmac_sql(secret: str, message_sql: str) -> str:
    """DuckDB expression computing :func:`hmac_hex` of the VARCHAR expression ``message_sql``."""
    inner, outer = _pads(secret)
    return (f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({message_sql}))))")


# DuckDB and Spark both have hex(text) (hex of the UTF-8 bytes) and unhex(text) -> binary, under these names.
@ibis.udf.scalar.builtin(name="hex")
def _hex(text: str) -> str:  # type: ignore[empty-body]
    """Hex digits of the UTF-8 bytes of ``text``."""


@ibis.udf.scalar.builtin(name="unhex")
def _unhex(digits: str) -> dt.binary:  # type: ignore[empty-body]
    """The bytes that hex ``digits`` spell."""


def _sha256_hex(data: ibis.Value) -> ibis.Value:
    # Ibis' hexdigest takes binary too (DuckDB sha256(blob), Spark sha2(binary, 256)); only text exposes it.
    return ops.HexDigest(data, "sha256").to_expr()


def hmac_expr(secret: str, message: ibis.Value) -> ibis.Value:
    """Ibis expression computing :func:`hmac_hex` of the string expression ``message``, on any engine.

    ``H((K ^ opad) || H((K ^ ipad) || m))``: the padded keys are constants; byte strings are concatenated
    as hex text and decoded once, which needs no binary concatenation operator.
    """
    inner, outer = _pads(secret)
    inner_hex = _sha256_hex(_unhex(ibis.literal(inner) + _hex(message)))
    return _sha256_hex(_unhex(ibis.literal(outer) + inner_hex))
