"""Declarations of DIP (按病种分值付费): the derivation policy and the catalogue (目录库) as data.

A DIP scheme is a folder ``schemes/dip-<name>/`` with

- ``scheme.yaml``: name, version (reference year), reference population, the derivation policy, the
  score formula and its source, and summary figures;
- ``catalogue.csv``: one row per DIP group — ``dip_group, dip_kind (core / comprehensive), dip_name,
  diagnosis, procedures, treatment, n_stays, mean_cost, points``;
- ``README.md``: what the folder is and where it comes from.

Examples
--------
>>> from hospeval.group.dip_spec import load_dip_policy
>>> policy = load_dip_policy()
>>> policy.core_min_stays, policy.diagnosis_chars
(15, 4)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

from hospeval.errors import SchemaError
from hospeval.paths import data_dir
from hospeval.reference.spec import (
    PERCENTILE_POLICIES,
    POLICY_DIR,
    TrimPolicy,
    _choice,
    _number,
    parse_trim,
    read_yaml,
)

# Treatment kinds of comprehensive groups, ranked: a stay takes its highest-ranked procedure kind.
TREATMENTS = ("conservative", "diagnostic", "therapeutic", "surgical")
TREATMENT_LABELS = {
    "conservative": "保守治疗组", "diagnostic": "诊断性操作组", "therapeutic": "治疗性操作组",
    "surgical": "相关手术组",
}
SCORE_SOURCE = "国家医疗保障按病种分值付费(DIP)技术规范, 医保办发〔2020〕50号: RW_i = m_i / M × 1000"
CATALOGUE_COLUMNS = ("dip_group", "dip_kind", "dip_name", "diagnosis", "procedures", "treatment",
                     "n_stays", "mean_cost", "points")


@dataclass(frozen=True)
class KindRule:
    """Fallback treatment kind for procedure codes whose leading digits lie in [low, high] (as text)."""

    low: str
    high: str
    kind: str


@dataclass(frozen=True)
class DipPolicy:
    """How a DIP catalogue is derived and how stays are keyed (see ``policies/dip.yaml``)."""

    cost_column: str = "cost_total"
    core_min_stays: int = 15
    core_min_share: float | None = None
    diagnosis_chars: int = 4
    procedure_code_chars: int | None = None
    trim: TrimPolicy = field(default_factory=lambda: TrimPolicy(method="none"))
    percentiles: str = "exact"
    procedure_kind_map: tuple[tuple[str, str], ...] = (
        ("1", "surgical"), ("2", "diagnostic"), ("3", "therapeutic"), ("4", "surgical"),
    )
    procedure_kind_rules: tuple[KindRule, ...] = (
        KindRule("00", "86", "surgical"), KindRule("87", "91", "diagnostic"),
        KindRule("92", "99", "therapeutic"),
    )
    source: str = "built-in"

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as written into ``scheme.yaml`` (same keys as ``policies/dip.yaml``)."""
        raw = asdict(self)
        raw.pop("source")
        raw["procedure_kind_map"] = dict(self.procedure_kind_map)
        raw["procedure_kind_rules"] = [{"from": r.low, "to": r.high, "kind": r.kind}
                                       for r in self.procedure_kind_rules]
        return raw


def parse_dip_policy(raw: dict[str, Any], *, file: str) -> DipPolicy:
    """Validate a DIP policy mapping (from ``policies/dip.yaml`` or a scheme's ``policy`` block)."""
    chars = raw.get("procedure_code_chars")
    kind_map = raw.get("procedure_kind_map") or dict(DipPolicy.procedure_kind_map)
    rules = raw.get("procedure_kind_rules")
    if rules is None:
        parsed_rules = DipPolicy.procedure_kind_rules
    else:
        parsed_rules = tuple(_parse_rule(rule, i, file) for i, rule in enumerate(rules))
    for code, kind in kind_map.items():
        _choice(kind, TREATMENTS[1:], file=file, name=f"procedure_kind_map.{code}")
    diagnosis_chars = int(_number(raw.get("diagnosis_chars", 4), file=file, name="diagnosis_chars",
                                  low=3, high=4))
    return DipPolicy(
        cost_column=str(raw.get("cost_column", "cost_total")),
        core_min_stays=int(_number(raw.get("core_min_stays", 15), file=file, name="core_min_stays", low=1)),
        core_min_share=None if raw.get("core_min_share") is None else _number(
            raw["core_min_share"], file=file, name="core_min_share", low=0.0, high=1.0),
        diagnosis_chars=diagnosis_chars,
        procedure_code_chars=None if chars is None else int(
            _number(chars, file=file, name="procedure_code_chars", low=2)),
        trim=parse_trim(raw.get("trim") or {"method": "none"}, file=file),
        percentiles=_choice(raw.get("percentiles", "exact"), PERCENTILE_POLICIES, file=file,
                            name="percentiles"),
        procedure_kind_map=tuple((str(k), str(v)) for k, v in kind_map.items()),
        procedure_kind_rules=parsed_rules,
        source=file,
    )


