"""The `tandem` command."""

from __future__ import annotations

import gc
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from bot import cli_admin, cli_ops, cli_slack, cli_sources, reports
from bot.cli_common import DATABASE_GONE, OrgOpt, database_gone, fail, open_db, org_slug, out
from bot.db import describe
from bot.delivery.routing import delivery_channels, outbox_channels
from bot.logs import configure as configure_logging
from bot.models import Member
from bot.orgs import ensure_org, get_org
from bot.pipeline import run_alerts, run_digests, run_score, run_sync
from bot.portfolio import portfolio_report
from bot.portfolio_view import Portfolio
from bot.render.portfolio import portfolio_text
from bot.settings import get_settings
from bot.sources import remember_source
from bot.teams.package import teams_package_command
from integrations.base import SourceError
from integrations.files import FileSource

app = typer.Typer(help="Tandem: the shared read of every account, for the AM and the CSM.", no_args_is_help=True)

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Score and build digests as of this date (YYYY-MM-DD; default today)."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write each outgoing message as a JSON file here.")]


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


@app.command()
def init(org: OrgOpt = None) -> None:
    """Create or upgrade the database schema and the organization."""
    settings = get_settings()
    db = open_db()
    with db.session() as session:
        ensure_org(session, org_slug(org), timezone=settings.timezone)
    out.print(f"Database ready: {describe(settings.database_url)}")


@app.command()
def sync(
    source: Annotated[
        str, typer.Option("--source", help="Source to sync: files (with --path), or a configured source's name.")
    ] = "files",
    path: Annotated[Path | None, typer.Option("--path", help="Directory of CSV exports (files source).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Configured source: ignore its cursor, read all.")] = False,
    problems: Annotated[
        Path | None, typer.Option("--problems", help="Write every problem of the sync to this file, one a line.")
    ] = None,
    org: OrgOpt = None,
) -> None:
    """Pull a source into storage (upsert by source id, departures recorded once)."""
    if path is None and cli_sources.is_configured(org_slug(org), source):
        cli_sources.sync_configured(source, org_slug(org), full, problems)
        return
    if source != "files":
        raise fail(f"unknown source {source!r} (available: files, or one of `tandem sources list`)")
    if path is None:
        raise fail("--path is required for the files source")
    db = open_db()
    try:
        report = run_sync(db, org_slug(org), FileSource(path))
    except SourceError as exc:
        raise fail(f"{exc}. Nothing was changed.") from None
    # The nightly run syncs this directory again from now on.
    remember_source(db, org_slug(org), FileSource.name, {"kind": "files", "path": str(path.resolve())})
    reports.print_sync(out, report, problems)


