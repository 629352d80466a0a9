"""First read the same day: once an organization's first sync is in, each member gets one "your book
today" message, during their working hours (outside them, at the start of the next working day).

A job runs every few minutes (bot.scheduler.jobs.first_reads): it finds the members still owed their first
read and sends it through the delivery ledger, whose key (member, "first_read", "your-book", the day the
member joined) makes it exactly once. A member added later is owed theirs the same way. Members who have
already had a digest (they were using Tandem before this message existed) are not owed one.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot import working_days
from bot.db import Database, org_scope
from bot.delivery.channel import Channel
from bot.delivery.compose import direct, platforms_of
from bot.delivery.message import OutgoingMessage
from bot.digest import book_figures, build_digest, member_accounts
from bot.first_read_view import FirstRead
from bot.localtime import local_day, zone_of
from bot.models import Delivery, HealthScore, Member, Organization, SyncRun
from bot.pipeline import DeliveryReport, run_score, send_messages
from bot.render.first_read import first_read_blocks, first_read_card, first_read_fallback_text

log = logging.getLogger(__name__)

KIND = "first_read"
SUBJECT = "your-book"
WORKDAY_START, WORKDAY_END = time(9, 0), time(18, 0)


def in_working_hours(zone: ZoneInfo, now: datetime, days: tuple[str, ...] = working_days.MON_FRI) -> bool:
    """Within the member's working day: one of their working days (bot.working_days), 09:00 to 18:00."""
    local = now.astimezone(zone)
    return working_days.is_working_day(days, local.date()) and WORKDAY_START <= local.time() < WORKDAY_END


def has_synced(session: Session, org_id: int) -> bool:
    done = select(SyncRun.id).where(SyncRun.org_id == org_id, SyncRun.status.in_(("ok", "partial")))
    return bool(session.scalar(select(exists(done))))


def members_owed(session: Session, org_id: int) -> list[Member]:
    """Active AMs and CSMs with no first read in the ledger (sent, pending or failed) and no digest sent."""
    told = select(Delivery.id).where(
        Delivery.member_id == Member.id,
        (Delivery.kind == KIND) | ((Delivery.kind == "digest") & (Delivery.status == "sent")),
    )
    query = select(Member).where(
        Member.org_id == org_id, Member.active.is_(True), Member.role.in_(("am", "csm")), ~exists(told)
    )
    return list(session.scalars(query.order_by(Member.id)))


def build_first_read(session: Session, org: Organization, member: Member, day: date) -> FirstRead:
    """The member's book as the digest would rank it today (nothing is saved: tomorrow's digest still
    announces everything as new)."""
    digest, _seen = build_digest(session, org, member, day)
    figures = book_figures(session, org, member_accounts(session, org.id, member), day)
    return FirstRead(
        member_email=member.email,
        member_name=member.name,
        role=member.role,
        day=day,
        accounts=figures.accounts,
        arr_total=figures.arr_total,
        currency=figures.currency,
        renewals_90d=figures.renewals_90d,
        renewals_90d_arr=figures.renewals_90d_arr,
        windows=digest.items,
        more_count=digest.more_count,
        digest_time=member.digest_time or "08:30",
        timezone=zone_of(member.timezone, org.timezone).key,
        digest_budget=member.digest_budget,
    )


def first_read_messages(member: Member, view: FirstRead) -> list[OutgoingMessage]:
    """One message per platform the member reads Tandem on, to their own conversation (never a channel)."""
    joined = member.created_at.astimezone(UTC).date()
    return [
        OutgoingMessage(
            recipient=direct(member),
            kind=KIND,
            subject=SUBJECT,
            day=joined,  # in the key: the same member is owed one first read, whatever day it goes out
            platform=platform,
            text=first_read_fallback_text(view)
            if platform == "slack"
            else f"Your book today: {view.accounts} accounts",
            blocks=first_read_blocks(view) if platform == "slack" else [],
            card=first_read_card(view) if platform == "teams" else None,
        )
        for platform in platforms_of(member)
    ]


def send_first_reads(
    db: Database, org_id: int, channels: dict[str, Channel], now: datetime | None = None
) -> DeliveryReport:
    """Send every first read owed in the organization to members now in their working hours."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    with org_scope(org_id):
        with db.session() as session:
            org = session.get(Organization, org_id)
            if org is None or not has_synced(session, org_id):
                return report
            slug, zone = org.slug, org.timezone
            due = [
                m.id
                for m in members_owed(session, org_id)
                if in_working_hours(
                    zone_of(m.timezone, zone), now, working_days.of_member(m.working_days, m.timezone or zone)
                )
            ]
            today = local_day(zone, now=now)
            scored = session.scalar(
                select(exists(select(HealthScore.id).where(HealthScore.org_id == org_id, HealthScore.day == today)))
            )
        if not due:
            return report
        if not scored:  # the first sync has just landed: read the book before telling anyone about it
            run_score(db, slug, today)
        pending: list[OutgoingMessage] = []
        for member_id in due:
            try:  # one member's failure loses only their message (they are still owed it next run)
                with db.session() as session:
                    org, member = session.get_one(Organization, org_id), session.get_one(Member, member_id)
                    if not set(platforms_of(member)) & set(channels):
                        continue  # nowhere to send it yet: still owed once a platform is connected
                    view = build_first_read(session, org, member, local_day(member.timezone, zone, now=now))
                    pending.extend(first_read_messages(member, view))
            except Exception:
                log.exception("first read of member %s could not be built", member_id)
        send_messages(db, org_id, channels, pending, report)
    return report
