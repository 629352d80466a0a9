"""Matching Tandem's members to Slack users by email, and taking their Slack timezone when none is set."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.db import Database
from bot.models import Member
from bot.tenancy import scope_session


@dataclass
class MappingReport:
    matched: list[str] = field(default_factory=list)  # member emails (Tandem's users, not customer data)
    unmatched: list[str] = field(default_factory=list)
    timezones_set: int = 0


def map_members(db: Database, org_id: int, client: WebClient) -> MappingReport:
    report = MappingReport()
    with db.session() as session:
        scope_session(session, org_id)
        members = session.scalars(select(Member).where(Member.org_id == org_id, Member.active.is_(True))).all()
        for member in members:
            try:
                user = client.users_lookupByEmail(email=member.email)["user"]
            except SlackApiError as exc:
                if exc.response.get("error") != "users_not_found":
                    raise
                report.unmatched.append(member.email)
                continue
            member.slack_user_id = str(user["id"])
            report.matched.append(member.email)
            # A configured timezone wins; otherwise the person's own Slack setting decides their 08:30.
            if not member.timezone and user.get("tz"):
                member.timezone = str(user["tz"])
                report.timezones_set += 1
    return report
