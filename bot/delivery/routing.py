"""Which channels carry an organization's messages: the chat platforms that are configured, or the outbox."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.outbox import OutboxChannel
from bot.settings import Settings

log = logging.getLogger(__name__)


def outbox_channels(out: Path | None) -> dict[str, Channel]:
    if out is None:
        return {}
    return {"slack": OutboxChannel(out, "slack"), "teams": OutboxChannel(out, "teams")}


def chat_channels(settings: Settings, db: Database, org_id: int) -> dict[str, Channel]:
    """Slack and Teams channels for one organization, for each platform whose credentials are set."""
    channels: dict[str, Channel] = {}
    if settings.slack_configured:
        from bot.slack.channel import SlackChannel
        from bot.slack.client import web_client
        from bot.slack.installations import bot_token_for_org

        token = bot_token_for_org(db, settings, org_id)
        if token is not None:
            channels["slack"] = SlackChannel(web_client(settings, token))
        else:
            log.warning("Slack is configured but organization %s has no installed workspace", org_id)
    if settings.teams_configured:
        try:
            from bot.teams.channel import teams_channel
        except ImportError:  # pragma: no cover - the Teams module ships with Tandem
            log.warning("Teams is configured but its channel is unavailable")
        else:
            channels["teams"] = teams_channel(settings, db, org_id)
    return channels


def delivery_channels(settings: Settings, db: Database, org_id: int, out: Path | None) -> dict[str, Channel]:
    """`--out` writes files (and sends nothing); otherwise the configured chat platforms."""
    return outbox_channels(out) if out is not None else chat_channels(settings, db, org_id)
