"""What every `tandem` sub-command shares: the consoles, the --org option, the database, the error exit."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

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


log = logging.getLogger(__name__)

# The database went away or cannot be reached: an operational fault, not a bug. Each step stores its work in
# one transaction, so what the interrupted step was doing is rolled back, never half-stored.
DATABASE_GONE = (OperationalError, InterfaceError)


def database_gone(exc: DBAPIError) -> typer.Exit:
    """One sentence for the person at the terminal; the traceback only at DEBUG."""
    log.debug("database error", exc_info=exc)
    lines = str(exc.orig or exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    return fail(
        f"the database cannot be used ({detail}). Nothing of the interrupted step was stored: "
        "run the command again once the database answers."
    )


def fail(message: str) -> typer.Exit:
    """Print the error and return the exit to raise: `raise fail("...")`."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)
