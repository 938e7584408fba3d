"""The one library call behind ``hospeval check`` and the quality stage of ``hospeval demo``.

:func:`check` runs the rule catalogue, writes ``quality_findings``, ``quality_rule_results`` and
``quality_scores``, and writes one Excel workbook per hospital.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis

from hospeval.quality.engine import RuleRun, run_rules
from hospeval.quality.excel import DEFAULT_MAX_FINDINGS, workbook_name, write_workbook
from hospeval.quality.scoring import write_scores
from hospeval.quality.spec import Catalogue, ScoringSpec, load_catalogue, load_scoring
from hospeval.warehouse import Warehouse


@dataclass
class HospitalSummary:
    """One hospital's line of the check summary."""

    hospital_id: str | None
    name: str | None
    stays: int
    errors: int
    warnings: int
    score: float | None
    workbook: Path | None = None
    findings_shown: int | None = None


@dataclass
class CheckReport:
    """What :func:`check` did."""

    run: RuleRun
    hospitals: list[HospitalSummary] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def not_applicable_reasons(self) -> list[str]:
        """Distinct reasons of rules that could not run (e.g. a dictionary file absent)."""
        return sorted({r for s, r in self.run.statuses.values() if s == "not_applicable" and r})

    @property
    def errors(self) -> dict[str, str]:
        """Rules that failed to compile or run, with the reason."""
        return {rid: r or "" for rid, (s, r) in self.run.statuses.items() if s == "error"}


def summarise(wh: Warehouse) -> list[HospitalSummary]:
    """Per hospital: stays, findings by severity and the 100-point score (from the result tables)."""
    stays = wh.table("stays").group_by("hospital_id").aggregate(stays=ibis._.count())
    f = wh.table("quality_findings")
    found = f.group_by("hospital_id").aggregate(
        errors=(f.severity == "error").cast("int64").sum(), warnings=(f.severity == "warning").cast("int64").sum())
    q = wh.table("quality_scores")
    score = q.filter((q.indicator == "front_page_score") & q.dept.isnull()).select("hospital_id", "score")
    names: dict[str, str] = {}
    if wh.has_table("hospitals"):
        names = {r["hospital_id"]: r["name"] for r in
                 wh.table("hospitals").select("hospital_id", "name").to_pyarrow().to_pylist()}
    counts = {r["hospital_id"]: r for r in found.to_pyarrow().to_pylist()}
    scores = {r["hospital_id"]: r["score"] for r in score.to_pyarrow().to_pylist()}
    out = []
    for row in sorted(stays.to_pyarrow().to_pylist(), key=lambda r: (r["hospital_id"] is None, r["hospital_id"] or "")):
        h = row["hospital_id"]
        c = counts.get(h, {})
        out.append(HospitalSummary(h, names.get(h), row["stays"], int(c.get("errors") or 0),
                                   int(c.get("warnings") or 0), scores.get(h)))
    return out


def check(wh: Warehouse, *, output: Path, scheme: str = "chs-drg-1.1", hospitals: list[str] | None = None,
          dictionaries: dict[str, Path] | None = None, catalogue: Catalogue | None = None,
          scoring: ScoringSpec | None = None, max_findings: int = DEFAULT_MAX_FINDINGS,
          workbooks: bool = True) -> CheckReport:
    """Run front-page quality control over the warehouse and write the per-hospital workbooks.

    Parameters
    ----------
    wh
        Warehouse with ``stays``, ``stay_diagnoses`` and ``stay_procedures``.
    output
        Folder for the workbooks (``<hospital_id>.xlsx``).
    scheme
        Grouping scheme whose code dictionaries the coding rules use.
    hospitals
        Only write workbooks for these hospitals (all when ``None``); the rules always run on all data.
    dictionaries
        Dictionary name -> CSV file, overriding the catalogue's locations.
    catalogue, scoring
        Rule catalogue and scoring definitions (defaults: ``rules/front_page.yaml``, ``rules/scoring.yaml``).
    max_findings
        Cap of finding rows per workbook (errors first); the workbook says when it is reached.
    workbooks
        Write the Excel workbooks.
    """
    catalogue = catalogue or load_catalogue()
    scoring = scoring or load_scoring()
    run = run_rules(wh, scheme=scheme, catalogue=catalogue, dictionaries=dictionaries, scoring_text=scoring.text)
    write_scores(wh, catalogue, scoring, scheme=scheme)
    report = CheckReport(run=run, hospitals=summarise(wh))
    if not workbooks:
        return report
    for h in report.hospitals:
        if hospitals is not None and h.hospital_id not in hospitals:
            continue
        path = Path(output) / workbook_name(h.hospital_id)
        written = write_workbook(wh, path, h.hospital_id, catalogue=catalogue, scoring=scoring,
                                 hospital_name=h.name, max_findings=max_findings)
        h.workbook, h.findings_shown = path, written["shown"]
        report.files.append(path)
    return report
