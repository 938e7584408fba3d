"""The demo province's hospitals.

Levels, categories, districts, medical consortia and each hospital's behaviour (case mix, efficiency,
mortality, front-page error rate, day-surgery share).

The roster is small (tens to a few hundred hospitals), so it is built with plain Python; the per-stay
work in :mod:`hospeval.demo.stays` is vectorised and only indexes the arrays built here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospeval.demo.templates import MCC, MEDICAL, NON_OR, SURGICAL, CaseTemplates

PROVINCE, CITY = "示范省", "示范市"
URBAN_DISTRICTS = ["东城区", "西城区", "南湖区", "北山区", "新港区", "高新区", "滨江区", "龙湖区", "金山区",
                   "银河区", "翠屏区", "望江区", "凤凰区", "白鹭区", "紫荆区", "玉泉区"]
COUNTIES = ["青山县", "临河县", "白水县", "安平县", "石门县", "清源县", "永宁县", "桃源县", "平川县", "松溪县",
            "长宁县", "云台县", "柏林县", "泉水县", "丰乐县", "双河县", "宁远县", "东乡县", "西坪县", "南岭县",
            "北塘县", "秀水县", "麻城县", "杨柳县"]
_PLACE = ["东风", "和平", "新华", "长安", "建设", "胜利", "青年", "解放", "光明", "朝阳", "文化", "红旗", "团结",
          "幸福", "友谊", "前进", "黎明", "丰收", "金桥", "柳湾", "杏花", "梅岭", "桂园", "枫林"]
_NUMERALS = "一二三四五六七八九十"
SPECIALTIES = {"eye": ("眼科医院", "10"), "orthopaedic": ("骨科医院", "0403"),
               "cardiovascular": ("心血管病医院", "0304"), "oncology": ("肿瘤医院", "19"),
               "chest": ("胸科医院", "0301")}
# Which templates a specialty hospital treats (by MDC; oncology by neoplasm principal diagnosis).
_SPECIALTY_MDC = {"eye": "C", "orthopaedic": "IX", "cardiovascular": "F", "oncology": "R", "chest": "E"}
INEFFICIENCY = 1.25
LOW_RISK_DEATH_FACTOR = 8.0
HIGH_ERROR_RATE = 0.10
DAY_SURGERY_LEADER_RATE = 0.85
ERROR_KINDS = ("missing_mandatory_field", "cost_sum_mismatch", "cost_subitem_exceeds_parent",
               "missing_external_cause", "missing_admission_condition", "wrong_surgery_level",
               "procedure_date_outside_stay", "missing_receiving_institution", "missing_autopsy",
               "missing_birth_weight", "los_mismatch")
# Kinds that every stay can carry (the others need an injury, a procedure, a transfer, a death, a newborn).
GENERIC_ERROR_KINDS = ("missing_mandatory_field", "cost_sum_mismatch", "cost_subitem_exceeds_parent",
                       "missing_admission_condition", "los_mismatch")


@dataclass
class Hospital:
    """One institution of the roster and its generation parameters."""

    hospital_id: str
    name: str
    level: str
    category: str
    district: str
    specialty: str | None = None
    consortium_id: str | None = None
    consortium_role: str | None = None
    size: float = 1.0
    los_factor: float = 1.0
    cost_factor: float = 1.0
    death_factor: float = 1.0
    low_risk_death_factor: float = 1.0
    day_surgery_rate: float = 0.0
    error_rate: float = 0.005
    error_kinds: tuple[str, ...] = ()
    doctors_per_dept: int = 2  # minimum; grows with the volume (about 180 discharges per doctor)
    tags: list[str] = field(default_factory=list)

    @property
    def peer_group(self) -> str:
        """Level and category, e.g. ``2-general``."""
        return f"{self.level}-{self.category}"


@dataclass(frozen=True)
class Consortium:
    """A medical consortium: an urban medical group (城市医疗集团) or a county medical community (县域医共体)."""

    consortium_id: str
    kind: str
    district: str
    lead: str
    members: tuple[str, ...]


def default_hospital_count(stays: int) -> int:
    """About 40 hospitals for 20 000 stays, growing with the cube root of the volume (400 for 20 M)."""
    return max(14, round(40 * (stays / 20_000) ** (1 / 3)))


def _counts(n: int) -> dict[str, int]:
    c = {"tertiary_general": max(2, round(0.10 * n)), "tertiary_tcm": max(1, round(0.03 * n)),
         "specialty": max(2, round(0.05 * n)), "maternal_child": max(1, round(0.04 * n)),
         "secondary_general": max(4, round(0.22 * n)), "secondary_tcm": max(1, round(0.06 * n))}
    c["community"] = max(3, n - sum(c.values()))
    return c


def _place(i: int) -> str:
    return _PLACE[i % len(_PLACE)] + (str(i // len(_PLACE) + 1) if i >= len(_PLACE) else "")


def _ordinal(i: int) -> str:
    """Chinese numeral of ``i + 1`` (一 .. 九十九)."""
    n = i + 1
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (_NUMERALS[ones - 1] if ones else "")


def build_roster(n: int, rng: np.random.Generator) -> tuple[list[Hospital], list[Consortium]]:
    """Plan ``n`` hospitals (at least 14) over urban districts and counties, with consortia."""
    counts = _counts(n)
    n_districts = max(3, round(sum(counts.values()) / 10))
    n_urban = (n_districts + 1) // 2
    urban = [URBAN_DISTRICTS[i] if i < len(URBAN_DISTRICTS) else f"第{i + 1}区" for i in range(n_urban)]
    counties = [COUNTIES[i] if i < len(COUNTIES) else f"第{i + 1}县" for i in range(n_districts - n_urban)]
    hospitals: list[Hospital] = []

    def add(name: str, level: str, category: str, district: str, size: float, **kw: object) -> Hospital:
        h = Hospital(f"H{len(hospitals) + 1:03d}", name, level, category, district, size=size, **kw)
        hospitals.append(h)
        return h

    for i in range(counts["tertiary_general"]):
        add(f"{CITY}第{_ordinal(i)}人民医院", "3", "general", urban[i % n_urban], 10.0, doctors_per_dept=3)
    for i in range(counts["tertiary_tcm"]):
        add(f"{CITY}{'第' + _ordinal(i) if i else ''}中医医院", "3", "tcm", urban[i % n_urban], 4.0,
            doctors_per_dept=3)
    names = list(SPECIALTIES)
    for i in range(counts["specialty"]):
        kind = names[i % len(names)]
        prefix = f"{CITY}第{_ordinal(i // len(names))}" if i >= len(names) else CITY
        add(prefix + SPECIALTIES[kind][0], "3", "specialty", urban[i % n_urban], 2.5, specialty=kind,
            doctors_per_dept=4)
    for i in range(counts["maternal_child"]):
        if i == 0 or not counties:
            add(f"{CITY}{'第' + _ordinal(i) if i else ''}妇幼保健院", "3", "maternal_child", urban[0], 4.0,
                doctors_per_dept=3)
        else:
            county = counties[(i - 1) % len(counties)]
            add(f"{county}妇幼保健院", "2", "maternal_child", county, 1.5, doctors_per_dept=2)
    ordinal = {d: int(d in counties) for d in urban + counties}  # county hospital = the first
    for i in range(counts["secondary_general"]):
        if i < len(counties):
            add(f"{counties[i]}人民医院", "2", "general", counties[i], 4.0, doctors_per_dept=3)
        else:
            district = (urban + counties)[i % n_districts]
            add(f"{district}第{_ordinal(ordinal[district])}人民医院", "2", "general", district, 2.5)
            ordinal[district] += 1
    for i in range(counts["secondary_tcm"]):
        district = (counties or urban)[i % len(counties or urban)]
        add(f"{district}中医医院" if i < len(counties or urban) else f"{district}第二中医医院", "2", "tcm",
            district, 1.5)
    for i in range(counts["community"]):
        district = (urban + counties)[i % n_districts]
        name = f"{district}{_place(i)}街道社区卫生服务中心" if district in urban else f"{district}{_place(i)}镇卫生院"
        add(name, "1", "community", district, 0.35, doctors_per_dept=2)
    consortia = _consortia(hospitals, urban, counties)
    _behaviour(hospitals, rng)
    return hospitals, consortia


def _consortia(hospitals: list[Hospital], urban: list[str], counties: list[str]) -> list[Consortium]:
    """One consortium per district, led by its first tertiary (urban) or secondary (county) general hospital."""
    out = []
    for d, district in enumerate(urban + counties):
        is_urban = district in urban
        lead_level = "3" if is_urban else "2"
        leads = [h for h in hospitals if h.district == district and h.category == "general" and h.level == lead_level]
        if not leads:
            continue
        lead = leads[0]
        cid = f"{'UMG' if is_urban else 'CMC'}{d + 1:02d}"
        members = [h for h in hospitals if h.district == district and h is not lead
                   and h.level in ("1", "2") and h.category != "specialty"]
        lead.consortium_id, lead.consortium_role = cid, "lead"
        for m in members:
            m.consortium_id, m.consortium_role = cid, "member"
        out.append(Consortium(cid, "urban_medical_group" if is_urban else "county_medical_community",
                              district, lead.hospital_id, tuple(m.hospital_id for m in members)))
    return out


def _behaviour(hospitals: list[Hospital], rng: np.random.Generator) -> None:
    """Draw each hospital's efficiency, mortality, error and day-surgery parameters."""
    price = {"3": 1.15, "2": 1.0, "1": 0.7}
    day_surgery = {"general": 0.22, "specialty": 0.25, "tcm": 0.08, "maternal_child": 0.10, "community": 0.0}
    for h in hospitals:
        h.size *= float(np.exp(rng.normal(0, 0.25)))
        h.los_factor = float(np.exp(rng.normal(0, 0.06))) * (1.1 if h.category in ("tcm", "community") else 1.0)
        h.cost_factor = float(np.exp(rng.normal(0, 0.05))) * price[h.level] * (0.95 if h.category == "tcm" else 1.0)
        h.death_factor = float(np.exp(rng.normal(0, 0.15)))
        h.day_surgery_rate = day_surgery[h.category] * (1.0 if h.level == "3" else 0.5) * float(rng.uniform(0.7, 1.3))
        h.error_rate = float(rng.choice([0.003, 0.01, 0.01, 0.02]))
        kinds = set(rng.choice(ERROR_KINDS, size=int(rng.integers(3, 6)), replace=False).tolist())
        if not kinds & set(GENERIC_ERROR_KINDS):  # every stay can carry at least one of the hospital's kinds
            kinds.add(GENERIC_ERROR_KINDS[int(rng.integers(len(GENERIC_ERROR_KINDS)))])
        h.error_kinds = tuple(k for k in ERROR_KINDS if k in kinds)
    _plant(hospitals, rng)


