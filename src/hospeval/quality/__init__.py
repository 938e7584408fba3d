"""Stage: front-page data quality control (病案首页质控).

Rules as data (``rules/front_page.yaml``), compiled to one Ibis scan per table; per-stay findings,
per-rule results, per-hospital and per-department scores (``rules/scoring.yaml``), Excel workbooks.

Examples
--------
>>> from hospeval.quality import check, run_rules  # doctest: +SKIP
"""

from __future__ import annotations

from hospeval.quality.api import CheckReport, check
from hospeval.quality.engine import RuleRun, run_rules

__all__ = ["CheckReport", "RuleRun", "check", "run_rules"]
