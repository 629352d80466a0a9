"""Handoffs between the AM and the CSM of an account: platform-neutral, stored on the account's timeline.

Slack and Teams call these; they only carry the messages. Every write is idempotent on the request that
caused it (origin_ref, external_ref) so a retried request never creates a second handoff or reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from bot.models import Account, Handoff, HandoffMessage, HandoffThread, Member, Organization, utcnow
from bot.views import HandoffSummary

TOPICS = ("risk", "opportunity", "request")
MAX_NOTE = 3000


class HandoffError(ValueError):
    """A handoff that cannot be made (no counterpart, not the account's owner, closed): say why."""


@dataclass(frozen=True)
class HandoffDraft:
    topic: str = "request"
    note: str = ""
    promises: str | None = None
    next_step: str | None = None
    due_date: date | None = None


def counterpart(session: Session, account: Account, member: Member) -> Member:
    """The AM's counterpart is the account's CSM, and the reverse."""
    if member.email == account.am_email:
        email = account.csm_email
    elif member.email == account.csm_email:
        email = account.am_email
    else:
        raise HandoffError(f"{member.name} is neither the AM nor the CSM of {account.name}")
    other = session.scalar(
        select(Member).where(Member.org_id == account.org_id, Member.email == email, Member.active.is_(True))
    )
    if other is None:
        raise HandoffError(f"{account.name} has no {'CSM' if member.email == account.am_email else 'AM'} on file")
    return other


def start_handoff(
    session: Session, account: Account, sender: Member, draft: HandoffDraft, origin_ref: str | None = None
) -> tuple[Handoff, bool]:
    """Create the handoff (or find the one this same request already created). Returns (handoff, created)."""
    if origin_ref is not None:
        existing = session.scalar(
            select(Handoff).where(Handoff.org_id == account.org_id, Handoff.origin_ref == origin_ref)
        )
        if existing is not None:
            return existing, False
    if draft.topic not in TOPICS:
        raise HandoffError(f"topic must be one of {', '.join(TOPICS)}")
    note = draft.note.strip()
    if not note:
        raise HandoffError("a handoff needs a note: what should your pair know or do?")
    receiver = counterpart(session, account, sender)
    handoff = Handoff(
        org_id=account.org_id,
        account_id=account.id,
        from_member_id=sender.id,
        to_member_id=receiver.id,
        topic=draft.topic,
        note=note[:MAX_NOTE],
        promises=draft.promises,
        next_step=draft.next_step,
        due_date=draft.due_date,
        origin_ref=origin_ref,
    )
    session.add(handoff)
    session.flush()
    return handoff, True


def add_reply(
    session: Session,
    handoff: Handoff,
    author: Member | None,
    platform: str,
    body: str,
    external_ref: str | None,
) -> tuple[HandoffMessage, bool]:
    """Store a reply once (a retried event carries the same external_ref). Returns (message, created)."""
    if external_ref is not None:
        existing = session.scalar(
            select(HandoffMessage).where(
                HandoffMessage.handoff_id == handoff.id,
                HandoffMessage.platform == platform,
                HandoffMessage.external_ref == external_ref,
            )
        )
        if existing is not None:
            return existing, False
    message = HandoffMessage(
        org_id=handoff.org_id,
        handoff_id=handoff.id,
        author_member_id=author.id if author else None,
        platform=platform,
        external_ref=external_ref,
        body=body.strip()[:MAX_NOTE],
    )
    session.add(message)
    session.flush()
    return message, True


def acknowledge(session: Session, handoff: Handoff, member: Member) -> None:
    if member.id != handoff.to_member_id:
        raise HandoffError("only the receiver can acknowledge a handoff")
    if handoff.status == "open":
        handoff.status, handoff.acknowledged_at = "acknowledged", utcnow()


def mark_done(session: Session, handoff: Handoff, member: Member) -> None:
    if member.id not in (handoff.to_member_id, handoff.from_member_id):
        raise HandoffError("only the pair of the handoff can close it")
    if handoff.status != "done":
        handoff.status, handoff.done_at = "done", utcnow()


def record_thread(
    session: Session, handoff: Handoff, member: Member, platform: str, channel: str, thread_ref: str
) -> HandoffThread:
    """Remember where the handoff lives for one side, so replies can be mirrored into it."""
    row = session.scalar(
        select(HandoffThread).where(
            HandoffThread.handoff_id == handoff.id,
            HandoffThread.platform == platform,
            HandoffThread.member_id == member.id,
        )
    )
    if row is None:
        row = HandoffThread(
            org_id=handoff.org_id,
            handoff_id=handoff.id,
            member_id=member.id,
            platform=platform,
            channel=channel,
            thread_ref=thread_ref,
        )
        session.add(row)
    else:
        row.channel, row.thread_ref = channel, thread_ref
    session.flush()
    return row


def find_by_thread(session: Session, platform: str, channel: str, thread_ref: str) -> HandoffThread | None:
    return session.scalar(
        select(HandoffThread).where(
            HandoffThread.platform == platform,
            HandoffThread.channel == channel,
            HandoffThread.thread_ref == thread_ref,
        )
    )


def other_threads(session: Session, handoff: Handoff, exclude: HandoffThread) -> list[HandoffThread]:
    """Where a reply must be mirrored: every thread of the handoff except the one it was written in."""
    return [
        t
        for t in session.scalars(select(HandoffThread).where(HandoffThread.handoff_id == handoff.id))
        if t.id != exclude.id
    ]


DEFAULT_REMIND_AFTER_WORKING_DAYS = 1


def add_working_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`days` weekdays after `start`, at the same local time: Friday 10:00 + 1 is Monday 10:00."""
    moment = start.astimezone(zone)
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def remind_after_working_days(org: Organization) -> int:
    value = (org.settings or {}).get("handoffs", {}).get("remind_after_working_days")
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_REMIND_AFTER_WORKING_DAYS


def due_reminders(session: Session, org: Organization, now: datetime) -> list[Handoff]:
    """Open handoffs nobody acknowledged within the organization's delay (working days), not yet reminded."""
    try:
        zone = ZoneInfo(org.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    days = remind_after_working_days(org)
    waiting = session.scalars(
        select(Handoff).where(
            Handoff.org_id == org.id,
            Handoff.status == "open",
            Handoff.reminded_at.is_(None),
            Handoff.created_at < now - timedelta(days=1),  # no delay is shorter than a day
        )
    )
    return [h for h in waiting if add_working_days(h.created_at, days, zone) <= now]


def open_handoff_summaries(session: Session, *conditions: ColumnElement[bool]) -> list[HandoffSummary]:
    """Handoffs not yet done that match the conditions (to a member, on an account), oldest first."""
    receiver = aliased(Member)
    rows = session.execute(
        select(Handoff, Account.name, Member.name, receiver.name)
        .join(Account, Account.id == Handoff.account_id)
        .join(Member, Member.id == Handoff.from_member_id)
        .join(receiver, receiver.id == Handoff.to_member_id)
        .where(Handoff.status != "done", *conditions)
        .order_by(Handoff.created_at)
    )
    return [
        HandoffSummary(
            handoff_id=h.id,
            account_name=account_name,
            from_name=from_name,
            to_name=to_name,
            topic=h.topic,
            note=h.note,
            status=h.status,
            due_date=h.due_date,
        )
        for h, account_name, from_name, to_name in rows
    ]