@app.command()
def score(org: OrgOpt = None, as_of: AsOfOpt = None) -> None:
    """Recompute health and signals for every account."""
    try:
        report = run_score(open_db(), org_slug(org), _as_of(as_of))
    except (LookupError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.print(
        f"Scored {report.accounts} accounts: {report.active} active signals "
        f"({len(report.new)} new, {len(report.worsened)} worse, {len(report.resolved)} resolved)."
    )


@app.command()
def digest(org: OrgOpt = None, as_of: AsOfOpt = None, out_dir: OutOpt = None) -> None:
    """Build each member's digest, print it, and deliver it (to Slack/Teams when configured, or to --out)."""
    db = open_db()
    day = _as_of(as_of)
    try:
        with db.session() as session:
            org_id = get_org(session, org_slug(org)).id
        channels = delivery_channels(get_settings(), db, org_id, out_dir)
        alerts = run_alerts(db, org_slug(org), day, channels)
        result = run_digests(db, org_slug(org), day, channels)
    except LookupError as exc:
        raise fail(str(exc)) from None
    reports.print_alerts(out, alerts)
    reports.print_digests(out, result)
    reports.print_deliveries(out, [alerts, result], out_dir)
    failed = alerts.count("failed") + result.count("failed")
    if failed:  # a script or a cron job must see it: the messages wait in the ledger (`tandem status`)
        raise fail(f"{failed} message(s) could not be delivered; `tandem status` lists them")


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
    db = open_db()
    slug = org_slug(org)
    if data is None:
        data = generate(Path(".tandem-demo-data"), anchor=day)
        out.print(f"Demo book for {day.isoformat()} written to {data.resolve()}")
    try:
        sync_report = run_sync(db, slug, FileSource(data))
    except SourceError as exc:
        raise fail(f"{exc}. Nothing was changed.") from None
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
    failed = alerts.count("failed") + result.count("failed")
    if failed:  # a script or a cron job must see it: the messages wait in the ledger (`tandem status`)
        raise fail(f"{failed} message(s) could not be delivered; `tandem status` lists them")
    out.print(f"\nDatabase: {describe(settings.database_url)}")


@app.command()
def accounts(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per account.")] = False,
    org: OrgOpt = None,
) -> None:
    """List accounts with ARR, renewal, health and active signal kinds."""
    db = open_db()
    with db.session() as session:
        try:
            rows = reports.account_rows(session, get_org(session, org_slug(org)).id)
        except LookupError as exc:
            raise fail(str(exc)) from None
    _emit(rows, as_json, ["id", "name", "arr", "renewal_date", "health", "signals"])


@app.command()
def portfolio(
    as_json: Annotated[bool, typer.Option("--json", help="The indicators as one JSON object.")] = False,
    member: Annotated[
        str | None, typer.Option("--member", help="Only this member (by email), with their team.")
    ] = None,
    org: OrgOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Renewal rate, GRR, NRR, value at risk, expansion pipeline and coverage: organization, teams, members."""
    db = open_db()
    with db.session() as session:
        try:
            found = get_org(session, org_slug(org))
        except LookupError as exc:
            raise fail(str(exc)) from None
        person = None
        if member is not None:
            person = session.scalar(
                select(Member).where(Member.org_id == found.id, Member.email == member.strip().lower())
            )
            if person is None:
                raise fail(f"no member {member!r} in organization {found.slug!r}")
        report = portfolio_report(session, found, _as_of(as_of), person)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        return
    for part in [report["organization"], *report["teams"], *report["members"]]:
        out.print(portfolio_text(Portfolio.model_validate(part)), markup=False, highlight=False)
        out.print()


@app.command()
def signals(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per active signal.")] = False,
    org: OrgOpt = None,
) -> None:
    """List active signals with their reasons."""
    db = open_db()
    with db.session() as session:
        try:
            rows = reports.signal_rows(session, get_org(session, org_slug(org)).id)
        except LookupError as exc:
            raise fail(str(exc)) from None
    _emit(rows, as_json, ["account_name", "kind", "severity", "title"])


@app.command()
def feedback(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per signal kind.")] = False,
    org: OrgOpt = None,
) -> None:
    """How useful people found each kind of digest item (their Useful / Not useful), noisiest first."""
    with open_db().session() as session:
        try:
            rows = reports.feedback_rows(session, get_org(session, org_slug(org)).id)
        except LookupError as exc:
            raise fail(str(exc)) from None
    if not rows and not as_json:
        out.print("No ratings yet: people rate digest items with their Useful / Not useful buttons.")
        return
    _emit(rows, as_json, ["kind", "ratings", "useful", "not_useful", "not_useful_share"])


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 3000,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Also run the scheduler (when this replica leads).")
    ] = True,
) -> None:
    """Run the web application: Slack events, Teams messages, health checks, metrics, and the scheduler."""
    import uvicorn

    from bot.app import create_app

    db = open_db()
    settings = get_settings()
    # Hand the GIL over more often (default 5 ms): the event loop acks Slack within its 3 s while worker
    # threads build answers; a shorter interval keeps its wait short.
    sys.setswitchinterval(0.001)
    # Fewer, cheaper garbage collections: a full collection over a big heap (the account index, the ORM)
    # pauses every request for tens of milliseconds.
    gc.set_threshold(50_000, 20, 100)
    runner = None
    if scheduler:
        from bot.scheduler.worker import Worker

        runner = Worker(settings, db)
        runner.run_in_background()
    app = create_app(settings, db)
    gc.freeze()  # what start-up built lives as long as the process: keep it out of every collection
    try:
        # log_config=None: uvicorn's records go through Tandem's handler (redacted, JSON if configured).
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), log_config=None)
    finally:
        if runner is not None:
            runner.stop()


def _emit(rows: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    reports.print_table(out, rows, columns)


app.add_typer(cli_admin.org_app, name="org")
app.add_typer(cli_admin.person_app, name="person")
app.add_typer(cli_admin.keys_app, name="keys")
app.add_typer(cli_slack.slack_app, name="slack")
app.add_typer(cli_sources.sources_app, name="sources")
app.command()(cli_ops.worker)
app.command()(cli_ops.status)
app.command("teams-package")(teams_package_command)


def main() -> None:
    try:
        settings = get_settings()
        configure_logging(settings.log_level, settings.log_format)
    except Exception:  # a bad setting is reported by the command that reads it, with its own message
        configure_logging()
    try:
        app()
    except DATABASE_GONE as exc:
        raise SystemExit(database_gone(exc).exit_code) from None
