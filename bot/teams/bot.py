"""The Teams bot: `account`, `handoff`, card buttons, handoff replies, install and uninstall.

A thin async layer over `TeamsFlows` (synchronous, run in a thread because the database layer is). The
membership check runs before anything is read: an unknown tenant or user gets one sentence and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity

from bot.handoffs import HandoffDraft, HandoffError
from bot.membership import NotAMember
from bot.render import actions as act
from bot.render.cards_account import HANDOFF_SUBMIT, handoff_draft_of, help_card, parse_chat_submit
from bot.render.cards_settings import SAVE_SETTINGS
from bot.teams.channel import activity_of
from bot.teams.flows import NOT_A_MEMBER, TeamsFlows, TeamsReply, TeamsWho, notice
from bot.teams.references import is_personal, mark_unreachable, store_reference, tenant_of
from bot.teams.relay import HandoffRelay

log = logging.getLogger(__name__)

T = TypeVar("T")
_TAGS = re.compile(r"<[^>]{0,200}>")
THREAD_MARK = ";messageid="


def reply_activity(reply: TeamsReply) -> Activity:
    return activity_of(reply.text, reply.card)


def who_of(activity: Activity) -> TeamsWho:
    sender = activity.from_property
    return TeamsWho(
        tenant_id=tenant_of(activity),
        user_id=str(sender.id or "") if sender else "",
        aad_object_id=getattr(sender, "aad_object_id", None) if sender else None,
    )


def typed_text(activity: Activity) -> str:
    """What the person typed, without the @mention of the bot and without Teams' HTML."""
    text = activity.text or ""
    if activity.entities and activity.recipient is not None:
        text = TurnContext.remove_recipient_mention(activity) or ""
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split())


def thread_of(activity: Activity) -> tuple[str, str | None]:
    """(conversation id, thread root) of a message: a channel thread lives in the conversation id."""
    conversation_id = str(activity.conversation.id if activity.conversation else "")
    base, mark, root = conversation_id.partition(THREAD_MARK)
    if mark:
        return base, root
    return conversation_id, activity.reply_to_id