def _parse_rule(rule: Any, index: int, file: str) -> KindRule:
    name = f"procedure_kind_rules[{index}]"
    if not isinstance(rule, dict) or not {"from", "to", "kind"} <= set(rule):
        raise SchemaError("each rule needs from, to and kind", file=file, field=name)
    low, high = str(rule["from"]), str(rule["to"])
    if len(low) != len(high) or not (low.isdigit() and high.isdigit()) or low > high:
        raise SchemaError(f"bad digit range {low!r}..{high!r}", file=file, field=name)
    return KindRule(low, high, _choice(rule["kind"], TREATMENTS[1:], file=file, name=f"{name}.kind"))


def load_dip_policy(path: str | Path | None = None) -> DipPolicy:
    """Load a DIP derivation policy (default: ``hospeval/reference/policies/dip.yaml``)."""
    path = Path(path) if path else POLICY_DIR / "dip.yaml"
    return parse_dip_policy(read_yaml(path), file=str(path))


@dataclass(frozen=True)
class DipCatalogue:
    """A derived DIP catalogue: the groups (Arrow, :data:`CATALOGUE_COLUMNS`) and how they were made."""

    scheme: str
    version: str
    policy: DipPolicy
    groups: pa.Table
    population: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def folder_name(self) -> str:
        """Folder name under ``schemes/`` (the scheme name, ``dip-<name>``)."""
        return self.scheme


def scheme_name(name: str) -> str:
    """``demo`` or ``dip-demo`` -> ``dip-demo``."""
    return name if name.startswith("dip-") else f"dip-{name}"


def scheme_folder(scheme: str, folder: str | Path | None = None) -> Path:
    """Folder of a DIP scheme: ``folder`` when given, else ``schemes/<scheme>``."""
    return Path(folder) if folder else data_dir("schemes") / scheme_name(scheme)


def write_catalogue(catalogue: DipCatalogue, folder: str | Path) -> list[Path]:
    """Write ``scheme.yaml``, ``catalogue.csv`` and ``README.md`` into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "scheme": catalogue.scheme,
        "kind": "dip",
        "label_zh": "按病种分值付费目录库（由参考年度数据推导）",
        "version": catalogue.version,
        "reference_population": catalogue.population,
        "score_formula": "points = mean cost of the group / mean cost of all reference cases × 1000",
        "score_source": SCORE_SOURCE,
        "figures": catalogue.figures,
        "policy": catalogue.policy.to_dict(),
    }
    paths = [folder / "scheme.yaml", folder / "catalogue.csv", folder / "README.md"]
    paths[0].write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    pacsv.write_csv(catalogue.groups.select(list(CATALOGUE_COLUMNS)), paths[1])
    paths[2].write_text(_readme(catalogue), encoding="utf-8")
    return paths


def _readme(catalogue: DipCatalogue) -> str:
    return (
        f"# {catalogue.scheme}: DIP catalogue (按病种分值付费目录库), version {catalogue.version}\n\n"
        "Derived by `hospeval dip build` from the reference population "
        f"`{catalogue.population}`; the derivation policy is in `scheme.yaml`.\n\n"
        "Method: 国家医疗保障按病种分值付费(DIP)技术规范 (医保办发〔2020〕50号) — principal diagnosis at "
        "category level × the set of procedure codes; combinations with at least `core_min_stays` cases "
        "are core groups (核心病种), the rest comprehensive groups (综合病种) by diagnosis category × "
        "treatment kind. Score (分值) = group mean cost / mean cost of all cases × 1000.\n\n"
        "The figures are computed from the warehouse it was built on; they are not published values.\n"
    )


def read_catalogue(scheme: str, folder: str | Path | None = None) -> DipCatalogue:
    """Read a DIP scheme folder back (raises :class:`SchemaError` naming the file and field)."""
    folder = scheme_folder(scheme, folder)
    meta_path, csv_path = folder / "scheme.yaml", folder / "catalogue.csv"
    if not meta_path.exists():
        raise SchemaError(f"no DIP scheme {scheme!r}: run `hospeval dip build` first", file=str(meta_path))
    meta = read_yaml(meta_path)
    for key in ("scheme", "version", "policy"):
        if key not in meta:
            raise SchemaError("missing key", file=str(meta_path), field=key)
    policy = parse_dip_policy(meta["policy"] or {}, file=str(meta_path))
    types = {c: pa.string() for c in CATALOGUE_COLUMNS[:6]}
    types.update(n_stays=pa.int64(), mean_cost=pa.float64(), points=pa.float64())
    try:
        groups = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=False, include_columns=list(CATALOGUE_COLUMNS)))
    except (FileNotFoundError, pa.ArrowInvalid, KeyError) as exc:
        raise SchemaError(f"cannot read the catalogue: {exc}", file=str(csv_path)) from exc
    return DipCatalogue(scheme=str(meta["scheme"]), version=str(meta["version"]), policy=policy,
                        groups=groups, population=str(meta.get("reference_population", "")),
                        figures=dict(meta.get("figures") or {}))
