"""CLI of the reference stage: ``hospeval reference build|show`` and ``hospeval dip build|group|show``.

Thin: each command parses, calls one library function and prints with rich.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

from hospeval.errors import HospevalError
from hospeval.group.dip import build_dip, group_dip
from hospeval.group.dip_spec import load_dip_policy, read_catalogue, scheme_name
from hospeval.reference.drg_reference import (
    RISK_GRADES,
    build_drg_reference,
    reference_rows,
    reference_versions,
)
from hospeval.reference.spec import Population, check_period, load_reference_policy
from hospeval.warehouse import Warehouse, open_warehouse

console = Console()
reference_app = typer.Typer(
    help=(
        "DRG reference tables (参考权重表): relative weights, reference mean cost and LOS, mortality risk "
        "grades, built from a reference population of grouped stays and stored by scheme and version.\n\n"
        "Example: hospeval reference build --scheme chs-drg-1.1 --version 2024 --period 2024"
    ),
    no_args_is_help=True,
)
dip_app = typer.Typer(
    help=(
        "DIP (按病种分值付费): derive a catalogue of core and comprehensive groups with scores from a "
        "reference year, then group stays against it.\n\n"
        "Example: hospeval dip build --name city --version 2024 --period 2024 && hospeval dip group --scheme dip-city"
    ),
    no_args_is_help=True,
)

Periods = Annotated[list[str] | None, typer.Option("--period", help="Discharge period YYYY or YYYY-MM "
                                                   "(repeat for several); default: all.")]
Hospitals = Annotated[list[str] | None, typer.Option("--hospital", help="Hospital id (repeat for several); "
                                                     "default: all.")]


def _warehouse() -> Warehouse:
    return open_warehouse()


def _print_table(data: pa.Table, title: str, limit: int | None = None) -> None:
    table = Table(title=title)
    for name in data.column_names:
        table.add_column(name)
    for row in data.slice(0, limit).to_pylist() if limit else data.to_pylist():
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else ("" if v is None else str(v))
                        for v in row.values()])
    console.print(table)


@reference_app.command("build")
def reference_build(
    scheme: Annotated[str, typer.Option(help="Grouping scheme of stay_groups.")] = "chs-drg-1.1",
    version: Annotated[str, typer.Option(help="Version label stored with the rows, e.g. the reference "
                                         "year; replaces an existing version of the same label.")] = "all",
    period: Periods = None,
    hospital: Hospitals = None,
    policy: Annotated[Path | None, typer.Option(help="Derivation policy YAML (trimming, percentiles, "
                                                "risk grade); default: the built-in one.")] = None,
) -> None:
    """Build drg_reference for one scheme and version from the warehouse's stays and stay_groups.

    Example: hospeval reference build --scheme chs-drg-1.1 --version 2024 --period 2024
    """
    population = Population(scheme=scheme, periods=tuple(check_period(p) for p in period or ()),
                            hospitals=tuple(hospital or ()))
    with _warehouse() as wh:
        wh.require("stays", "stay_groups")
        built = build_drg_reference(wh, population, version, load_reference_policy(policy))
    grades = ", ".join(f"{RISK_GRADES[g]}: {n}" for g, n in sorted(built.grade_counts.items()))
    console.print(f"[green]drg_reference[/] {built.scheme} {built.version}: {built.n_drgs} DRGs from "
                  f"{built.n_stays} stays ({built.n_trimmed} left out of cost means); "
                  f"mean cost of all stays {built.mean_cost_all or 0:.2f}")
    console.print(f"risk grades: {grades}")


@reference_app.command("show")
def reference_show(
    scheme: Annotated[str | None, typer.Option(help="Scheme; without --version lists its versions.")] = None,
    version: Annotated[str | None, typer.Option(help="Version to print row by row.")] = None,
    drg: Annotated[str | None, typer.Option(help="Only this DRG.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 50,
) -> None:
    """List the stored versions of drg_reference, or print the rows of one version.

    Example: hospeval reference show --scheme chs-drg-1.1 --version 2024 --limit 20
    """
    with _warehouse() as wh:
        if scheme and version:
            rows = reference_rows(wh, scheme, version, drg)
            if rows.num_rows == 0:
                raise HospevalError(f"drg_reference has no rows for {scheme} {version}", field="version")
            _print_table(rows.drop(["scheme", "version"]), f"drg_reference {scheme} {version}", limit)
        else:
            versions = reference_versions(wh, scheme)
            if versions.num_rows == 0:
                console.print("no drg_reference version yet: run `hospeval reference build`")
                return
            _print_table(versions, "drg_reference versions")


@dip_app.command("build")
def dip_build(
    name: Annotated[str, typer.Option(help="Scheme name; the scheme is dip-<name>.")] = "local",
    version: Annotated[str, typer.Option(help="Version label, e.g. the reference year.")] = "all",
    period: Periods = None,
    hospital: Hospitals = None,
    policy: Annotated[Path | None, typer.Option(help="Derivation policy YAML (core threshold, code "
                                                "normalisation, treatment kinds).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder to write; default schemes/dip-<name>.")] = None,
) -> None:
    """Derive a DIP catalogue from the warehouse's stays; write its scheme folder and dip_reference.

    Example: hospeval dip build --name city --version 2024 --period 2024 --out schemes/dip-city
    """
    with _warehouse() as wh:
        wh.require("stays", "stay_diagnoses", "stay_procedures")
        catalogue, paths = build_dip(wh, name, version, periods=tuple(check_period(p) for p in period or ()),
                                     hospitals=tuple(hospital or ()), policy=load_dip_policy(policy),
                                     folder=out)
    f = catalogue.figures
    console.print(f"[green]{catalogue.scheme}[/] {catalogue.version}: {f['n_core_groups']} core and "
                  f"{f['n_comprehensive_groups']} comprehensive groups from {f['n_stays']} stays; "
                  f"core share {f['core_share']:.1%}; mean cost of all cases {f['mean_cost_all']}")
    console.print("wrote " + ", ".join(str(p) for p in paths))


@dip_app.command("group")
def dip_group(
    scheme: Annotated[str, typer.Option(help="DIP scheme (dip-<name>) whose catalogue to apply.")],
    folder: Annotated[Path | None, typer.Option(help="Scheme folder; default schemes/<scheme>.")] = None,
) -> None:
    """Group every stay of the warehouse against a DIP catalogue; write stay_dip_groups.

    Example: hospeval dip group --scheme dip-city
    """
    catalogue = read_catalogue(scheme_name(scheme), folder)
    with _warehouse() as wh:
        wh.require("stays", "stay_diagnoses", "stay_procedures")
        result = group_dip(wh, catalogue)
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(result.by_reason.items()))
    console.print(f"[green]stay_dip_groups[/] {result.scheme}: {result.n_stays} stays ({reasons})")


@dip_app.command("show")
def dip_show(
    scheme: Annotated[str, typer.Option(help="DIP scheme (dip-<name>).")],
    folder: Annotated[Path | None, typer.Option(help="Scheme folder; default schemes/<scheme>.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 50,
) -> None:
    """Print a DIP catalogue (groups, stays, mean cost, points).

    Example: hospeval dip show --scheme dip-city --limit 20
    """
    catalogue = read_catalogue(scheme_name(scheme), folder)
    groups = catalogue.groups.sort_by([("points", "descending")])
    _print_table(groups.select(["dip_group", "dip_kind", "dip_name", "n_stays", "mean_cost", "points"]),
                 f"{catalogue.scheme} {catalogue.version}", limit)


def register(app: typer.Typer) -> None:
    """Add ``reference`` and ``dip`` command groups to the main CLI."""
    app.add_typer(reference_app, name="reference")
    app.add_typer(dip_app, name="dip")
