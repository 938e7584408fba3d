"""Payment rules as data: typed, frozen specs read from ``payment_rules/<region>/<year>.yaml``.

The YAML says *what* a region pays (base rates, level coefficients, outlier multiples, DIP budget,
bed-day rates, capitation bands); :mod:`hospeval.payment.drg`, :mod:`~hospeval.payment.dip` and
:mod:`~hospeval.payment.capitation` compile a spec to Ibis. Every malformed entry raises
:class:`~hospeval.errors.SchemaError` naming the file and the field.

Examples
--------
>>> from hospeval.payment.spec import load_rules
>>> rules = load_rules("demo/2024")
>>> rules.drg.level_coefficient["3"]
1.0
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir

METHODS = ("standard", "cost", "per_diem", "excess", "fixed")


@dataclass(frozen=True)
class Method:
    """How one case type is paid (支付方式).

    ``standard``: standard x ratio; ``cost``: cost x ratio, capped at ``cap_multiple`` x standard when set;
    ``per_diem``: standard x min(1, ratio x los / mean_los) (falls back to the standard without a mean LOS);
    ``excess``: standard + (cost - threshold) x ratio (high outliers); ``fixed``: ``amount``.
    """

    method: str = "standard"
    ratio: float = 1.0
    cap_multiple: float | None = None
    amount: float = 0.0


@dataclass(frozen=True)
class OutlierRule:
    """A cost outlier: cost above (high) or below (low) ``multiple`` x the group reference."""

    multiple: float
    pay: Method


@dataclass(frozen=True)
class DispositionRule:
    """Transfers and deaths (离院方式): which codes, an optional LOS condition, how paid."""

    dispositions: tuple[str, ...]
    pay: Method
    max_los_ratio: float | None = None  # only when los < max_los_ratio x mean LOS of the DRG


@dataclass(frozen=True)
class DrgRules:
    """DRG payment: standard = base rate (by fund) x level coefficient x relative weight."""

    scheme: str
    weights: str  # "drg_reference" or a CSV file beside the YAML
    base_rate: dict[str, float]  # fund -> yuan per weight 1.0
    fund_of_payer: dict[str, str]
    level_coefficient: dict[str, float]
    outlier_reference: str  # "mean_cost" (drg_reference) or "standard"
    high_outlier: OutlierRule
    low_outlier: OutlierRule
    ungroupable: Method
    transfer: DispositionRule
    death: DispositionRule
    weight_table: tuple[tuple[str, float], ...] = ()  # loaded from the CSV when ``weights`` is a file


@dataclass(frozen=True)
class DipBand:
    """A DIP case band by cost / group average cost (费用倍率)."""

    case_type: str
    points: str  # "group" | "cost_based" | "high_formula"
    ratio: float = 1.0
    review: bool = False


@dataclass(frozen=True)
class DipRules:
    """DIP (按病种分值付费): budget-neutral point value = budget / total points."""

    scheme: str
    budget_amount: float | None
    budget_share_of_cost: float | None
    level_coefficient: dict[str, float]
    hospital_coefficient: dict[str, float]
    low_max_ratio: float
    high_min_ratio: float
    extreme_min_ratio: float
    high_extra_factor: float
    extreme: DipBand
    ungroupable_ratio: float


@dataclass(frozen=True)
class BedDayCategory:
    """Long stays paid per bed-day (床日付费): departments by code prefix and a LOS threshold."""

    name: str
    departments: tuple[str, ...]
    min_los: int
    daily_rate: dict[str, float]  # hospital level -> yuan per day
    max_days: int | None = None


@dataclass(frozen=True)
class CapitationBand:
    """Overspend band: the fund shares ``fund_share`` of the overspend between the bounds (ratios of budget)."""

    upto: float | None
    fund_share: float


@dataclass(frozen=True)
class CapitationRules:
    """Per-capita budget of a close medical consortium (紧密型医联体/医共体 总额付费)."""

    per_capita: float
    population: dict[str, int]
    default_population: int
    actual: str  # "cost" or "payment"
    surplus_retained: float
    bands: tuple[CapitationBand, ...]
    admission_rate: float | None = None  # estimate residents as distinct inpatients / rate when not listed


@dataclass(frozen=True)
class PaymentRules:
    """One region's payment rules for one year."""

    id: str
    region: str
    year: int
    label_zh: str
    source: str
    payers: tuple[str, ...]  # insured payer codes; empty = every stay
    drg: DrgRules | None
    dip: DipRules | None
    bed_day: tuple[BedDayCategory, ...]
    capitation: CapitationRules | None
    path: str = field(default="", compare=False)

    def replace(self, **changes: Any) -> PaymentRules:
        """Copy with top-level fields changed (what-if scenarios)."""
        return dataclasses.replace(self, **changes)


