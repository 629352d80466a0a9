"""What Slack and Teams requests share, whatever they render: the actor's day, the audited account lookup,
and the account answer with the model's brief (the model called with no transaction open)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

from sqlalchemy.orm import Session

from bot import audit
from bot.account_view import build_account_answer
from bot.briefs import apply_brief, complete, prepare_brief
from bot.db import Database
from bot.llm import Writer
from bot.localtime import local_day
from bot.lookup import LookupResult, find_account
from bot.membership import Actor
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
