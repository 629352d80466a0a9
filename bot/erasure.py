"""Erase one person from an organization's data (GDPR article 17).

The rows that are the person's are emptied (a contact's name, email, phone and title; a member's identity,
chat ids and Teams conversation reference). Every text and stored message that names them is redacted in
place: tickets, notes, handoffs and their replies, signals, alerts, digests, the audit log's actors, the
delivery ledger. Model
texts that quote them are dropped, since they would only be rebuilt from the old text. Rows, counts and
amounts stay, so the account's history and aggregates are intact.

A phone number is matched by its normalized (E.164) form, whatever its spelling: "020 7946 0111" and
"+442079460111" are the same number as "+44 20 7946 0111". What Tandem wrote outside its database (outbox
files written with --out, exports, logs shipped elsewhere) is out of its reach: `unreachable` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
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


# What erasure cannot reach, said to whoever runs it.
UNREACHABLE = (
    "files Tandem already wrote outside its database (outbox JSON written with --out, `org export` zips) "
    "and logs shipped elsewhere still name the person: delete or redact them where they are"
)


@dataclass
class ErasureReport:
    contacts: int = 0
    members: int = 0
    texts: int = 0  # rows whose text or stored message named the person
    unreachable: str = UNREACHABLE


@dataclass(frozen=True)
class _Mentions:
    """How the person can be named: words (email, name, the phone as written) and phone numbers (E.164)."""

    pattern: re.Pattern[str] | None
    phones: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None  # for numbers written in national format ("020 ...")

    def redact(self, text: str) -> str:
        if self.pattern is not None and self.pattern.search(text):
            text = self.pattern.sub(ERASED, text)
        if not self.phones or not any(c.isdigit() for c in text):
            return text
        spans = [
            (m.start, m.end)
            for m in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=phonenumbers.Leniency.POSSIBLE)
            if phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164) in self.phones
        ]
        for start, end in reversed(spans):
            text = text[:start] + ERASED + text[end:]
        return text

    def found_in(self, text: str) -> bool:
        return self.redact(text) != text


def _mentions(needles: list[str], phones: list[str]) -> _Mentions | None:
    words = sorted({n for n in needles if len(n) >= MIN_NEEDLE}, key=len, reverse=True)
    numbers: set[str] = set()
    region = None
    for phone in phones:
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            continue  # no country code: matched as written only
        numbers.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        region = region or phonenumbers.region_code_for_number(number)
    if not words and not numbers:  # nothing to search for (an empty pattern would match every text)
        return None
    pattern = re.compile("|".join(re.escape(n) for n in words), re.IGNORECASE) if words else None
    return _Mentions(pattern, frozenset(numbers), region)


def erase_person(session: Session, org: Organization, email: str) -> ErasureReport:
    """Erase one person's personal data everywhere it appears; rows and aggregates stay."""
    scope_session(session, org.id)
    email = email.strip().lower()
    report = ErasureReport()
    needles = [email]
    phones: list[str] = []
    accounts: set[int] = set()  # whose model texts were written from a text that named the person
    for contact in session.scalars(select(Contact).where(Contact.org_id == org.id, Contact.email == email)):
        needles += [v for v in (contact.name, contact.phone) if v]
        phones += [contact.phone] if contact.phone else []
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
    # Stored answers may name the person (stakeholders): dropped, each is rebuilt on its next request.
    session.execute(delete(StoredAnswer).where(StoredAnswer.org_id == org.id))
    mentions = _mentions(needles, phones)
    if mentions is None:
        return report
    for model, texts, documents in NAMED_IN:
        changed = _redact_rows(session, model, org.id, texts, documents, mentions)
        report.texts += len(changed)
        accounts.update(account for row in changed if (account := getattr(row, "account_id", None)) is not None)
    _drop_model_texts(session, org.id, accounts, mentions)
    return report


def _redact_rows(
    session: Session,
    model: Any,
    org_id: int,
    texts: tuple[str, ...],
    documents: tuple[str, ...],
    mentions: _Mentions,
) -> list[Any]:
    """Redact the fields in place and return the rows that named the person; the others are let go of at once
    (memory)."""
    changed = []
    for row in session.scalars(select(model).where(model.org_id == org_id).execution_options(yield_per=500)):
        touched = False
        for name in texts + documents:
            value = getattr(row, name)
            redacted = _redact(value, mentions)
            if redacted != value:
                setattr(row, name, redacted)
                touched = True
        if touched:
            changed.append(row)
        else:
            session.expunge(row)
    return changed


def _drop_model_texts(session: Session, org_id: int, accounts: set[int], mentions: _Mentions) -> None:
    """Briefs and openings written from a text that named the person (or about an account where one did: the
    model saw the masked email, not the address) are rebuilt from the redacted text."""
    quoting = [
        text_id
        for text_id, masked, output in session.execute(
            select(ModelText.id, ModelText.masked_input, ModelText.output)
            .where(ModelText.org_id == org_id)
            .execution_options(yield_per=500)
        )
        if mentions.found_in(masked) or mentions.found_in(output)
    ]
    session.execute(delete(ModelText).where(ModelText.org_id == org_id, ModelText.account_id.in_(accounts)))
    if quoting:
        session.execute(delete(ModelText).where(ModelText.id.in_(quoting)))


def _redact(value: Any, mentions: _Mentions) -> Any:
    """The value with every mention replaced, through nested JSON documents; unchanged values are returned
    as the same object, so callers can tell what changed."""
    if isinstance(value, str):
        redacted = mentions.redact(value)
        return redacted if redacted != value else value
    if isinstance(value, dict):
        items = {k: _redact(v, mentions) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list):
        elements = [_redact(v, mentions) for v in value]
        return elements if any(a is not b for a, b in zip(elements, value, strict=True)) else value
    return value
