"""Generate a realistic, deterministic demo province into the warehouse (示范省 demo data).

:func:`generate_province` writes the five canonical tables (``hospitals``, ``stays``, ``stay_diagnoses``,
``stay_procedures``, ``hospital_facts``) and returns a :class:`ProvinceTruth` naming what was built in.

What the province looks like
----------------------------
- Hospitals of every level and category in urban districts (区) and counties (县) of one city: tertiary
  general, TCM and specialty hospitals (eye, orthopaedic, cardiovascular, oncology, chest), maternal and
  child health hospitals, secondary general and TCM hospitals, community health centres / township health
  centres (level '1', category 'community'). One medical consortium per district: an urban medical group
  (``UMGnn``, led by a tertiary general hospital) or a county medical community (``CMCnn``, led by the
  county people's hospital), with the district's secondary and primary institutions as members. About 40
  hospitals for 20 000 stays, 150 for 1 M, 400 for 20 M (``hospitals=`` overrides).
- Stays carry real ICD-10 / ICD-9-CM-3 (medical-insurance 2.0) code combinations from the CHS-DRG 1.1
  golden sample (``demo_data/case_templates.csv``); the sample's ADRG drives the case's kind, LOS, cost,
  death risk and surgery level (see :mod:`hospeval.demo.templates`). Tertiary hospitals treat more surgical,
  complex and MCC cases, community centres simple medical cases of the elderly, specialty and
  maternal-child hospitals their own MDCs.
- Costs are split over the national cost categories and add up to ``cost_total`` to the cent; sub-items
  never exceed their parent, except where an error was planted.

Built-in differences (the truth the evaluation must find)
---------------------------------------------------------
- ``inefficient_hospital``: a secondary general hospital whose LOS and cost are 25 % above its peers'
  (other secondary general hospitals) for the same conditions (``INEFFICIENCY``).
- ``low_risk_death_hospital``: a secondary general hospital where about 3 % of stays in low-risk conditions
  (templates in the lowest 35 % of death risk) end in death, against about 0.02 % elsewhere.
- ``poor_quality_hospital``: a secondary general hospital with front-page errors on ~10 % of its stays, of
  every kind; the others err on 0.3-2 % of stays, each of 3-5 kinds (``ProvinceTruth.error_kinds``). Every
  planted error is listed in the ``demo_planted_errors`` table (stay_id, hospital_id, kind, table_name,
  field) and counted in ``ProvinceTruth.planted_errors``.
- ``day_surgery_leader``: a tertiary general hospital doing 85 % of eligible operations as day surgery.

Examples
--------
>>> from hospeval.warehouse import Warehouse
>>> from hospeval.demo.generator import generate_province
>>> with Warehouse(":memory:") as wh:
...     truth = generate_province(wh, stays=2000, seed=7)
...     wh.count("stays"), len(truth.hospitals), truth.hospital(truth.inefficient_hospital).peer_group
(2000, 19, '2-general')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from hospeval.demo import facts as facts_mod
from hospeval.demo import tables
from hospeval.demo.planted import plant_errors
from hospeval.demo.roster import (
    CITY,
    DAY_SURGERY_LEADER_RATE,
    ERROR_KINDS,
    INEFFICIENCY,
    LOW_RISK_DEATH_FACTOR,
    PROVINCE,
    Consortium,
    Hospital,
    build_roster,
    default_hospital_count,
)
from hospeval.demo.rows import diagnosis_rows, procedure_rows
from hospeval.demo.stays import draw_batch
from hospeval.demo.world import World, build_world
from hospeval.errors import HospevalError
from hospeval.model import TABLES, table_spec
from hospeval.paths import data_dir
from hospeval.warehouse import Warehouse

PLANTED_ERRORS_TABLE = "demo_planted_errors"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ProvinceTruth:
    """What the generator built in, for tests and for checking that the evaluation finds it."""

    seed: int
    year: int
    stays: int
    hospitals: tuple[Hospital, ...]
    consortia: tuple[Consortium, ...]
    inefficient_hospital: str
    inefficiency_factor: float
    low_risk_death_hospital: str
    low_risk_death_factor: float
    poor_quality_hospital: str
    day_surgery_leader: str
    day_surgery_leader_rate: float
    error_rates: dict[str, float]
    error_kinds: dict[str, tuple[str, ...]]
    planted_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    planted_errors_table: str | None = PLANTED_ERRORS_TABLE

    def hospital(self, hospital_id: str) -> Hospital:
        """Return the roster entry of one hospital."""
        return next(h for h in self.hospitals if h.hospital_id == hospital_id)

    def peers(self, hospital_id: str) -> list[str]:
        """Other hospitals of the same level and category."""
        group = self.hospital(hospital_id).peer_group
        return [h.hospital_id for h in self.hospitals if h.peer_group == group and h.hospital_id != hospital_id]

    def planted_error_count(self, hospital_id: str | None = None, kind: str | None = None) -> int:
        """Count planted errors, optionally of one hospital and / or one kind."""
        return sum(n for h, kinds in self.planted_errors.items() if hospital_id in (None, h)
                   for k, n in kinds.items() if kind in (None, k))

    def as_dict(self) -> dict[str, object]:
        """Return the truth as plain JSON-serialisable data (e.g. to write ``demo_truth.json``)."""
        return {
            "seed": self.seed, "year": self.year, "stays": self.stays,
            "hospitals": [{"hospital_id": h.hospital_id, "name": h.name, "level": h.level, "category": h.category,
                           "specialty": h.specialty, "district": h.district, "consortium_id": h.consortium_id,
                           "consortium_role": h.consortium_role, "peer_group": h.peer_group, "tags": list(h.tags),
                           "los_factor": round(h.los_factor, 4), "cost_factor": round(h.cost_factor, 4),
                           "day_surgery_rate": round(h.day_surgery_rate, 4), "error_rate": h.error_rate,
                           "error_kinds": list(h.error_kinds)} for h in self.hospitals],
            "consortia": [{"consortium_id": c.consortium_id, "kind": c.kind, "district": c.district, "lead": c.lead,
                           "members": list(c.members)} for c in self.consortia],
            "inefficient_hospital": self.inefficient_hospital, "inefficiency_factor": self.inefficiency_factor,
            "low_risk_death_hospital": self.low_risk_death_hospital,
            "low_risk_death_factor": self.low_risk_death_factor,
            "poor_quality_hospital": self.poor_quality_hospital, "day_surgery_leader": self.day_surgery_leader,
            "day_surgery_leader_rate": self.day_surgery_leader_rate, "planted_errors": self.planted_errors,
            "planted_errors_table": self.planted_errors_table,
        }

    def summary_lines(self) -> list[str]:
        """Human-readable lines describing the province and its built-in differences."""
        levels = {lvl: sum(h.level == lvl for h in self.hospitals) for lvl in ("3", "2", "1")}
        name = lambda hid: f"{hid} {self.hospital(hid).name}"  # noqa: E731
        return [
            f"{self.stays:,} stays discharged in {self.year} (seed {self.seed})",
            f"{len(self.hospitals)} hospitals: {levels['3']} tertiary, {levels['2']} secondary, "
            f"{levels['1']} community / township; {len(self.consortia)} medical consortia",
            f"less efficient (LOS and cost x{self.inefficiency_factor:g}): {name(self.inefficient_hospital)}",
            f"excess deaths in low-risk conditions: {name(self.low_risk_death_hospital)}",
            f"front-page errors on ~10% of stays: {name(self.poor_quality_hospital)}",
            f"day-surgery leader ({self.day_surgery_leader_rate:.0%} of eligible): {name(self.day_surgery_leader)}",
            f"{self.planted_error_count():,} planted front-page errors"
            + (f" (table {self.planted_errors_table})" if self.planted_errors_table else ""),
        ]


def _check_empty(warehouse: Warehouse, replace: bool) -> None:
    warehouse.ensure_schema()
    filled = [t for t in TABLES if warehouse.count(t)]
    if filled and not replace:
        raise HospevalError(f"the warehouse already holds data in {', '.join(filled)}; "
                            "generate the demo into an empty warehouse or pass replace=True",
                            file=warehouse.path)
    for name in filled:
        warehouse.con.execute(f'DELETE FROM "{name}"')


def _insert(warehouse: Warehouse, name: str, data: pa.Table) -> None:
    warehouse.con.register("__demo_batch", data)
    try:
        warehouse.con.execute(f'INSERT INTO "{name}" SELECT * FROM __demo_batch')
    finally:
        warehouse.con.unregister("__demo_batch")


def generate_province(warehouse: Warehouse, *, stays: int, seed: int = 42, year: int = 2024,
                      hospitals: int | None = None, batch_size: int = 200_000, progress: Progress | None = None,
                      replace: bool = False, planted_errors_table: str | None = PLANTED_ERRORS_TABLE) -> ProvinceTruth:
    """Write a demo province of ``stays`` stays into ``warehouse`` and return its truth.

    Parameters
    ----------
    warehouse : Warehouse
        The target; its canonical tables must be empty unless ``replace`` is True.
    stays : int
        Number of stays (all discharged in ``year``).
    seed : int
        The same seed, size and batch size give identical tables.
    year : int
        Discharge year; ``hospital_facts`` also holds the year before.
    hospitals : int, optional
        Number of hospitals (default grows with ``stays``, at least 14).
    batch_size : int
        Stays drawn and inserted at a time (memory is proportional to it).
    progress : callable, optional
        Called as ``progress(stays_done, stays_total)`` after each batch.
    replace : bool
        Delete what the canonical tables hold first.
    planted_errors_table : str, optional
        Name of the table listing every planted error (None: do not write it).

    Returns
    -------
    ProvinceTruth
        The roster, consortia and built-in differences.

    Notes
    -----
    Batches are committed one by one, so memory stays flat up to 20 M stays (about 0.8 GB at 200 000
    per batch). For an all-or-nothing run of a small province wrap the call in ``warehouse.transaction()``;
    DuckDB then holds the uncommitted rows, about 1 GB per million stays.
    """
    if stays < 1 or batch_size < 1:
        raise HospevalError("stays and batch_size must be positive numbers")
    _check_empty(warehouse, replace)
    bar = warehouse.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    warehouse.con.execute("SET enable_progress_bar = false")  # the caller's progress callback reports
    try:
        return _generate(warehouse, stays, seed, year, hospitals, batch_size, progress, planted_errors_table)
    finally:
        warehouse.con.execute(f"SET enable_progress_bar = {str(bool(bar)).lower()}")


def _generate(warehouse: Warehouse, stays: int, seed: int, year: int, hospitals: int | None, batch_size: int,
              progress: Progress | None, planted_errors_table: str | None) -> ProvinceTruth:
    n_hospitals = hospitals or default_hospital_count(stays)
    roster_rng = np.random.default_rng([seed, 0])
    roster, consortia = build_roster(n_hospitals, roster_rng)
    world = build_world(seed, year, roster, consortia, roster_rng, stays)
    if planted_errors_table:
        warehouse.con.execute(f'CREATE OR REPLACE TABLE "{planted_errors_table}" (stay_id VARCHAR, '
                              "hospital_id VARCHAR, kind VARCHAR, table_name VARCHAR, field VARCHAR)")
    totals = facts_mod.StayTotals(world.n_hospitals)
    counts = np.zeros((world.n_hospitals, len(ERROR_KINDS)), np.int64)
    pool = max(1, stays // 20_000)
    for number, start in enumerate(range(0, stays, batch_size)):
        n = min(batch_size, stays - start)
        _write_batch(warehouse, world, start, n, np.random.default_rng([seed, 1, number]), totals, counts, pool,
                     planted_errors_table)
        if progress:
            progress(start + n, stays)
    _name_codes(warehouse)
    facts, beds = facts_mod.facts_table(world, totals, np.random.default_rng([seed, 2]))
    _insert(warehouse, "hospitals", _hospitals_table(roster, beds))
    _insert(warehouse, "hospital_facts", facts)
    return _truth(world, stays, counts, planted_errors_table)


def _name_codes(warehouse: Warehouse, scheme: str = "chs-drg-1.1") -> None:
    """Fill diagnosis and procedure names from the scheme's dictionaries, as a coding system would."""
    folder = data_dir("schemes") / scheme
    for table, dictionary in (("stay_diagnoses", "icd10.csv"), ("stay_procedures", "icd9cm3.csv")):
        path = folder / dictionary
        if path.exists():
            warehouse.con.execute(
                f"UPDATE {table} t SET name = d.name FROM read_csv(?, header=true, all_varchar=true) d "
                f"WHERE split_part(t.code, '+', 1) = d.code", [str(path)])


