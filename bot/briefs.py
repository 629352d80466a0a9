"""Model-written texts on top of the signals: the two-line account brief and the digest opening.

Both go through `bot.llm.Writer` (mask, cache, call, check, restore) and both keep the deterministic
text when there is no model, or it fails. The inputs leave out what changes every day without the data
changing (days to renewal, new/ongoing), so an unchanged account costs no model call on the next run.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.account_view import deterministic_brief
from bot.db import Database, org_scope
from bot.llm import BRIEF, OPENING, Writer, model_input_for
from bot.llm.writer import Pending, Written
from bot.models import Member, Note, Organization, Signal, Ticket
from bot.settings import Settings
from bot.views import AccountAnswer, Digest
from scoring.results import SEVERITY_NAMES

RECENT_NOTES = 5
RECENT_TICKETS = 5
TEXT_LIMIT = 600  # characters of one note or ticket body: the gist, not the whole thread
OPENING_ITEMS = 8
OPENING_WRITING_ITEMS = 3  # the top items' recent notes and tickets: what people wrote, not only numbers
OPENING_TEXT_LIMIT = 240
_VOLATILE_EVIDENCE = {"days_to_renewal", "oldest_open_days", "days_since_touch", "max_days_overdue"}


def _clip(text: str | None, limit: int = TEXT_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _money(value: float | None, currency: str | None) -> str:
    return "unknown" if value is None else f"{value:,.0f} {currency or ''}".strip()


def _severity(value: int) -> str:
    return SEVERITY_NAMES.get(value, str(value))


def _evidence(evidence: dict[str, Any]) -> str:
    kept = {k: v for k, v in evidence.items() if k not in _VOLATILE_EVIDENCE}
    return json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)


def _recent_writing(session: Session, org_id: int, account_id: int, notes: int, tickets: int, limit: int) -> list[str]:
    """What people wrote on an account lately: notes, then tickets, newest first, as data lines."""
    lines = ["Recent notes (newest first):"]
    found_notes = session.scalars(
        select(Note)
        .where(Note.org_id == org_id, Note.account_id == account_id)
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(notes)
    ).all()
    lines += [f"- {n.created_at.date()}: {_clip(n.body, limit)}" for n in found_notes] or ["- none"]
    lines.append("Recent support tickets (newest first):")
    found_tickets = session.scalars(
        select(Ticket)
        .where(Ticket.org_id == org_id, Ticket.account_id == account_id)
        .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
        .limit(tickets)
    ).all()
    lines += [
        f"- {t.external_id} ({t.opened_at.date()}, {t.priority or 'no priority'}, {t.status or 'unknown'}): "
        f"{_clip(t.subject, 200)}. {_clip(t.body, limit)}"
        for t in found_tickets
    ] or ["- none"]
    return lines


def brief_input(session: Session, org_id: int, answer: AccountAnswer) -> str:
    """The account's active signals with evidence, then what people wrote: recent notes and tickets."""
    lines = [
        f"Account: {answer.name}",
        f"ARR: {_money(answer.arr, answer.currency)}; plan: {answer.plan or 'unknown'}; "
        f"renewal date: {answer.renewal_date or 'unknown'}; health: "
        f"{answer.health if answer.health is not None else 'unknown'}/100"
        + (f" ({answer.health_trend_30d:+d} in 30 days)" if answer.health_trend_30d else ""),
        "",
        "Active signals:",
    ]
    signals = session.scalars(
        select(Signal)
        .where(Signal.org_id == org_id, Signal.account_id == answer.account_id, Signal.status == "active")
        .order_by(Signal.severity.desc(), Signal.kind)
    ).all()
    for s in signals:
        lines.append(f"- [{_severity(s.severity)}] {s.title}")
        lines += [f"  reason: {_clip(str(r), 300)}" for r in s.reasons]
        lines.append(f"  evidence: {_clip(_evidence(s.evidence), 800)}")
    if not signals:
        lines.append("- none")
    lines.append("")
    lines += _recent_writing(session, org_id, answer.account_id, RECENT_NOTES, RECENT_TICKETS, TEXT_LIMIT)
    return "\n".join(lines)


