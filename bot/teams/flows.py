"""What each Teams request does, as plain synchronous functions over the database (the bot runs them in a thread).

Every function starts with the membership check: the tenant must be linked to an organization (or the
deployment serve one organization) and the Teams user must be an active member of it, before any query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit, item_actions, working_days
from bot.account_view import build_account_answer
from bot.chat_requests import (
    answer_with_brief,
    audited_lookup,
    chooser_of,
    model_input_as,
    resolve_handoff,
    set_handoff_status_as,
    start_handoff_as,
    today_for,
)
from bot.db import Database
from bot.handoff_draft import prefill
from bot.handoffs import (
    HandoffDraft,
    HandoffError,
    add_reply,
    counterpart,
    find_by_thread,
)
from bot.llm import model_configured
from bot.membership import Actor, NotAMember, resolve_actor
from bot.models import Account, ChatLink, Handoff, HandoffThread, Member, Organization
from bot.portfolio import member_portfolio
from bot.render.cards_account import (
    account_card,
    account_fallback,
    chooser_card,
    handoff_form_card,
    help_card,
    message_card,
    model_input_card,
    no_match_card,
)
from bot.render.cards_settings import read_settings, settings_card
from bot.render.portfolio_home import home_card
from bot.settings import Settings

NOT_A_MEMBER = "Tandem does not know you in this organization: ask your Tandem admin to add you."


@dataclass(frozen=True)
class TeamsWho:
    """The Teams identity behind a request: tenant, the channel user id ("29:...") and the Entra object id."""

    tenant_id: str | None
    user_id: str
    aad_object_id: str | None = None


@dataclass
class TeamsReply:
    text: str
    card: dict[str, Any] | None = None
    account_id: int | None = None  # set on an account answer: the model's brief may update it


def notice(text: str) -> TeamsReply:
    return TeamsReply(text, message_card(text))


class TeamsFlows:
    def __init__(self, db: Database, default_org: str | None, settings: Settings | None = None) -> None:
        self.db = db
        self.settings = settings  # None: no model-written briefs (the deterministic one)
        # A deployment serving one organization: its tenant belongs to it until an admin links tenants.
        self.default_org = default_org

    def _resolve(self, session: Session, who: TeamsWho) -> Actor:
        try:
            return resolve_actor(session, "teams", who.tenant_id, who.user_id, self.default_org)
        except NotAMember:
            if not who.aad_object_id:
                raise
            return resolve_actor(session, "teams", who.tenant_id, who.aad_object_id, self.default_org)

    @contextmanager
    def acting(self, who: TeamsWho) -> Iterator[tuple[Session, Actor]]:
        """A session scoped to the actor's organization; raises NotAMember before anything is read."""
        with self.db.session() as session:
            yield session, self._resolve(session, who)

    # -- identity -----------------------------------------------------------------------------------------
    def bind_by_email(self, who: TeamsWho, email: str) -> bool:
        """First contact of someone the team file knows by email only: remember their Teams id.

        Only a member of the organization the tenant maps to, without a Teams id yet, is bound.
        """
        if not email or "@" not in email:
            return False
        with self.db.session() as session:
            try:
                self._resolve(session, who)
                return True
            except NotAMember:
                pass
            org = None
            if who.tenant_id:
                link = session.scalar(
                    select(ChatLink).where(ChatLink.platform == "teams", ChatLink.external_id == who.tenant_id)
                )
                org = session.get(Organization, link.org_id) if link else None
            if org is None and self.default_org:
                org = session.scalar(select(Organization).where(Organization.slug == self.default_org))
            if org is None:
                return False
            member = session.scalar(
                select(Member).where(
                    Member.org_id == org.id,
                    Member.email == email.strip().lower(),
                    Member.active.is_(True),
                    Member.teams_user_id.is_(None),
                )
            )
            if member is None:
                return False
            member.teams_user_id = who.user_id
            audit.record(session, org.id, member.email, "teams.bind", f"member:{member.id}")
            return True

    def remember(self, who: TeamsWho, store: Any, timezone: str | None) -> tuple[int, int]:
        """Store the member's conversation reference (`store(session, member)`); fill their timezone if unset."""
        with self.acting(who) as (session, actor):
            store(session, actor.member)
            if timezone and not actor.member.timezone:
                try:
                    ZoneInfo(timezone)
                except (KeyError, ValueError):
                    pass
                else:
                    actor.member.timezone = timezone
            return actor.org.id, actor.member.id

    def member_of(self, who: TeamsWho) -> tuple[int, int]:
        with self.acting(who) as (_, actor):
            return actor.org.id, actor.member.id

    # -- home ---------------------------------------------------------------------------------------------
    def home(self, who: TeamsWho) -> TeamsReply:
        """The member's portfolio indicators and digest settings (Teams has no App Home tab: a card)."""
        with self.acting(who) as (session, actor):
            member = actor.member
            p = member_portfolio(session, actor.org, member, today_for(actor))
            settings = {
                "Digest time": f"{member.digest_time} ({member.timezone or actor.org.timezone})",
                "Items per digest": str(member.digest_budget),
            }
            return TeamsReply("Your portfolio", home_card(member.name or member.email, p, settings))

    # -- account ------------------------------------------------------------------------------------------
    def lookup(self, who: TeamsWho, query: str, shared: bool = False) -> TeamsReply:
        with self.acting(who) as (session, actor):
            result = audited_lookup(session, actor, query)
            if result.status == "empty":
                return TeamsReply("How to use Tandem", help_card())
            if result.status == "none":
                return TeamsReply("No account matches", no_match_card(query))
            if result.status == "ambiguous":
                return TeamsReply("Several accounts match", chooser_card(chooser_of(result)))
            assert result.match is not None
            return self._answer(session, actor, result.match.account_id, shared)

    def show(self, who: TeamsWho, account_id: int, shared: bool = False) -> TeamsReply:
        """One account by id (from the chooser or a button); ids of another organization find nothing."""
        with self.acting(who) as (session, actor):
            return self._answer(session, actor, account_id, shared)

    @property
    def model_on(self) -> bool:
        return self.settings is not None and model_configured(self.settings)

    def with_brief(self, who: TeamsWho, account_id: int, shared: bool = False) -> TeamsReply | None:
        """The answer again with the model's brief, to update the first answer; None without a model."""
        if self.settings is None or not self.model_on:
            return None
        found = answer_with_brief(self.db, self.settings, lambda: self.acting(who), account_id, shared)
        if found is None:
            return None
        answer, shared_by = found
        return TeamsReply(account_fallback(answer), account_card(answer, shared_by), answer.account_id)

    def _answer(self, session: Session, actor: Actor, account_id: int, shared: bool) -> TeamsReply:
        try:
            answer = build_account_answer(session, actor.org.id, account_id, today_for(actor))
        except LookupError:
            return notice("That account is not in your organization.")
        audit.record(session, actor.org.id, actor.member.email, "account.view", f"account:{answer.external_id}")
        card = account_card(answer, actor.member.name if shared else None)
        return TeamsReply(account_fallback(answer), card, answer.account_id)

    # -- digest buttons -----------------------------------------------------------------------------------
    def model_input(self, who: TeamsWho, model_text_id: int) -> TeamsReply:
        """ "What did the model see?": the masked input of a brief or an opening."""
        with self.acting(who) as (session, actor):
            view = model_input_as(session, actor, model_text_id)
        if not view.masked_input:
            return notice(view.heading)
        return TeamsReply(view.heading, model_input_card(view.heading, view.masked_input))

    def item_action(self, who: TeamsWho, action: str, signal_ids: list[int]) -> str:
        with self.acting(who) as (session, actor):
            return item_actions.perform(session, actor.member, action, signal_ids)

    # -- settings -----------------------------------------------------------------------------------------
    def settings_form(self, who: TeamsWho) -> TeamsReply:
        with self.acting(who) as (_, actor):
            member, zone = actor.member, actor.member.timezone or actor.org.timezone
            days = working_days.of_member(member.working_days, zone)
            return TeamsReply("Your Tandem settings", settings_card(days, member.digest_time, zone))

    def save_settings(self, who: TeamsWho, data: dict[str, Any]) -> TeamsReply:
        try:
            days, time = read_settings(data)
        except ValueError:
            return notice("Pick at least one working day.")
        with self.acting(who) as (_, actor):
            actor.member.working_days = list(days)
            if time:
                actor.member.digest_time = time
            when = actor.member.digest_time
        return notice(f"Saved: your digest comes at {when} on {working_days.describe(days)}.")

    # -- handoffs -----------------------------------------------------------------------------------------
    def handoff_form(self, who: TeamsWho, account_id: int) -> TeamsReply:
        with self.acting(who) as (session, actor):
            account = session.get(Account, account_id)
            if account is None or account.org_id != actor.org.id:
                return notice("That account is not in your organization.")
            try:
                pair = counterpart(session, account, actor.member)
            except HandoffError as exc:
                return notice(f"Sorry: {exc}")
            today = today_for(actor)
            draft = prefill(build_account_answer(session, actor.org.id, account.id, today), actor.member.role, today)
            return TeamsReply(f"Hand off {account.name}", handoff_form_card(account.id, account.name, pair.name, draft))

    def parse_handoff(self, who: TeamsWho, text: str) -> tuple[int | None, str, str]:
        """`handoff <account>: <note>` or `handoff <account name> <note>`: (account id, note, why not)."""
        with self.acting(who) as (session, actor):
            return resolve_handoff(session, actor, text, "Usage: `handoff <account>: <note>`")

    def start(self, who: TeamsWho, account_id: int, draft: HandoffDraft, origin_ref: str) -> tuple[int, int, bool]:
        """Create the handoff once per request; returns (org id, handoff id, created)."""
        with self.acting(who) as (session, actor):
            return start_handoff_as(session, actor, account_id, draft, origin_ref)

    def set_status(self, who: TeamsWho, action: str, handoff_id: int) -> tuple[int, str]:
        with self.acting(who) as (session, actor):
            return set_handoff_status_as(session, actor, action, handoff_id)

    def thread_reply(
        self, who: TeamsWho, conversation_id: str, thread_ref: str | None, activity_id: str, text: str
    ) -> tuple[int, int, int, str] | None:
        """A message in a handoff conversation: stored once; (org id, reply id, thread id, account name) to mirror.

        Teams threads only exist in channels; in the personal chat a reply (or a plain message) goes to the
        member's most recent handoff there that is not done.
        """
        with self.acting(who) as (session, actor):
            thread = find_by_thread(session, "teams", conversation_id, thread_ref) if thread_ref else None
            if thread is None:
                thread = session.scalar(
                    select(HandoffThread)
                    .join(Handoff, Handoff.id == HandoffThread.handoff_id)
                    .where(
                        HandoffThread.org_id == actor.org.id,
                        HandoffThread.platform == "teams",
                        HandoffThread.channel == conversation_id,
                        HandoffThread.member_id == actor.member.id,
                        Handoff.status != "done",
                    )
                    .order_by(Handoff.created_at.desc(), Handoff.id.desc())
                    .limit(1)
                )
            if thread is None or thread.org_id != actor.org.id or thread.member_id != actor.member.id:
                return None
            handoff = session.get_one(Handoff, thread.handoff_id)
            account = session.get_one(Account, handoff.account_id)
            reply, created = add_reply(
                session, handoff, actor.member, "teams", text, external_ref=f"{conversation_id}:{activity_id}"
            )
            return (actor.org.id, reply.id, thread.id, account.name) if created else None
