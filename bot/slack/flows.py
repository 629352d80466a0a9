"""What each Slack request does, as plain synchronous functions over the database (Bolt runs them in a thread).

Every function starts with the membership check: the Slack workspace must be linked to an organization and
the Slack user must be an active member of it, before any query on the book.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot import audit, item_actions
from bot.account_view import build_account_answer
from bot.chat_requests import (
    answer_with_brief,
    audited_lookup,
    chooser_of,
    resolve_handoff,
    set_handoff_status_as,
    start_handoff_as,
    today_for,
)
from bot.db import Database
from bot.handoffs import HandoffDraft, add_reply, find_by_thread
from bot.llm import model_configured
from bot.membership import Actor, resolve_actor
from bot.models import Handoff
from bot.render import actions as act
from bot.render.blocks_chat import (
    account_blocks,
    account_fallback_text,
    chooser_blocks,
    help_blocks,
    no_match_blocks,
)
from bot.settings import Settings
from bot.views import AccountAnswer

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What Tandem answers: Slack blocks and their fallback text."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    account_id: int | None = None  # set when the reply is an account answer (the brief may follow)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


@dataclass(frozen=True)
class Who:
    """The Slack identity behind a request."""

    team_id: str | None
    user_id: str


class SlackFlows:
    def __init__(self, db: Database, settings: Settings, single_workspace: bool) -> None:
        self.db = db
        self.settings = settings
        # One bot token, no OAuth: the workspace belongs to the configured organization until linked.
        self.default_org = settings.org if single_workspace else None

    @contextmanager
    def acting(self, who: Who) -> Iterator[tuple[Session, Actor]]:
        """A session scoped to the actor's organization; raises NotAMember before anything is read."""
        with self.db.session() as session:
            yield session, resolve_actor(session, "slack", who.team_id, who.user_id, self.default_org)

    # -- /account ---------------------------------------------------------------------------------------
    def lookup(self, who: Who, query: str) -> Reply:
        with self.acting(who) as (session, actor):
            result = audited_lookup(session, actor, query)
            if result.status == "empty":
                return Reply("How to use Tandem", help_blocks())
            if result.status == "none":
                return Reply("No account matches", no_match_blocks(query))
            if result.status == "ambiguous":
                return Reply("Several accounts match", chooser_blocks(chooser_of(result)))
            assert result.match is not None
            return self._answer(session, actor, result.match.account_id)

    def show(self, who: Who, account_id: int, shared: bool = False, brief: bool = False) -> Reply:
        """One account by id (from the chooser or a button); ids of another organization find nothing.
        `brief`: with the model's brief, for answers sent once (not updated after the ack)."""
        with self.acting(who) as (session, actor):
            reply = self._answer(session, actor, account_id, shared)
        if brief and reply.account_id is not None:
            return self.with_brief(who, account_id, shared) or reply
        return reply

    def with_brief(self, who: Who, account_id: int, shared: bool = False) -> Reply | None:
        """The answer again, with the model's brief: sent after the ack to update the first answer.
        None without a model (the first answer is final)."""
        if not model_configured(self.settings):
            return None
        found = answer_with_brief(self.db, self.settings, lambda: self.acting(who), account_id, shared)
        return self.render(*found) if found is not None else None

    def _answer(self, session: Session, actor: Actor, account_id: int, shared: bool = False) -> Reply:
        try:
            answer = build_account_answer(session, actor.org.id, account_id, today_for(actor))
        except LookupError:
            return Reply("That account is not in your organization.")
        audit.record(session, actor.org.id, actor.member.email, "account.view", f"account:{answer.external_id}")
        return self.render(answer, actor.member.name if shared else None)

    @staticmethod
    def render(answer: AccountAnswer, shared_by: str | None = None) -> Reply:
        return Reply(account_fallback_text(answer), account_blocks(answer, shared_by), answer.account_id)

    def answer_view(self, who: Who, account_id: int) -> AccountAnswer:
        with self.acting(who) as (session, actor):
            return build_account_answer(session, actor.org.id, account_id, today_for(actor))

    # -- digest buttons -----------------------------------------------------------------------------------
    def item_action(self, who: Who, action: str, value: str) -> str:
        _, signal_ids = act.parse_button_value(value)
        with self.acting(who) as (session, actor):
            return item_actions.perform(session, actor.member, action, signal_ids)

    # -- handoffs -----------------------------------------------------------------------------------------
    def accounts_of(self, who: Who) -> list[tuple[int, str]]:
        """The accounts a member may hand off (their own book), for the modal's account picker."""
        from bot.digest import member_accounts

        with self.acting(who) as (session, actor):
            return [(a.id, a.name) for a in member_accounts(session, actor.org.id, actor.member)][:100]

    def parse_handoff(self, who: Who, text: str) -> tuple[int | None, str, str]:
        """`/handoff <account>: <note>` or `/handoff <account name> <note>`: (account id, note, why not)."""
        with self.acting(who) as (session, actor):
            return resolve_handoff(session, actor, text, "Usage: `/handoff <account>: <note>`")

    def start(self, who: Who, account_id: int, draft: HandoffDraft, origin_ref: str) -> tuple[int, int, bool]:
        """Create the handoff once per request; returns (org id, handoff id, created)."""
        with self.acting(who) as (session, actor):
            return start_handoff_as(session, actor, account_id, draft, origin_ref)

    def set_status(self, who: Who, action: str, handoff_id: int) -> tuple[int, str]:
        with self.acting(who) as (session, actor):
            return set_handoff_status_as(session, actor, action, handoff_id)

    def thread_reply(self, who: Who, channel: str, thread_ts: str, ts: str, text: str) -> tuple[int, int, int] | None:
        """A message in a handoff thread: stored once; returns (org id, reply id, thread id) to mirror."""
        with self.acting(who) as (session, actor):
            thread = find_by_thread(session, "slack", channel, thread_ts)
            if thread is None or thread.org_id != actor.org.id:
                return None
            handoff = session.get_one(Handoff, thread.handoff_id)
            reply, created = add_reply(session, handoff, actor.member, "slack", text, external_ref=f"{channel}:{ts}")
            return (actor.org.id, reply.id, thread.id) if created else None
