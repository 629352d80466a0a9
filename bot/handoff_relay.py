"""Carrying handoffs between platforms: the thread root on each side, and every reply mirrored across.

A handoff started in Slack reaches a Teams CSM (and the reverse) because both sides are just channels:
each send goes through the exactly-once ledger, and the place it landed is recorded as that side's thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.compose import direct, platforms_of, recipient
from bot.delivery.ledger import Outcome, deliver
from bot.delivery.message import OutgoingMessage
from bot.handoffs import due_reminders, other_threads, record_thread
from bot.models import Account, Handoff, HandoffMessage, HandoffThread, Member, Organization, utcnow
from bot.render import actions as act
from bot.render import format as fmt
from bot.render.blocks import md
from bot.render.blocks_chat import handoff_reply_text, handoff_root_blocks
from bot.render.cards import card, lines, plain, text_block
from bot.tenancy import scope_session
from bot.views import HandoffSummary


def summary_of(h: Handoff, account: Account, sender: Member) -> HandoffSummary:
    return HandoffSummary(
        handoff_id=h.id,
        account_name=account.name,
        from_name=sender.name or sender.email,
        topic=h.topic,
        note=h.note,
        status=h.status,
        due_date=h.due_date,
    )


def handoff_card(
    h: HandoffSummary, to_name: str, promises: str | None, next_step: str | None, for_receiver: bool
) -> dict[str, object]:
    """The Teams side of a handoff root: same facts and actions as the Slack blocks."""
    body = [
        text_block(
            f"**{plain(h.topic.capitalize(), fmt.SHORT)}** on **{plain(h.account_name, fmt.NAME)}** "
            f"from {plain(h.from_name, fmt.SHORT)} to {plain(to_name, fmt.SHORT)}"
        ),
        *lines(plain(h.note, 1500, multiline=True)),
    ]
    if promises:
        body.append(text_block(f"**Promised to the customer:** {plain(promises, fmt.NEXT_STEP)}"))
    if next_step:
        body.append(text_block(f"**Next step:** {plain(next_step, fmt.NEXT_STEP)}"))
    if h.due_date:
        body.append(text_block(f"**Due:** {fmt.day_label(h.due_date)}"))
    body.append(text_block(f"Status: {plain(h.status, fmt.SHORT)} · reply here to talk to your pair", isSubtle=True))
    actions = []
    if h.status != "done":
        if for_receiver and h.status == "open":
            actions.append(
                {
                    "type": "Action.Submit",
                    "title": act.LABELS[act.HANDOFF_ACK],
                    "data": {"action": act.HANDOFF_ACK, "handoff_id": h.handoff_id},
                }
            )
        actions.append(
            {
                "type": "Action.Submit",
                "title": act.LABELS[act.HANDOFF_DONE],
                "data": {"action": act.HANDOFF_DONE, "handoff_id": h.handoff_id},
            }
        )
    return card(body, actions, f"Handoff on {fmt.clean(h.account_name, fmt.NAME)}")


def handoff_notice(platform: str, account_name: str, from_name: str) -> str:
    """The notification text of a handoff root, escaped for the platform's markup."""
    if platform == "slack":
        return f"Handoff on {md(account_name, fmt.NAME)} from {md(from_name, fmt.SHORT)}"
    return f"Handoff on {plain(account_name, fmt.NAME)} from {plain(from_name, fmt.SHORT)}"


def reply_body(author: str, platform: str, body: str) -> list[dict[str, object]]:
    """A mirrored reply in Teams: who wrote it and where, then each of its lines as its own paragraph."""
    where = "Teams" if platform == "teams" else "Slack"
    return [text_block(f"**{plain(author, fmt.SHORT)}** (from {where})"), *lines(plain(body, 2500, multiline=True))]


def root_messages(db: Database, org_id: int, handoff_id: int, day: date, platforms: set[str]) -> list[OutgoingMessage]:
    """The handoff's thread roots: the receiver's (with Acknowledge) and the sender's own copy."""
    with db.session() as session:
        scope_session(session, org_id)
        h = session.get_one(Handoff, handoff_id)
        account = session.get_one(Account, h.account_id)
        sender = session.get_one(Member, h.from_member_id)
        receiver = session.get_one(Member, h.to_member_id)
        summary = summary_of(h, account, sender)
        to_name = receiver.name or receiver.email
        messages = []
        for member, for_receiver in ((receiver, True), (sender, False)):
            for platform in platforms_of(member):
                if platform not in platforms:
                    continue
                text = handoff_notice(platform, account.name, summary.from_name)
                messages.append(
                    OutgoingMessage(
                        recipient=direct(member),
                        kind="handoff",
                        subject=f"handoff:{h.id}",
                        day=day,
                        platform=platform,
                        text=text,
                        blocks=handoff_root_blocks(summary, to_name, h.promises, h.next_step, for_receiver)
                        if platform == "slack"
                        else [],
                        card=handoff_card(summary, to_name, h.promises, h.next_step, for_receiver)
                        if platform == "teams"
                        else None,
                    )
                )
        return messages


