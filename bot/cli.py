"""The `tandem` command."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot import cli_admin, cli_slack, reports
from bot.db import Database, describe
from bot.delivery.routing import delivery_channels, outbox_channels
from bot.orgs import ensure_org, get_org
from bot.pipeline import run_alerts, run_digests, run_score, run_sync
from bot.settings import get_settings
from integrations.base import SourceError
from integrations.files import FileSource

app = typer.Typer(help="Tandem: the shared read of every account, for the AM and the CSM.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

OrgOpt = Annotated[str | None, typer.Option("--org", help="Organization slug (default: TANDEM_ORG or 'default').")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Score and build digests as of this date (YYYY-MM-DD; default today)."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write each outgoing message as a JSON file here.")]


def _db() -> Database:
    settings = get_settings()
    db = Database(settings.database_url, settings.database_role)
    db.migrate()
    return db


def _org(org: str | None) -> str:
    return org or get_settings().org


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


@app.command()
def init(org: OrgOpt = None) -> None:
    """Create or upgrade the database schema and the organization."""
    settings = get_settings()
    db = _db()
    with db.session() as session:
        ensure_org(session, _org(org), timezone=settings.timezone)
    out.print(f"Database ready: {describe(settings.database_url)}")


@app.command()
def sync(
    source: Annotated[str, typer.Option("--source", help="Source to sync: files.")] = "files",
    path: Annotated[Path | None, typer.Option("--path", help="Directory of CSV exports (files source).")] = None,
    org: OrgOpt = None,
) -> None:
    """Pull a source into storage (upsert by source id, departures recorded once)."""
    if source != "files":
        raise _fail(f"unknown source {source!r} (available: files)")
    if path is None:
        raise _fail("--path is required for the files source")
    try:
        report = run_sync(_db(), _org(org), FileSource(path))
    except SourceError as exc:
        raise _fail(f"{exc}. Nothing was changed.") from None
    reports.print_sync(out, report)


@app.command()
def score(org: OrgOpt = None, as_of: AsOfOpt = None) -> None:
    """Recompute health and signals for every account."""
    try:
        report = run_score(_db(), _org(org), _as_of(as_of))
    except (LookupError, ValueError) as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"Scored {report.accounts} accounts: {report.active} active signals "
        f"({len(report.new)} new, {len(report.worsened)} worse, {len(report.resolved)} resolved)."
    )


@app.command()
def digest(org: OrgOpt = None, as_of: AsOfOpt = None, out_dir: OutOpt = None) -> None:
    """Build each member's digest, print it, and deliver it (to Slack/Teams when configured, or to --out)."""
    db = _db()
    day = _as_of(as_of)
    try:
        with db.session() as session:
            org_id = get_org(session, _org(org)).id
        channels = delivery_channels(get_settings(), db, org_id, out_dir)
        alerts = run_alerts(db, _org(org), day, channels)
        result = run_digests(db, _org(org), day, channels)
    except LookupError as exc:
        raise _fail(str(exc)) from None
    reports.print_alerts(out, alerts)
    reports.print_digests(out, result)
    reports.print_deliveries(out, [alerts, result], out_dir)


@app.command()
def demo(
    data: Annotated[
        Path | None, typer.Option("--data", help="Run on your own CSV directory instead of the demo book.")
    ] = None,
    out_dir: OutOpt = None,
    as_of: AsOfOpt = None,
    org: OrgOpt = None,
) -> None:
    """Load the demo book (or --data), score it and print every digest. No tokens, no API key."""
    from bot.demo.generator import generate

    settings = get_settings()
    day = _as_of(as_of)
    db = _db()
    slug = _org(org)
    if data is None:
        data = generate(Path(".tandem-demo-data"), anchor=day)
        out.print(f"Demo book for {day.isoformat()} written to {data.resolve()}")
    try:
        sync_report = run_sync(db, slug, FileSource(data))
    except SourceError as exc:
        raise _fail(f"{exc}. Nothing was changed.") from None
    reports.print_sync(out, sync_report)
    score_report = run_score(db, slug, day)
    out.print(f"Scored {score_report.accounts} accounts, {score_report.active} active signals.")
    # The demo never messages anyone: its digests go to the terminal and, with --out, to files.
    channels = outbox_channels(out_dir)
    alerts = run_alerts(db, slug, day, channels)
    result = run_digests(db, slug, day, channels)
    reports.print_alerts(out, alerts)
    reports.print_digests(out, result)
    reports.print_deliveries(out, [alerts, result], out_dir)
    out.print(f"\nDatabase: {describe(settings.database_url)}")


@app.command()
def accounts(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per account.")] = False,
    org: OrgOpt = None,
) -> None:
    """List accounts with ARR, renewal, health and active signal kinds."""
    db = _db()
    with db.session() as session:
        try:
            rows = reports.account_rows(session, get_org(session, _org(org)).id)
        except LookupError as exc:
            raise _fail(str(exc)) from None
    _emit(rows, as_json, ["id", "name", "arr", "renewal_date", "health", "signals"])


@app.command()
def signals(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per active signal.")] = False,
    org: OrgOpt = None,
) -> None:
    """List active signals with their reasons."""
    db = _db()
    with db.session() as session:
        try:
            rows = reports.signal_rows(session, get_org(session, _org(org)).id)
        except LookupError as exc:
            raise _fail(str(exc)) from None
    _emit(rows, as_json, ["account_name", "kind", "severity", "title"])


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 3000,
) -> None:
    """Run the web application: Slack events, Teams messages, health checks."""
    import uvicorn

    from bot.app import create_app

    db = _db()
    uvicorn.run(create_app(get_settings(), db), host=host, port=port, log_level="info")


def _emit(rows: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    reports.print_table(out, rows, columns)


app.add_typer(cli_admin.org_app, name="org")
app.add_typer(cli_admin.person_app, name="person")
app.add_typer(cli_admin.keys_app, name="keys")
app.add_typer(cli_slack.slack_app, name="slack")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
