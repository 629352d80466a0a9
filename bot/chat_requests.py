"""What Slack and Teams requests share, whatever they render: the actor's day, the audited account lookup,
the account answer with the model's brief (the model called with no transaction open), and the handoff
operations, each bound to the actor's organization."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.account_view import build_account_answer
from bot.briefs import apply_brief, complete, prepare_brief
from bot.db import Database
from bot.digest import member_accounts
from bot.handoffs import HandoffDraft, HandoffError, acknowledge, mark_done, start_handoff
from bot.llm import Writer
from bot.localtime import local_day
from bot.lookup import LookupResult, find_account
from bot.membership import Actor
from bot.models import Account, Handoff, ModelText
from bot.render import actions as act
from bot.settings import Settings
from bot.views import AccountAnswer, AccountChoice, AccountChooser


def today_for(actor: Actor) -> date:
    return local_day(actor.member.timezone, actor.org.timezone)


def audited_lookup(session: Session, actor: Actor, query: str) -> LookupResult:
    """The account a person typed, recorded in the audit log (the outcome, never the text typed)."""
    result = find_account(session, actor.org.id, query)
    audit.record(
        session,
        actor.org.id,
        actor.member.email,
        "account.lookup",
        result.status,
        matches=len(result.choices) or int(result.match is not None),
    )
    return result


def chooser_of(result: LookupResult) -> AccountChooser:
    return AccountChooser(
        query=result.query,
        choices=[AccountChoice(account_id=c.account_id, name=c.name, domain=c.domain) for c in result.choices],
    )


def answer_with_brief(
    db: Database,
    settings: Settings,
    acting: Callable[[], AbstractContextManager[tuple[Session, Actor]]],
    account_id: int,
    shared: bool,
) -> tuple[AccountAnswer, str | None] | None:
    """The answer with the model's brief (or its marked fallback), and who shared it; None when the
    account is not the actor's organization's."""
    writer = Writer.from_settings(settings)
    with acting() as (session, actor):
        try:
            answer = build_account_answer(session, actor.org.id, account_id, today_for(actor))
        except LookupError:
            return None
        step = prepare_brief(session, actor.org.id, answer, writer)
        shared_by = actor.member.name if shared else None
    apply_brief(answer, complete(db, writer, step))  # the model call, no transaction open
    return answer, shared_by


def why_no_single_match(result: LookupResult, query: str) -> str:
    """What a person reads when the account they typed for a handoff is not one account."""
    if result.status == "ambiguous":
        names = ", ".join(c.name for c in result.choices)
        return f"Several accounts match “{query}”: {names}. Use the full name."
    return f"No account matches “{query}”."


def start_handoff_as(
    session: Session, actor: Actor, account_id: int, draft: HandoffDraft, origin_ref: str
) -> tuple[int, int, bool]:
    """Create the handoff once per request, from the actor's organization only; returns (org id, handoff
    id, created)."""
    account = session.get(Account, account_id)
    if account is None or account.org_id != actor.org.id:
        raise HandoffError("no such account")
    handoff, created = start_handoff(session, account, actor.member, draft, origin_ref)
    audit.record(session, actor.org.id, actor.member.email, "handoff.start", f"handoff:{handoff.id}")
    return actor.org.id, handoff.id, created


def set_handoff_status_as(session: Session, actor: Actor, action: str, handoff_id: int) -> tuple[int, str]:
    """Acknowledge or close a handoff of the actor's organization; returns (org id, new status)."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.org_id != actor.org.id:
        raise HandoffError("no such handoff")
    if action == act.HANDOFF_ACK:
        acknowledge(session, handoff, actor.member)
    else:
        mark_done(session, handoff, actor.member)
    return actor.org.id, handoff.status


MAX_ACCOUNT_WORDS = 8  # the longest account name tried at the start of a handoff without a colon


def split_handoff(text: str) -> tuple[str, str]:
    """`<account>: <note>`, else the first word (`resolve_handoff` may widen the account)."""
    account, sep, note = text.partition(":")
    if not sep:
        account, _, note = text.partition(" ")
    return account.strip(), note.strip()


def resolve_handoff(session: Session, actor: Actor, text: str, usage: str) -> tuple[int | None, str, str]:
    """`<account>: <note>` or `<account name> <note>`: (account id, note, why not).

    Without a colon, the longest run of leading words naming an account exactly wins ("Northwind Logistics
    usage is down" finds Northwind Logistics); else the first word, matched fuzzily.
    """
    account_part, note = split_handoff(text)
    if ":" not in text:
        words = text.split()
        for n in range(min(len(words) - 1, MAX_ACCOUNT_WORDS), 0, -1):
            candidate = find_account(session, actor.org.id, " ".join(words[:n]))
            if candidate.status == "found" and candidate.match and candidate.match.score >= 100.0:
                return candidate.match.account_id, " ".join(words[n:]), ""
    if not account_part or not note:
        return None, "", usage
    result = find_account(session, actor.org.id, account_part)
    if result.status == "found" and result.match is not None:
        return result.match.account_id, note, ""
    return None, note, why_no_single_match(result, account_part)


@dataclass(frozen=True)
class ModelInputView:
    """ "What did the model see?": the heading, and exactly the masked input (empty when refused)."""

    heading: str
    masked_input: str = ""


def model_input_as(session: Session, actor: Actor, text_id: int) -> ModelInputView:
    """The masked input of a model-written text, for the actor's organization; an account's brief only for
    the account's own team (or a manager), a digest opening for any member."""
    row = session.scalar(select(ModelText).where(ModelText.id == text_id, ModelText.org_id == actor.org.id))
    if row is None:
        return ModelInputView("That model text is no longer stored.")
    outside = row.account_id is not None and actor.member.role != "manager"
    if outside and row.account_id not in {a.id for a in member_accounts(session, actor.org.id, actor.member)}:
        return ModelInputView("Only the account's own team can see what the model was sent.")
    heading = f"What the model saw (emails and phone numbers masked), prompt {row.prompt_version}:"
    return ModelInputView(heading, row.masked_input)