def split_ref(ref: str) -> tuple[str, str]:
    """A channel's reference "<conversation>:<message>" (Teams conversation ids hold colons themselves)."""
    conversation, _, message = ref.rpartition(":")
    return conversation, message


def deliver_handoff(
    db: Database, org_id: int, handoff_id: int, channels: dict[str, Channel], day: date
) -> list[Outcome]:
    """Post the roots on every side that has a channel, and remember each as that side's thread."""
    outcomes = []
    for message in root_messages(db, org_id, handoff_id, day, set(channels)):
        outcome = deliver(db, org_id, channels[message.platform], message)
        outcomes.append(outcome)
        remember_root(db, org_id, message, outcome)
    return outcomes


def remember_root(db: Database, org_id: int, message: OutgoingMessage, outcome: Outcome) -> None:
    """A handoff's root, once posted (now or by a later retry), is the thread where that side's replies go."""
    if message.kind != "handoff" or not outcome.ref:
        return
    conversation, thread = split_ref(outcome.ref)
    with db.session() as session:
        scope_session(session, org_id)
        record_thread(
            session,
            session.get_one(Handoff, int(message.subject.removeprefix("handoff:"))),
            session.get_one(Member, message.recipient.member_id),
            message.platform,
            conversation,
            thread,
        )


def mirror_reply(
    db: Database, org_id: int, reply_id: int, origin_thread_id: int, channels: dict[str, Channel], day: date
) -> list[Outcome]:
    """Copy a reply into every other thread of its handoff, on whatever platform that thread lives."""
    with db.session() as session:
        scope_session(session, org_id)
        reply = session.get_one(HandoffMessage, reply_id)
        handoff = session.get_one(Handoff, reply.handoff_id)
        origin = session.get_one(HandoffThread, origin_thread_id)
        author = session.get(Member, reply.author_member_id) if reply.author_member_id else None
        author_name = (author.name or author.email) if author else "someone"
        messages = []
        for thread in other_threads(session, handoff, origin):
            if thread.platform not in channels:
                continue
            member = session.get_one(Member, thread.member_id)
            text = handoff_reply_text(author_name, reply.platform, reply.body)
            plain_text = f"{plain(author_name, fmt.SHORT)}: {plain(reply.body, 2500, multiline=True)}"
            messages.append(
                OutgoingMessage(
                    recipient=replace(recipient(member), channel=thread.channel),
                    kind="handoff_reply",
                    subject=f"reply:{reply.id}:{thread.id}",
                    day=day,
                    platform=thread.platform,
                    text=text if thread.platform == "slack" else plain_text,
                    card=card(reply_body(author_name, reply.platform, reply.body), [], plain_text)
                    if thread.platform == "teams"
                    else None,
                    thread=thread.thread_ref,
                )
            )
    return [deliver(db, org_id, channels[m.platform], m) for m in messages]


def send_reminders(
    db: Database, org_id: int, channels: dict[str, Channel], day: date, now: datetime | None = None
) -> list[Outcome]:
    """Remind the receiver of each handoff nobody acknowledged within the organization's delay (default one
    working day), once, in the handoff's own thread."""
    messages = []
    with db.session() as session:
        scope_session(session, org_id)
        org = session.get_one(Organization, org_id)
        for h in due_reminders(session, org, now or utcnow()):
            account = session.get_one(Account, h.account_id)
            receiver = session.get_one(Member, h.to_member_id)
            threads = {
                t.platform: t
                for t in session.scalars(
                    select(HandoffThread).where(
                        HandoffThread.handoff_id == h.id, HandoffThread.member_id == receiver.id
                    )
                )
            }
            for platform in platforms_of(receiver):
                if platform not in channels:
                    continue
                name = md(account.name, fmt.NAME) if platform == "slack" else plain(account.name, fmt.NAME)
                text = f"Reminder: the handoff on {name} is waiting for your acknowledgement."
                thread = threads.get(platform)
                who = direct(receiver)
                messages.append(
                    OutgoingMessage(
                        recipient=replace(who, channel=thread.channel) if thread else who,
                        kind="reminder",
                        subject=f"handoff:{h.id}",
                        day=day,
                        platform=platform,
                        text=text,
                        card=card([text_block(text)], [], text) if platform == "teams" else None,
                        thread=thread.thread_ref if thread else None,
                    )
                )
            h.reminded_at = utcnow()
    return [deliver(db, org_id, channels[m.platform], m) for m in messages]