# -- loading -----------------------------------------------------------------------------------------


class _Reader:
    """Typed access to one YAML mapping, raising :class:`SchemaError` with file and field."""

    def __init__(self, doc: Any, file: str, prefix: str = "") -> None:
        if not isinstance(doc, dict):
            raise SchemaError("expected a mapping", file=file, field=prefix or None)
        self.doc, self.file, self.prefix = doc, file, prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, message: str) -> SchemaError:
        return SchemaError(message, file=self.file, field=self._name(key))

    def sub(self, key: str, required: bool = True) -> _Reader | None:
        if key not in self.doc or self.doc[key] is None:
            if required:
                raise self.fail(key, "missing section")
            return None
        return _Reader(self.doc[key], self.file, self._name(key))

    def num(self, key: str, default: float | None = None, *, minimum: float = 0.0) -> float | None:
        value = self.doc.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be >= {minimum}, got {value}")
        return float(value)

    def req_num(self, key: str, *, minimum: float = 0.0) -> float:
        value = self.num(key, minimum=minimum)
        if value is None:
            raise self.fail(key, "missing number")
        return value

    def text(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.doc.get(key, default)
        if value is None:
            raise self.fail(key, "missing value")
        value = str(value)
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def num_map(self, key: str, default: dict[str, float] | None = None) -> dict[str, float]:
        raw = self.doc.get(key, default)
        if raw is None:
            raise self.fail(key, "missing mapping")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return {"default": float(raw)}
        reader = _Reader(raw, self.file, self._name(key))
        return {str(k): reader.req_num(k) for k in raw}

    def codes(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        raw = self.doc.get(key, list(default))
        if not isinstance(raw, list):
            raise self.fail(key, "expected a list of codes")
        return tuple(str(v) for v in raw)


def _method(r: _Reader | None, default: str = "standard") -> Method:
    if r is None:
        return Method(method=default)
    return Method(
        method=r.text("method", default, METHODS),
        ratio=r.num("ratio", 1.0),
        cap_multiple=r.num("cap_multiple"),
        amount=r.num("amount", 0.0),
    )


def _disposition(r: _Reader, default_codes: tuple[str, ...]) -> DispositionRule:
    return DispositionRule(dispositions=r.codes("dispositions", default_codes), pay=_method(r.sub("pay")),
                           max_los_ratio=r.num("max_los_ratio"))


def _read_weights(path: Path) -> tuple[tuple[str, float], ...]:
    try:
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise SchemaError("weights file not found", file=str(path)) from exc
    out = []
    for i, row in enumerate(rows, start=1):
        try:
            out.append((row["drg"].strip(), float(row["relative_weight"])))
        except (KeyError, ValueError, AttributeError) as exc:
            raise SchemaError("bad weight row (need drg, relative_weight)", file=str(path), row=i) from exc
    return tuple(out)


def _drg(r: _Reader, folder: Path) -> DrgRules:
    weights = r.text("weights", "drg_reference")
    table: tuple[tuple[str, float], ...] = ()
    if weights != "drg_reference":
        table = _read_weights(folder / weights)
    high, low = r.sub("high_outlier"), r.sub("low_outlier")
    return DrgRules(
        scheme=r.text("scheme"),
        weights=weights,
        base_rate=r.num_map("base_rate"),
        fund_of_payer={str(k): str(v) for k, v in (r.doc.get("fund_of_payer") or {}).items()},
        level_coefficient=r.num_map("level_coefficient", {"default": 1.0}),
        outlier_reference=r.text("outlier_reference", "mean_cost", ("mean_cost", "standard")),
        high_outlier=OutlierRule(multiple=high.req_num("multiple"), pay=_method(high.sub("pay"), "excess")),
        low_outlier=OutlierRule(multiple=low.req_num("multiple"), pay=_method(low.sub("pay"), "cost")),
        ungroupable=_method(r.sub("ungroupable"), "cost"),
        transfer=_disposition(r.sub("transfer"), ("2", "3")),
        death=_disposition(r.sub("death"), ("5",)),
        weight_table=table,
    )


def _dip(r: _Reader) -> DipRules:
    budget = r.sub("budget")
    amount, share = budget.num("amount"), budget.num("share_of_cost")
    if (amount is None) == (share is None):
        raise budget.fail("amount", "give exactly one of amount or share_of_cost")
    ext = r.sub("extreme", required=False)
    extreme = DipBand(
        case_type="extreme_outlier",
        points=ext.text("points", "high_formula", ("group", "cost_based", "high_formula")) if ext else "high_formula",
        ratio=(ext.num("ratio", 1.0) if ext else 1.0) or 0.0,
        review=bool(ext.doc.get("review", True)) if ext else True,
    )
    low, high = r.req_num("low_max_ratio"), r.req_num("high_min_ratio")
    top = r.req_num("extreme_min_ratio")
    if not low < high <= top:
        raise r.fail("high_min_ratio", "need low_max_ratio < high_min_ratio <= extreme_min_ratio")
    return DipRules(
        scheme=r.text("scheme"), budget_amount=amount, budget_share_of_cost=share,
        level_coefficient=r.num_map("level_coefficient", {"default": 1.0}),
        hospital_coefficient=r.num_map("hospital_coefficient", {}),
        low_max_ratio=low, high_min_ratio=high, extreme_min_ratio=top,
        high_extra_factor=r.num("high_extra_factor", 1.0) or 0.0, extreme=extreme,
        ungroupable_ratio=r.num("ungroupable_ratio", 1.0) or 0.0,
    )


def _bed_day(raw: Any, file: str) -> tuple[BedDayCategory, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SchemaError("expected a list of categories", file=file, field="bed_day")
    out = []
    for i, item in enumerate(raw):
        r = _Reader(item, file, f"bed_day[{i}]")
        out.append(BedDayCategory(
            name=r.text("name"), departments=r.codes("departments"), min_los=int(r.req_num("min_los")),
            daily_rate=r.num_map("daily_rate"), max_days=int(r.num("max_days")) if r.num("max_days") else None,
        ))
        if not out[-1].departments:
            raise r.fail("departments", "list at least one department code")
    return tuple(out)


def _capitation(r: _Reader | None) -> CapitationRules | None:
    if r is None:
        return None
    bands_raw = r.doc.get("bands") or []
    bands = []
    for i, b in enumerate(bands_raw):
        br = _Reader(b, r.file, f"{r.prefix}.bands[{i}]")
        bands.append(CapitationBand(upto=br.num("upto"), fund_share=br.req_num("fund_share")))
    bounds = [b.upto for b in bands if b.upto is not None]
    if bounds != sorted(bounds) or any(b.upto is None for b in bands[:-1]):
        raise r.fail("bands", "bands must ascend by upto; only the last may be open (upto: null)")
    return CapitationRules(
        per_capita=r.req_num("per_capita"),
        population={str(k): int(v) for k, v in (r.doc.get("population") or {}).items()},
        default_population=int(r.num("default_population", 0) or 0),
        admission_rate=r.num("admission_rate"),
        actual=r.text("actual", "cost", ("cost", "payment")),
        surplus_retained=r.num("surplus_retained", 1.0) or 0.0,
        bands=tuple(bands),
    )


def rules_path(name: str | Path) -> Path:
    """Resolve ``demo/2024``, ``demo/2024.yaml`` or a path to a rules file."""
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_suffix(".yaml")
    if not path.is_file():
        path = data_dir("payment_rules") / path
    if not path.is_file():
        raise SchemaError(f"no payment rules {name!r} (see payment_rules/)", file=str(path))
    return path


def load_rules(name: str | Path) -> PaymentRules:
    """Load and validate one rules file into a :class:`PaymentRules`."""
    path = rules_path(name)
    file = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"invalid YAML: {exc}", file=file) from exc
    r = _Reader(doc, file)
    drg_r, dip_r = r.sub("drg", required=False), r.sub("dip", required=False)
    if drg_r is None and dip_r is None:
        raise r.fail("drg", "a rules file needs a drg or a dip section")
    return PaymentRules(
        id=r.text("id"), region=r.text("region"), year=int(r.req_num("year")),
        label_zh=r.text("label_zh", ""), source=r.text("source", ""),
        payers=r.codes("payers"),
        drg=_drg(drg_r, path.parent) if drg_r else None,
        dip=_dip(dip_r) if dip_r else None,
        bed_day=_bed_day(doc.get("bed_day"), file),
        capitation=_capitation(r.sub("capitation", required=False)),
        path=file,
    )


def available_rules() -> list[str]:
    """Names (``region/year``) of the rules files shipped in ``payment_rules/``."""
    root = data_dir("payment_rules")
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.glob("*/*.yaml"))