def opening_input(session: Session, org_id: int, digest: Digest) -> str:
    """The reader's items, most important first, with what people wrote lately on the first few (no dates
    relative to today: they change daily)."""
    currency = digest.figures.currency
    lines = [
        f"Accounts needing attention: {len(digest.items) + digest.more_count}",
        f"Book: {digest.figures.accounts} accounts, ARR {_money(digest.figures.arr_total, currency)}, "
        f"ARR at risk {_money(digest.figures.arr_at_risk, currency)}",
        "",
        "Items:",
    ]
    for index, item in enumerate(digest.items[:OPENING_ITEMS]):
        lines.append(
            f"- {item.account_name} [{_severity(item.severity)}] ARR {_money(item.arr, currency)}, "
            f"renewal date {item.renewal_date or 'unknown'}: {item.headline}"
        )
        lines += [f"  reason: {_clip(r, 300)}" for r in item.reasons[:3]]
        if item.next_step:
            lines.append(f"  next step: {_clip(item.next_step, 300)}")
        if index < OPENING_WRITING_ITEMS:
            writing = _recent_writing(session, org_id, item.account_id, 2, 2, OPENING_TEXT_LIMIT)
            lines += [f"  {line}" for line in writing]
    if not digest.items:
        lines.append("- none: nothing needs the reader today")
    return "\n".join(lines)


def complete(db: Database, writer: Writer, step: Written | Pending) -> Written:
    """Outside any transaction: ask the model when needed, then store its text in a short one of its own."""
    if isinstance(step, Written):
        return step
    answered = writer.call(step)
    if isinstance(answered, Written):
        return answered
    with org_scope(answered.pending.org_id), db.session() as session:  # stored in the text's organization
        return writer.keep(session, answered)


def prepare_brief(session: Session, org_id: int, answer: AccountAnswer, writer: Writer) -> Written | Pending:
    return writer.prepare(
        session,
        org_id=org_id,
        account_id=answer.account_id,
        purpose="brief",
        prompt_name="account_brief",
        data=brief_input(session, org_id, answer),
        fields={},
        shape=BRIEF,
        fallback=answer.brief or deterministic_brief(answer),
        max_tokens=200,
    )


def apply_brief(answer: AccountAnswer, written: Written) -> None:
    """The model's two-line brief on the answer (or the deterministic one), originals restored."""
    answer.brief, answer.brief_by_model, answer.brief_model_text_id = (
        written.text,
        written.by_model,
        written.model_text_id,
    )


def write_brief(
    session: Session, org_id: int, answer: AccountAnswer, settings: Settings, writer: Writer | None = None
) -> None:
    """The brief in the caller's session, model call included (scripts and tests; chat requests use
    prepare_brief + complete so that no transaction stays open during the call)."""
    writer = writer or Writer.from_settings(settings)
    apply_brief(answer, writer.finish(session, prepare_brief(session, org_id, answer, writer)))


def prepare_opening(
    session: Session, org: Organization, member: Member, digest: Digest, writer: Writer
) -> Written | Pending:
    first = member.name.split()[0] if member.name and member.name.split() else "there"
    role = {"am": "account manager", "csm": "customer success manager"}.get(member.role, member.role)
    return writer.prepare(
        session,
        org_id=org.id,
        account_id=None,
        purpose="opening",
        prompt_name="digest_opening",
        data=opening_input(session, org.id, digest),
        fields={"reader": first, "role": role},
        shape=OPENING,
        fallback=digest.opening,
        max_tokens=160,
    )


def apply_opening(digest: Digest, written: Written) -> None:
    digest.opening, digest.opening_by_model = written.text, written.by_model
    digest.opening_model_text_id = written.model_text_id if written.by_model else None


__all__ = [
    "apply_brief",
    "apply_opening",
    "brief_input",
    "complete",
    "model_input_for",
    "opening_input",
    "prepare_brief",
    "prepare_opening",
    "write_brief",
]