def _plant(hospitals: list[Hospital], rng: np.random.Generator) -> None:
    """Choose the hospitals that carry the built-in differences the evaluation must find."""
    secondary = [h for h in hospitals if h.level == "2" and h.category == "general"]
    members = [h for h in secondary if h.consortium_role != "lead"] or secondary
    order = list(rng.permutation(len(members)))
    inefficient = members[order[0]]
    # Peers draw their factors around 1.0 (secondary price level); this one sits 25 % above.
    inefficient.los_factor = inefficient.cost_factor = INEFFICIENCY
    inefficient.tags.append("inefficient")
    others = [h for h in secondary if h is not inefficient]
    deaths = others[int(rng.integers(len(others)))]
    deaths.low_risk_death_factor = LOW_RISK_DEATH_FACTOR
    deaths.size *= 1.5  # enough low-risk cases for the excess to show at demo scale
    deaths.tags.append("low_risk_deaths")
    rest = [h for h in secondary if h not in (inefficient, deaths)]
    sloppy = rest[int(rng.integers(len(rest)))]
    sloppy.error_rate, sloppy.error_kinds = HIGH_ERROR_RATE, ERROR_KINDS
    sloppy.tags.append("poor_front_page_quality")
    tertiary = [h for h in hospitals if h.level == "3" and h.category == "general"]
    champion = tertiary[int(rng.integers(len(tertiary)))]
    champion.day_surgery_rate = DAY_SURGERY_LEADER_RATE
    champion.tags.append("day_surgery_leader")


