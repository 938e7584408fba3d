"""What-if scenarios: changes to a baseline's rules applied without regrouping (每个情景复用分组结果)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from hospeval.errors import HospevalError
from hospeval.payment.spec import PaymentRules


class ScenarioError(HospevalError):
    """A what-if scenario that cannot be applied (negative factor, unknown DRG...)."""

    reason = "scenario"


@dataclass(frozen=True)
class Scenario:
    """Changes to the baseline rules.

    Examples
    --------
    >>> Scenario(base_rate_factor=1.05).name
    'base_rate x1.05'
    """

    base_rate_factor: float = 1.0
    weight_factor: float = 1.0
    weight_overrides: tuple[tuple[str, float], ...] = ()
    budget_factor: float = 1.0
    budget_amount: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("base_rate_factor", "weight_factor", "budget_factor"):
            if getattr(self, name) < 0:
                raise ScenarioError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.budget_amount is not None and self.budget_amount < 0:
            raise ScenarioError(f"budget must be >= 0, got {self.budget_amount}")
        for drg, weight in self.weight_overrides:
            if weight < 0:
                raise ScenarioError(f"weight of {drg} must be >= 0, got {weight}")

    @property
    def is_baseline(self) -> bool:
        """True when nothing changes."""
        return self == Scenario(label=self.label)

    @property
    def name(self) -> str:
        """Short human-readable description."""
        if self.label:
            return self.label
        parts = []
        if self.base_rate_factor != 1.0:
            parts.append(f"base_rate x{self.base_rate_factor:g}")
        if self.weight_factor != 1.0:
            parts.append(f"weights x{self.weight_factor:g}")
        parts += [f"{d}={w:g}" for d, w in self.weight_overrides]
        if self.budget_factor != 1.0:
            parts.append(f"budget x{self.budget_factor:g}")
        if self.budget_amount is not None:
            parts.append(f"budget={self.budget_amount:g}")
        return ", ".join(parts) or "baseline"

    def key(self) -> str:
        """Stable text of the changes, for deterministic run ids."""
        d = dataclasses.asdict(self)
        d.pop("label")
        return json.dumps(d, sort_keys=True)

    def apply(self, rules: PaymentRules) -> PaymentRules:
        """Rules with the base rate and DIP budget changed (weights change in the weights table)."""
        drg, dip = rules.drg, rules.dip
        if drg is not None and self.base_rate_factor != 1.0:
            drg = dataclasses.replace(drg, base_rate={k: v * self.base_rate_factor for k, v in drg.base_rate.items()})
        if dip is not None and (self.budget_factor != 1.0 or self.budget_amount is not None):
            if self.budget_amount is not None:
                dip = dataclasses.replace(dip, budget_amount=self.budget_amount, budget_share_of_cost=None)
            elif dip.budget_amount is not None:
                dip = dataclasses.replace(dip, budget_amount=dip.budget_amount * self.budget_factor)
            else:
                dip = dataclasses.replace(dip, budget_share_of_cost=dip.budget_share_of_cost * self.budget_factor)
        return rules.replace(drg=drg, dip=dip)


def run_id(rules: PaymentRules, method: str, scenario: Scenario, period: str | None) -> str:
    """Deterministic run id: rules id, method, period and a hash of the scenario."""
    digest = hashlib.sha1(f"{rules.id}|{method}|{period}|{scenario.key()}".encode()).hexdigest()[:8]
    tag = "base" if scenario.is_baseline else "whatif"
    return f"{rules.id}-{method}-{tag}-{digest}"
