"""Erase one person from an organization's data (GDPR article 17).

The rows that are the person's are emptied (a contact's name, email, phone and title; a member's identity,
chat ids and Teams conversation reference). Every text and stored message that names them is redacted in
place: tickets, notes, handoffs and their replies, signals, alerts, digests, the audit log's actors, the
delivery ledger. Model
texts that quote them are dropped, since they would only be rebuilt from the old text. Rows, counts and
amounts stay, so the account's history and aggregates are intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.models import (
    Account,
    Alert,
    AuditEntry,
    Contact,
    ConversationRef,
    Delivery,
    Digest,
    Handoff,
    HandoffMessage,
    Member,
    ModelText,
    Note,
    Organization,
    Signal,
    StoredAnswer,
    Ticket,
)
from bot.tenancy import scope_session

ERASED = "[erased]"
MIN_NEEDLE = 4  # shorter names ("Li") would redact unrelated words

# Where a person can be named: (model, plain text fields, JSON fields).
NAMED_IN: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (Ticket, ("subject", "body"), ()),
    (Note, ("body",), ()),
    (Handoff, ("note", "promises", "next_step"), ()),
    (HandoffMessage, ("body",), ()),
    (Signal, ("title",), ("reasons", "evidence", "next_steps")),
    (Alert, (), ("payload",)),
    (Digest, (), ("payload",)),
    (AuditEntry, ("actor", "target"), ("details",)),
    (Delivery, ("external_ref", "error"), ("message",)),  # an outbox path names its recipient; a retry copy
)


@dataclass
class ErasureReport:
    contacts: int = 0
    members: int = 0
    texts: int = 0  # rows whose text or stored message named the person


def erase_person(session: Session, org: Organization, email: str) -> ErasureReport:
    """Erase one person's personal data everywhere it appears; rows and aggregates stay."""
    scope_session(session, org.id)
    email = email.strip().lower()
    report = ErasureReport()
    needles = [email]
    accounts: set[int] = set()  # whose model texts were written from a text that named the person
    for contact in session.scalars(select(Contact).where(Contact.org_id == org.id, Contact.email == email)):
        needles += [v for v in (contact.name, contact.phone) if v]
        accounts.add(contact.account_id)
        contact.name, contact.email, contact.phone, contact.title = ERASED, None, None, None
        report.contacts += 1
    for member in session.scalars(select(Member).where(Member.org_id == org.id, Member.email == email)):
        needles.append(member.name)
        session.execute(delete(ConversationRef).where(ConversationRef.member_id == member.id))
        member.name, member.email, member.active = ERASED, f"erased-{member.id}@invalid", False
        member.slack_user_id = member.teams_user_id = None
        report.members += 1
    for owner in (Account.am_email, Account.csm_email):
        session.execute(update(Account).where(Account.org_id == org.id, owner == email).values({owner: None}))
    session.execute(update(Note).where(Note.org_id == org.id, Note.author_email == email).values(author_email=None))
    needles = sorted({n for n in needles if len(n) >= MIN_NEEDLE}, key=len, reverse=True)
    if not needles:  # nothing long enough to search for (an empty pattern would match every text)
        return report
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    for model, texts, documents in NAMED_IN:
        changed = _redact_rows(session, model, org.id, texts, documents, pattern)
        report.texts += len(changed)
        accounts.update(account for row in changed if (account := getattr(row, "account_id", None)) is not None)
    _drop_model_texts(session, org.id, accounts, pattern)
    # Stored answers may name the person (stakeholders): dropped, each is rebuilt on its next request.
    session.execute(delete(StoredAnswer).where(StoredAnswer.org_id == org.id))
    return report


def _redact_rows(
    session: Session,
    model: Any,
    org_id: int,
    texts: tuple[str, ...],
    documents: tuple[str, ...],
    pattern: re.Pattern[str],
) -> list[Any]:
    """Redact the fields in place and return the rows that named the person; the others are let go of at once
    (memory)."""
    changed = []
    for row in session.scalars(select(model).where(model.org_id == org_id).execution_options(yield_per=500)):
        touched = False
        for field in texts + documents:
            value = getattr(row, field)
            redacted = _redact(value, pattern)
            if redacted != value:
                setattr(row, field, redacted)
                touched = True
        if touched:
            changed.append(row)
        else:
            session.expunge(row)
    return changed


def _drop_model_texts(session: Session, org_id: int, accounts: set[int], pattern: re.Pattern[str]) -> None:
    """Briefs and openings written from a text that named the person (or about an account where one did: the
    model saw the masked email, not the address) are rebuilt from the redacted text."""
    quoting = [
        text_id
        for text_id, masked, output in session.execute(
            select(ModelText.id, ModelText.masked_input, ModelText.output)
            .where(ModelText.org_id == org_id)
            .execution_options(yield_per=500)
        )
        if pattern.search(masked) or pattern.search(output)
    ]
    session.execute(delete(ModelText).where(ModelText.org_id == org_id, ModelText.account_id.in_(accounts)))
    if quoting:
        session.execute(delete(ModelText).where(ModelText.id.in_(quoting)))


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    """The value with every mention replaced, through nested JSON documents; unchanged values are returned
    as the same object, so callers can tell what changed."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value) if pattern.search(value) else value
    if isinstance(value, dict):
        items = {k: _redact(v, pattern) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list):
        elements = [_redact(v, pattern) for v in value]
        return elements if any(a is not b for a, b in zip(elements, value, strict=True)) else value
    return value