def case_mix_weights(hospitals: list[Hospital], t: CaseTemplates) -> np.ndarray:
    """Matrix ``[hospital, template]`` of relative case volumes, each row summing to 1."""
    w = np.empty((len(hospitals), len(t)))
    for i, h in enumerate(hospitals):
        w[i] = t.volume * _mix_factor(h, t)
    return w / w.sum(axis=1, keepdims=True)


def _isin(values: np.ndarray, letters: str) -> np.ndarray:
    return np.isin(values, list(letters))


def _mix_factor(h: Hospital, t: CaseTemplates) -> np.ndarray:
    kind, sev, level, mdc = t.kind, t.severity, t.surgery_level, t.mdc
    f = np.ones(len(t))
    if h.level == "3":
        f *= np.select([kind == SURGICAL, kind == NON_OR], [1.5, 1.3], 0.9)
        f *= np.select([sev == MCC, sev == 1], [2.0, 1.4], 1.0) * np.where(level == 4, 2.0, 1.0)
        f *= np.where(mdc == "A", 3.0, 1.0)
    elif h.level == "2":
        f *= np.select([sev == MCC, sev == 1], [0.6, 0.9], 1.0) * np.where(level == 4, 0.3, 1.0)
        f *= np.where(mdc == "A", 0.0, 1.0)
    else:
        f *= np.select([kind == SURGICAL, kind == NON_OR], [0.02, 0.1], 1.0) * np.where(level >= 3, 0.0, 1.0)
        f *= np.select([sev == MCC, sev == 1], [0.1, 0.5], 1.0)
        f *= np.where(_isin(mdc, "BDEFGIJKLUZ"), 1.0, 0.05) * np.where(_isin(mdc, "AOP"), 0.0, 1.0)
        f *= np.where(t.age_years >= 60, 2.0, 1.0)
    if h.category == "tcm":
        f *= np.where(kind == MEDICAL, 1.3, 0.7) * np.where(_isin(mdc, "BEFI"), 1.5, 1.0)
    elif h.category == "specialty":
        own = t.neoplasm | _isin(mdc, "R") if h.specialty == "oncology" else _isin(mdc, _SPECIALTY_MDC[h.specialty])
        f *= np.where(own, 1.0, 0.002)
    elif h.category == "maternal_child":
        f *= np.select([mdc == "P", mdc == "O", mdc == "N", t.age_years < 14], [3.0, 1.0, 0.4, 0.5], 0.003)
        f *= np.where(mdc == "A", 0.0, 1.0)
    elif h.category == "general" and h.level == "2":
        f *= np.where(_isin(mdc, "OP"), 0.7, 1.0)
    return f
