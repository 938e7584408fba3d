"""Header profiles: how the columns of an import layout map to the canonical tables (``profiles/``).

Examples
--------
>>> p = load_profile("n041")
>>> p.target, p.columns[normalise_header("ZFY")]
('stays', 'cost_total')
>>> normalise_header("实际住院（天）")
'实际住院天'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import yaml

from hospeval.errors import InputFileError, SchemaError
from hospeval.model import table_spec
from hospeval.paths import data_dir

_STRIP = re.compile(r"[\s()（）\[\]【】_/、\-.·:：\ufeff]")


def normalise_header(header: str) -> str:
    """Normalise a header for matching: no spaces, brackets or separators; ASCII upper-cased."""
    return _STRIP.sub("", str(header)).upper()


@dataclass(frozen=True)
class SlotGroup:
    """Wide columns that become rows of a long table: ``{field: header pattern}`` for n in a range."""

    fields: dict[str, str]
    seq: int | None = None          # a single slot with a fixed seq (e.g. the principal diagnosis)
    start: int = 1
    stop: int = 0
    seq_offset: int = 0

    def slots(self) -> list[tuple[int, dict[str, str]]]:
        """Return ``(seq, {field: header})`` for every slot of the group."""
        if self.seq is not None:
            return [(self.seq, dict(self.fields))]
        return [(n + self.seq_offset, {f: p.format(n=n) for f, p in self.fields.items()})
                for n in range(self.start, self.stop + 1)]


@dataclass(frozen=True)
class Profile:
    """One import layout."""

    name: str
    label_zh: str
    target: str
    columns: dict[str, str]                       # normalised header -> canonical column
    identifiers: dict[str, tuple[str, ...]]       # identifier kind -> normalised headers
    drop: frozenset[str]
    diagnoses: tuple[SlotGroup, ...] = ()
    procedures: tuple[SlotGroup, ...] = ()
    lists: dict[str, str] = field(default_factory=dict)     # long table -> normalised header
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)    # canonical column -> header written on export
    identifier_headers: dict[str, str] = field(default_factory=dict)  # identifier kind -> header on export

    def known_headers(self) -> set[str]:
        """Every normalised header this profile understands."""
        known = set(self.columns) | set(self.drop) | set(self.lists.values())
        known |= {h for hs in self.identifiers.values() for h in hs}
        for group in (*self.diagnoses, *self.procedures):
            for _, fields in group.slots():
                known |= {normalise_header(h) for h in fields.values()}
        return known

    def match_score(self, headers: list[str]) -> int:
        """How many of a file's (normalised) headers this profile maps to canonical data."""
        mapped = set(self.columns) | {h for hs in self.identifiers.values() for h in hs}
        mapped |= set(self.lists.values())
        for group in (*self.diagnoses, *self.procedures):
            for _, fields in group.slots():
                mapped.add(normalise_header(fields["code"]))
        return len(mapped & set(headers))


def _slot_groups(raw: list[dict] | None) -> tuple[SlotGroup, ...]:
    groups = []
    for g in raw or []:
        groups.append(SlotGroup(fields=g["fields"], seq=g.get("seq"), start=g.get("from", 1),
                                stop=g.get("to", 0), seq_offset=g.get("seq_offset", 0)))
    return tuple(groups)


@cache
def load_profile(name: str) -> Profile:
    """Load ``profiles/<name>.yaml``."""
    path = data_dir("profiles") / f"{name}.yaml"
    if not path.exists():
        raise InputFileError(f"unknown profile {name!r}; see the profiles/ folder", file=str(path))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    target = doc["target"]
    canonical = set(table_spec(target).names)
    columns = {normalise_header(k): v for k, v in (doc.get("columns") or {}).items()}
    headers: dict[str, str] = {}
    for k, v in (doc.get("columns") or {}).items():
        headers.setdefault(v, k)
    if doc.get("identity_columns"):
        columns.update({normalise_header(c): c for c in canonical})
        for c in canonical:
            headers.setdefault(c, c)
    bad = {v for v in columns.values() if v not in canonical}
    if bad:
        raise SchemaError(f"profile maps to unknown columns {sorted(bad)}", file=str(path))
    return Profile(
        name=doc["profile"], label_zh=doc.get("label_zh", ""), target=target, columns=columns,
        identifiers={k: tuple(normalise_header(h) for h in v) for k, v in (doc.get("identifiers") or {}).items()},
        drop=frozenset(normalise_header(h) for h in doc.get("drop") or []),
        diagnoses=_slot_groups(doc.get("diagnoses")), procedures=_slot_groups(doc.get("procedures")),
        lists={k: normalise_header(v) for k, v in (doc.get("lists") or {}).items()},
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in (doc.get("values") or {}).items()},
        headers=headers,
        identifier_headers={k: v[0] for k, v in (doc.get("identifiers") or {}).items()},
    )


def all_profiles() -> list[Profile]:
    """Every profile in ``profiles/``."""
    return [load_profile(p.stem) for p in sorted(data_dir("profiles").glob("*.yaml"))]


def detect_profile(headers: list[str], file: str) -> Profile:
    """Pick the profile that maps most of a file's headers; raise when none maps the key columns."""
    norm = [normalise_header(h) for h in headers]
    scored = sorted(((p.match_score(norm), p.name, p) for p in all_profiles()), reverse=True)
    best_score, _, best = scored[0]
    if best_score < 2:
        raise InputFileError(
            "no header profile matches this file's columns (first headers: "
            f"{', '.join(headers[:6])}); name one with --profile", file=file)
    return best