def _write_batch(warehouse: Warehouse, world: World, start: int, n: int, rng: np.random.Generator,
                 totals: facts_mod.StayTotals, counts: np.ndarray, pool: int, errors_table: str | None) -> None:
    b = draw_batch(world, start, n, rng)
    dx = diagnosis_rows(world, b, rng)
    px = procedure_rows(world, b, rng)
    totals.add(world, b, px)
    tables.init_validity(b)
    error_stays, error_kinds = plant_errors(world, b, dx, px, rng)
    np.add.at(counts, (b.hospital[error_stays], error_kinds), 1)
    ids = tables.stay_ids(world, b)
    _insert(warehouse, "stays", tables.stays_table(world, b, ids, pool, rng))
    _insert(warehouse, "stay_diagnoses", tables.diagnoses_table(world, ids, dx))
    _insert(warehouse, "stay_procedures", tables.procedures_table(world, ids, px))
    if errors_table:
        _insert(warehouse, errors_table, tables.planted_errors_table(world, b, ids, error_stays, error_kinds))


def _hospitals_table(roster: list[Hospital], beds: np.ndarray) -> pa.Table:
    schema = table_spec("hospitals").arrow_schema()
    rows = {
        "hospital_id": [h.hospital_id for h in roster], "name": [h.name for h in roster],
        "level": [h.level for h in roster], "category": [h.category for h in roster],
        "district": [h.district for h in roster], "city": [CITY] * len(roster), "province": [PROVINCE] * len(roster),
        "consortium_id": [h.consortium_id for h in roster], "consortium_role": [h.consortium_role for h in roster],
        "beds": beds.tolist(),
    }
    return pa.table([pa.array(rows[f.name], f.type) for f in schema], schema=schema)


def _truth(world: World, stays: int, counts: np.ndarray, errors_table: str | None) -> ProvinceTruth:
    roster = world.hospitals
    tagged = {tag: h.hospital_id for h in roster for tag in h.tags}
    planted = {h.hospital_id: {k: int(counts[i, j]) for j, k in enumerate(ERROR_KINDS) if counts[i, j]}
               for i, h in enumerate(roster)}
    return ProvinceTruth(
        seed=world.seed, year=world.year, stays=stays, hospitals=tuple(roster), consortia=tuple(world.consortia),
        inefficient_hospital=tagged["inefficient"], inefficiency_factor=INEFFICIENCY,
        low_risk_death_hospital=tagged["low_risk_deaths"], low_risk_death_factor=LOW_RISK_DEATH_FACTOR,
        poor_quality_hospital=tagged["poor_front_page_quality"], day_surgery_leader=tagged["day_surgery_leader"],
        day_surgery_leader_rate=DAY_SURGERY_LEADER_RATE,
        error_rates={h.hospital_id: h.error_rate for h in roster},
        error_kinds={h.hospital_id: h.error_kinds for h in roster},
        planted_errors={k: v for k, v in planted.items() if v}, planted_errors_table=errors_table,
    )
