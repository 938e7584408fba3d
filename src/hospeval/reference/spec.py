"""Declarations of the reference stage: typed, immutable policies read from YAML, and the population.

A policy says *how* a reference table is derived (trimming rule, percentile policy, risk-grade options);
:mod:`hospeval.reference.drg_reference` compiles it to Ibis. Defaults live in ``policies/*.yaml`` beside
this module; a user passes another file with ``--policy FILE``.

Examples
--------
>>> from hospeval.reference.spec import load_reference_policy
>>> policy = load_reference_policy()
>>> policy.trim.method, policy.trim.iqr_k, policy.percentiles
('iqr', 3.0, 'exact')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hospeval.errors import HospevalError, SchemaError
from hospeval.paths import read_yaml_mapping

POLICY_DIR = Path(__file__).resolve().parent / "policies"
TRIM_METHODS = ("none", "iqr", "percentile")
PERCENTILE_POLICIES = ("exact", "native", "approximate")
SD_KINDS = ("sample", "pop")


class ReferencePopulationError(HospevalError):
    """The reference population is empty (no grouped stays for the scheme, period and hospitals)."""

    reason = "empty_population"


@dataclass(frozen=True)
class TrimPolicy:
    """Which stays are left out of cost means (outliers), per group.

    ``iqr`` keeps costs within [Q1 - k·IQR, Q3 + k·IQR]; ``percentile`` keeps costs within the
    [lower, upper] percentiles; ``none`` keeps every stay with a positive cost. Groups with fewer than
    ``min_stays`` stays with a positive cost are not trimmed.
    """

    method: str = "iqr"
    iqr_k: float = 3.0
    lower_percentile: float = 0.025
    upper_percentile: float = 0.975
    min_stays: int = 5


@dataclass(frozen=True)
class RiskGradePolicy:
    """Options of the DRG mortality risk grade (死亡风险分级)."""

    death_disposition: str = "5"
    sd: str = "sample"


@dataclass(frozen=True)
class ReferencePolicy:
    """How ``drg_reference`` is derived from a reference population."""

    cost_column: str = "cost_total"
    trim: TrimPolicy = field(default_factory=TrimPolicy)
    percentiles: str = "exact"
    risk_grade: RiskGradePolicy = field(default_factory=RiskGradePolicy)
    source: str = "built-in"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for YAML and provenance records)."""
        return asdict(self)


@dataclass(frozen=True)
class Population:
    """Which stays form the reference population.

    Parameters
    ----------
    scheme
        Grouping scheme of ``stay_groups`` (e.g. ``chs-drg-1.1``); only ``grouped`` stays count.
    periods
        Discharge periods ``YYYY`` or ``YYYY-MM`` to keep; empty = every period.
    hospitals
        Hospital ids to keep; empty = every hospital.
    """

    scheme: str
    periods: tuple[str, ...] = ()
    hospitals: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for reports: scheme, periods and hospitals."""
        periods = ",".join(self.periods) or "all periods"
        hospitals = ",".join(self.hospitals) or "all hospitals"
        return f"{self.scheme}; {periods}; {hospitals}"


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one policy file (a YAML mapping), raising :class:`SchemaError` naming the file otherwise."""
    return read_yaml_mapping(path, "policy file")


def _choice(value: Any, allowed: tuple[str, ...], *, file: str, name: str) -> str:
    if value not in allowed:
        raise SchemaError(f"{value!r} is not one of {', '.join(allowed)}", file=file, field=name)
    return str(value)


def _number(value: Any, *, file: str, name: str, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"expected a number, got {value!r}", file=file, field=name)
    if value < low or (high is not None and value > high):
        raise SchemaError(f"{value} is outside [{low}, {high if high is not None else 'inf'}]",
                          file=file, field=name)
    return float(value)


def parse_trim(raw: dict[str, Any] | None, *, file: str) -> TrimPolicy:
    """Validate the ``trim`` block of a policy file."""
    raw = raw or {}
    default = TrimPolicy()
    method = _choice(raw.get("method", default.method), TRIM_METHODS, file=file, name="trim.method")
    lower = _number(raw.get("lower_percentile", default.lower_percentile), file=file,
                    name="trim.lower_percentile", low=0.0, high=1.0)
    upper = _number(raw.get("upper_percentile", default.upper_percentile), file=file,
                    name="trim.upper_percentile", low=0.0, high=1.0)
    if lower >= upper:
        raise SchemaError("lower_percentile must be below upper_percentile", file=file, field="trim")
    return TrimPolicy(
        method=method,
        iqr_k=_number(raw.get("iqr_k", default.iqr_k), file=file, name="trim.iqr_k", low=0.0),
        lower_percentile=lower,
        upper_percentile=upper,
        min_stays=int(_number(raw.get("min_stays", default.min_stays), file=file, name="trim.min_stays",
                              low=1)),
    )


def load_reference_policy(path: str | Path | None = None) -> ReferencePolicy:
    """Load a DRG reference policy (default: ``policies/drg_reference.yaml``)."""
    path = Path(path) if path else POLICY_DIR / "drg_reference.yaml"
    raw = read_yaml(path)
    file = str(path)
    risk = raw.get("risk_grade") or {}
    return ReferencePolicy(
        cost_column=str(raw.get("cost_column", "cost_total")),
        trim=parse_trim(raw.get("trim"), file=file),
        percentiles=_choice(raw.get("percentiles", "exact"), PERCENTILE_POLICIES, file=file,
                            name="percentiles"),
        risk_grade=RiskGradePolicy(
            death_disposition=str(risk.get("death_disposition", "5")),
            sd=_choice(risk.get("sd", "sample"), SD_KINDS, file=file, name="risk_grade.sd"),
        ),
        source=file,
    )


def check_period(period: str) -> str:
    """Return ``period`` when it is ``YYYY`` or ``YYYY-MM``, else raise :class:`HospevalError`."""
    ok = (len(period) == 4 and period.isdigit()) or (
        len(period) == 7 and period[:4].isdigit() and period[4] == "-" and period[5:].isdigit()
        and 1 <= int(period[5:]) <= 12
    )
    if not ok:
        raise HospevalError(f"period {period!r} is not YYYY or YYYY-MM", field="period")
    return period
