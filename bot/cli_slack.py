"""`tandem slack ...`: Slack housekeeping commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bot.db import Database
from bot.delivery.routing import chat_channels
from bot.orgs import get_org
from bot.settings import get_settings

slack_app = typer.Typer(help="Slack: map members to Slack users.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)


@slack_app.command("members")
def members(org: Annotated[str | None, typer.Option("--org", help="Organization slug.")] = None) -> None:
    """Match every member to their Slack user by email (users.lookupByEmail) and take their timezone."""
    from bot.slack.channel import SlackChannel
    from bot.slack.members import map_members

    settings = get_settings()
    if not settings.slack_configured:
        out.print("[bold red]error:[/] Slack is not configured (set SLACK_BOT_TOKEN or SLACK_CLIENT_ID).")
        raise typer.Exit(1)
    db = Database(settings.database_url, settings.database_role)
    db.migrate()
    with db.session() as session:
        org_id = get_org(session, org or settings.org).id
    channel = chat_channels(settings, db, org_id).get("slack")
    if not isinstance(channel, SlackChannel):
        out.print("[bold red]error:[/] this organization has no installed Slack workspace.")
        raise typer.Exit(1)
    report = map_members(db, org_id, channel.client)
    out.print(f"Matched {len(report.matched)} members, {report.timezones_set} timezones taken from Slack.")
    for email in report.unmatched:
        out.print(f"  no Slack user for {email}")
