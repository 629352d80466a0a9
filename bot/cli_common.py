"""What every `tandem` sub-command shares: the consoles, the --org option, the database, the error exit."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bot.db import Database
from bot.settings import get_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

OrgOpt = Annotated[str | None, typer.Option("--org", help="Organization slug (default: TANDEM_ORG or 'default').")]


def open_db() -> Database:
    """The configured database, migrated to the newest schema (as the application role, if one is set)."""
    settings = get_settings()
    db = Database(settings.database_url, settings.database_role)
    db.migrate()
    return db


def org_slug(org: str | None) -> str:
    return org or get_settings().org


def fail(message: str) -> typer.Exit:
    """Print the error and return the exit to raise: `raise fail("...")`."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)
