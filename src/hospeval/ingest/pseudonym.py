"""Keyed pseudonyms (HMAC-SHA256) computed inside the database, so clear identifiers never leave the
temporary staging tables.

The SQL form and the Python form give the same digest (tested), so a hospital can re-derive a pseudonym
for a patient it knows, given the secret.

Examples
--------
>>> len(hmac_hex("secret", "id|110101199001011234"))
64
"""

from __future__ import annotations

import hashlib
import hmac

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