class TandemTeamsBot(TeamsActivityHandler):
    def __init__(self, flows: TeamsFlows, relay: HandoffRelay, roster: bool = True) -> None:
        super().__init__()
        self.flows = flows
        self.relay = relay
        self.roster = roster  # look unknown users up by email in the Teams roster (TeamsInfo)

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(func, *args)

    async def _say(self, context: TurnContext, reply: TeamsReply) -> None:
        await context.send_activity(reply_activity(reply))

    async def _answer(self, context: TurnContext, who: TeamsWho, reply: TeamsReply, shared: bool = False) -> None:
        """The facts at once; the model's brief (seconds) follows by updating that card in place."""
        sent = await context.send_activity(reply_activity(reply))
        if reply.account_id is None or not self.flows.model_on or sent is None or not sent.id:
            return
        better = await self._call(self.flows.with_brief, who, reply.account_id, shared)
        if better is not None:
            update = reply_activity(better)
            update.id = sent.id
            await context.update_activity(update)

    # -- identity -----------------------------------------------------------------------------------------
    async def _bind_from_roster(self, context: TurnContext, who: TeamsWho) -> bool:
        """Someone the team file knows only by email: find their email in the Teams roster, bind the id."""
        if not self.roster or context.activity.channel_id != "msteams":
            return False
        try:
            account = await TeamsInfo.get_member(context, who.user_id)
        except Exception as exc:  # the roster is a convenience: no answer means "not known"
            log.info("Teams roster lookup failed: %s", type(exc).__name__)
            return False
        email = getattr(account, "email", None) or getattr(account, "user_principal_name", None)
        return bool(email) and await self._call(self.flows.bind_by_email, who, str(email))

    async def _admit(self, context: TurnContext, who: TeamsWho) -> bool:
        """The membership check; in the personal chat it also stores the conversation reference."""
        activity = context.activity
        for attempt in range(2):
            try:
                if is_personal(activity):
                    store = lambda session, member: store_reference(session, member, activity)  # noqa: E731
                    await self._call(self.flows.remember, who, store, activity.local_timezone)
                else:
                    await self._call(self.flows.member_of, who)
                return True
            except NotAMember:
                if attempt == 0 and await self._bind_from_roster(context, who):
                    continue
                return False
        return False

    # -- install / uninstall ------------------------------------------------------------------------------
    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_added or []):
            await self._installed(turn_context)
        elif any(m.id == bot_id for m in activity.members_removed or []):
            await self._removed(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._installed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._removed(turn_context)

    async def _installed(self, context: TurnContext) -> None:
        if not is_personal(context.activity):
            return  # added to a team: people @mention it in channels, nothing to store
        who = who_of(context.activity)
        if await self._admit(context, who):
            await self._say(context, TeamsReply("How to use Tandem", help_card()))
        else:
            await self._say(context, notice(NOT_A_MEMBER))

    async def _removed(self, context: TurnContext) -> None:
        if not is_personal(context.activity):
            return
        who = who_of(context.activity)

        def forget() -> None:
            with self.flows.acting(who) as (session, actor):
                mark_unreachable(session, actor.org.id, actor.member.id)

        with contextlib.suppress(NotAMember):
            await self._call(forget)

    # -- messages -----------------------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        who = who_of(activity)
        if not await self._admit(turn_context, who):
            await self._say(turn_context, notice(NOT_A_MEMBER))
            return
        try:
            if isinstance(activity.value, dict) and "action" in activity.value:
                await self._on_submit(turn_context, who, activity.value)
            else:
                await self._on_text(turn_context, who, typed_text(activity))
        except NotAMember:
            await self._say(turn_context, notice(NOT_A_MEMBER))
        except HandoffError as exc:
            await self._say(turn_context, notice(f"Sorry: {exc}"))
        except ValueError:
            await self._say(turn_context, notice("Sorry: this button could not be read. Try the command instead."))

    async def _on_text(self, context: TurnContext, who: TeamsWho, text: str) -> None:
        command, _, rest = text.partition(" ")
        name = command.lower().lstrip("/")
        shared = not is_personal(context.activity)
        if name == "account":
            await self._answer(context, who, await self._call(self.flows.lookup, who, rest, shared), shared)
        elif name == "handoff":
            await self._on_handoff_command(context, who, rest.strip())
        elif name in ("portfolio", "home"):
            await self._say(context, await self._call(self.flows.home, who))
        elif name == "settings":
            await self._say(context, await self._call(self.flows.settings_form, who))
        elif name in ("", "help", "?") or not await self._on_thread_reply(context, who, text):
            await self._say(context, TeamsReply("How to use Tandem", help_card()))

    async def _on_handoff_command(self, context: TurnContext, who: TeamsWho, text: str) -> None:
        account_id, note, problem = await self._call(self.flows.parse_handoff, who, text)
        if account_id is None or not note:
            await self._say(context, notice(problem or "Usage: `handoff <account>: <note>`"))
            return
        activity = context.activity
        origin = f"teams:{activity.conversation.id if activity.conversation else ''}:{activity.id}"
        await self._start(context, who, account_id, HandoffDraft(note=note), origin)

    async def _start(
        self, context: TurnContext, who: TeamsWho, account_id: int, draft: HandoffDraft, origin: str
    ) -> None:
        org_id, handoff_id, _ = await self._call(self.flows.start, who, account_id, draft, origin)
        # Delivery is idempotent: a retried activity re-runs it and the ledger skips what was sent.
        outcomes = await self._call(self.relay.deliver, org_id, handoff_id, datetime.now(UTC).date())
        failed = [o for o in outcomes if o.status == "failed"]
        text = (
            "Handed off: your pair has it. Replies reach them here, in Teams or in Slack."
            if not failed
            else "Handoff saved, but it could not be delivered yet; it will show in your pair's digest."
        )
        await self._say(context, notice(text))

    async def _on_thread_reply(self, context: TurnContext, who: TeamsWho, text: str) -> bool:
        if not text:
            return False
        activity = context.activity
        conversation_id, root = thread_of(activity)
        stored = await self._call(self.flows.thread_reply, who, conversation_id, root, str(activity.id or ""), text)
        if stored is None:
            return False
        org_id, reply_id, thread_id, account_name = stored
        await self._call(self.relay.mirror, org_id, reply_id, thread_id, datetime.now(UTC).date())
        await self._say(context, TeamsReply(f"Sent to your pair (handoff on {account_name}).", None))
        return True

    async def _on_submit(self, context: TurnContext, who: TeamsWho, data: dict[str, Any]) -> None:
        if data.get("action") == SAVE_SETTINGS:
            await self._say(context, await self._call(self.flows.save_settings, who, data))
            return
        if data.get("action") in act.ALL_ACTIONS:
            action, account_id, signal_ids = act.parse_submit_data(data)
            if action == act.OPEN_ACCOUNT:
                await self._answer(context, who, await self._call(self.flows.show, who, account_id))
            elif action == act.HANDOFF:
                await self._say(context, await self._call(self.flows.handoff_form, who, account_id))
            else:
                await self._say(context, notice(await self._call(self.flows.item_action, who, action, signal_ids)))
            return
        action, ident, inputs = parse_chat_submit(data)
        if action == act.CHOOSE:
            await self._answer(context, who, await self._call(self.flows.show, who, ident))
        elif action in (act.HANDOFF_ACK, act.HANDOFF_DONE):
            _, status = await self._call(self.flows.set_status, who, action, ident)
            await self._say(context, notice(f"Handoff is now {status}."))
        elif action == act.MODEL_INPUT:
            await self._say(context, await self._call(self.flows.model_input, who, ident))
        elif action == HANDOFF_SUBMIT:
            draft = handoff_draft_of(inputs)
            if not draft.note:
                await self._say(context, notice("Say what your pair should know or do."))
                return
            conversation = context.activity.conversation.id if context.activity.conversation else ""
            await self._start(context, who, ident, draft, f"teams-submit:{conversation}:{context.activity.id}")
