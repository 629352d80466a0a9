"""Turning platform-neutral views into outgoing messages for each member's platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.delivery.message import OutgoingMessage, Recipient
from bot.models import Member
from bot.render.blocks import alert_blocks, alert_fallback_text, digest_blocks, digest_fallback_text
from bot.render.cards import alert_card, alert_summary, digest_card, digest_summary
from bot.views import Digest, StakeholderAlert


def recipient(member: Member) -> Recipient:
    return Recipient(
        member_id=member.id,
        email=member.email,
        name=member.name,
        slack_user_id=member.slack_user_id,
        teams_user_id=member.teams_user_id,
        channel=member.digest_channel,
    )


def direct(member: Member) -> Recipient:
    """The member's own conversation with Tandem (their DM), whatever channel their digest goes to: a
    handoff is a conversation between the pair, and replies are read from direct messages only."""
    return replace(recipient(member), channel=None)


def platforms_of(member: Member) -> list[str]:
    """Where a member reads Tandem: every platform they have an id on; Slack when they have none yet."""
    found = [p for p, ident in (("slack", member.slack_user_id), ("teams", member.teams_user_id)) if ident]
    return found or ["slack"]


def digest_messages(member: Member, digest: Digest) -> list[OutgoingMessage]:
    return [
        _message(member, "digest", digest.day.isoformat(), digest.day, p, digest=digest) for p in platforms_of(member)
    ]


def alert_messages(member: Member, alert: StakeholderAlert, subject: str, day: date) -> list[OutgoingMessage]:
    return [_message(member, "alert", subject, day, p, alert=alert) for p in platforms_of(member)]


def _message(
    member: Member,
    kind: str,
    subject: str,
    day: date,
    platform: str,
    digest: Digest | None = None,
    alert: StakeholderAlert | None = None,
) -> OutgoingMessage:
    if digest is not None:
        # Slack's fallback is escaped for mrkdwn; Teams notifications show plain text.
        text = digest_fallback_text(digest) if platform == "slack" else digest_summary(digest)
        blocks = digest_blocks(digest) if platform == "slack" else []
        card = digest_card(digest) if platform == "teams" else None
    elif alert is not None:
        text = alert_fallback_text(alert) if platform == "slack" else alert_summary(alert)
        blocks = alert_blocks(alert) if platform == "slack" else []
        card = alert_card(alert) if platform == "teams" else None
    else:
        raise ValueError("a message needs a digest or an alert")
    return OutgoingMessage(
        recipient=recipient(member),
        kind=kind,
        subject=subject,
        day=day,
        platform=platform,
        text=text,
        blocks=blocks,
        card=card,
    )
