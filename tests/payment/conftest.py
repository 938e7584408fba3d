"""Fixtures of the payment tests; the builders live in ``payment_fixtures``."""

from __future__ import annotations

from payment_fixtures import dip_wh, drg_wh, rules  # noqa: F401  (pytest fixtures)
