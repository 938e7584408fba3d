"""CLI of the present stage: ``hospeval serve``, ``hospeval report``, ``hospeval users ...``, ``hospeval present``.

Thin commands: parse, call one library function, print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hospeval.config import settings

console = Console()
users_app = typer.Typer(help="Manage dashboard accounts.\n\nExample: hospeval users add --role hospital "
                             "--hospital H001 wang", no_args_is_help=True)


def _auth():  # noqa: ANN202
    from hospeval.present.auth import AuthStore, default_auth_path

    return AuthStore(default_auth_path(settings().warehouse))


def serve(host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000) -> None:
    """Serve the HTTP API and the web dashboard over the warehouse.

    Example: hospeval serve --host 127.0.0.1 --port 8000   (then open http://127.0.0.1:8000/ ; API at /docs)
    """
    import uvicorn

    from hospeval.present.app import create_app, warm_up
    from hospeval.warehouse import Warehouse

    cfg = settings()
    app = create_app(Warehouse(cfg.warehouse), _auth(), output=cfg.output)
    console.print(f"compiled {warm_up(app.state.reader, templates=app.state.templates)} page queries")

    console.print(f"hospeval dashboard on http://{host}:{port}/  (warehouse {cfg.warehouse})")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def report(hospital: Annotated[str | None, typer.Option("--hospital", help="hospital_id")] = None,
           jurisdiction: Annotated[bool, typer.Option("--jurisdiction", help="rank all hospitals")] = False,
           lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
           out: Annotated[Path | None, typer.Option(help="folder (default <output>/reports)")] = None) -> None:
    """Write a hospital report (xlsx, html, pdf) or the jurisdiction ranking report.

    Example: hospeval report --hospital H001      or      hospeval report --jurisdiction --lang en
    """
    from hospeval.errors import HospevalError
    from hospeval.present import reports
    from hospeval.present.auth import Principal
    from hospeval.present.db import Reader
    from hospeval.present.scope import Scope
    from hospeval.warehouse import Warehouse

    if bool(hospital) == jurisdiction:
        raise HospevalError("give either --hospital H or --jurisdiction")
    cfg = settings()
    folder = out or cfg.output / "reports"
    with Warehouse(cfg.warehouse) as wh:
        reader = Reader(wh)
        scope = Scope(Principal("hospeval-cli", "admin"), None)
        if hospital:
            if reader.has("hospitals") and reports.queries.hospital(reader, scope, hospital) is None:
                raise HospevalError(f"no hospital {hospital!r} in the warehouse", field="hospital_id")
            paths = reports.write_hospital_reports(reader, scope, hospital, folder, lang)
        else:
            paths = reports.write_jurisdiction_reports(reader, scope, folder, lang)
    for path in paths:
        console.print(f"wrote {path}")


def present() -> None:
    """Build the dashboard summaries and write the jurisdiction and top-hospital reports.

    Example: hospeval present
    """
    from hospeval.pipeline import RunContext
    from hospeval.present.stage import run
    from hospeval.warehouse import Warehouse

    cfg = settings()
    with Warehouse(cfg.warehouse) as wh:
        summary = run(RunContext(warehouse=wh, output=cfg.output))
    for line in summary.lines:
        console.print(line)


@users_app.command("add")
def users_add(username: Annotated[str, typer.Argument(help="login name")],
              role: Annotated[str, typer.Option(help="admin, commission, hospital or insurance")],
              hospital: Annotated[str | None, typer.Option(help="hospital_id (hospital role)")] = None,
              province: Annotated[str | None, typer.Option(help="jurisdiction (commission / insurance)")] = None,
              city: Annotated[str | None, typer.Option(help="jurisdiction (commission / insurance)")] = None,
              district: Annotated[str | None, typer.Option(help="jurisdiction (commission / insurance)")] = None
              ) -> None:
    """Add a user; the password is asked for (or read from HOSPEVAL_NEW_PASSWORD).

    Example: hospeval users add --role hospital --hospital H001 wang
    """
    password = os.environ.get("HOSPEVAL_NEW_PASSWORD") or typer.prompt("password", hide_input=True,
                                                                       confirmation_prompt=True)
    _auth().add_user(username, password, role=role, hospital_id=hospital, province=province, city=city,
                     district=district)
    console.print(f"added {username} ({role})")


@users_app.command("list")
def users_list() -> None:
    """List users and their scope.

    Example: hospeval users list
    """
    table = Table("user", "role", "scope")
    for p in _auth().users():
        table.add_row(p.username, p.role, p.jurisdiction)
    console.print(table)


@users_app.command("remove")
def users_remove(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Remove a user and end its sessions.

    Example: hospeval users remove wang
    """
    _auth().remove_user(username)
    console.print(f"removed {username}")


@users_app.command("passwd")
def users_passwd(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Set a new password (asked for, or HOSPEVAL_NEW_PASSWORD) and end the user's sessions.

    Example: hospeval users passwd wang
    """
    password = os.environ.get("HOSPEVAL_NEW_PASSWORD") or typer.prompt("password", hide_input=True,
                                                                       confirmation_prompt=True)
    _auth().set_password(username, password)
    console.print(f"password of {username} changed")


def register(app: typer.Typer) -> None:
    """Add the present stage's commands to the main CLI."""
    app.command("serve")(serve)
    app.command("report")(report)
    app.command("present")(present)
    app.add_typer(users_app, name="users")
