"""The Bolt app: wiring Slack commands, buttons, modals and events to the flows.

Every listener acknowledges first (Slack's 3-second limit), then does the work in a thread, since the
database layer is synchronous. Slack retries of an event reach idempotent flows and change nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat_requests import split_handoff
from bot.crypto import SecretBox
from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.routing import chat_channels
from bot.handoff_relay import deliver_handoff, mirror_reply
from bot.handoffs import HandoffDraft, HandoffError
from bot.membership import NotAMember
from bot.render import actions as act
from bot.render.blocks_chat import help_blocks
from bot.settings import Settings
from bot.slack import home, modal, settings_modal
from bot.slack.client import async_web_client
from bot.slack.flows import Reply, SlackFlows, Who
from bot.slack.installations import EncryptedInstallationStore, SignedStateStore

log = logging.getLogger(__name__)

COMMANDS = ("/account", "/handoff")
SHORTCUT = "handoff_shortcut"
EVENTS = ("app_home_opened", "message")  # message: DMs only (message.im), for replies in handoff threads
BOT_SCOPES = ("commands", "chat:write", "im:write", "im:history", "users:read", "users:read.email")
FLOW_THREADS = 2
NOT_A_MEMBER = "Tandem does not know you in this workspace: ask your Tandem admin to add you."


def _who(body: dict[str, Any]) -> Who:
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    user = body.get("user_id") or (body.get("user") or {}).get("id") or body.get("event", {}).get("user")
    return Who(team_id=team, user_id=str(user or ""))


class TandemSlack:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings, self.db = settings, db
        self.single_workspace = settings.slack_client_id is None
        self.flows = SlackFlows(db, settings, self.single_workspace)
        # Few threads for the flows: each holds the GIL for its Python work, and the more of them compete,
        # the longer the event loop waits to send the next request's ack.
        self.executor = ThreadPoolExecutor(max_workers=FLOW_THREADS, thread_name_prefix="slack-flow")
        self.app = self._build_app()
        self._register()

    def _build_app(self) -> AsyncApp:
        secret = self.settings.slack_signing_secret.get_secret_value() if self.settings.slack_signing_secret else None
        if self.single_workspace:
            token = self.settings.slack_bot_token.get_secret_value() if self.settings.slack_bot_token else None
            return AsyncApp(signing_secret=secret, client=async_web_client(self.settings, token))
        client_secret = self.settings.slack_client_secret
        oauth = AsyncOAuthSettings(
            client_id=self.settings.slack_client_id,
            client_secret=client_secret.get_secret_value() if client_secret else None,
            scopes=list(BOT_SCOPES),
            installation_store=EncryptedInstallationStore(self.db, SecretBox.from_settings(self.settings)),
            state_store=SignedStateStore(client_secret.get_secret_value() if client_secret else ""),
        )
        return AsyncApp(signing_secret=secret, client=async_web_client(self.settings), oauth_settings=oauth)

    def channels(self, org_id: int) -> dict[str, Channel]:
        return chat_channels(self.settings, self.db, org_id)

    # -- registration -------------------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app
        for command, listener in zip(COMMANDS, (self.on_account, self.on_handoff_command), strict=True):
            app.command(command)(listener)
        for action in (act.SNOOZE, act.DONE, *act.FEEDBACK_ACTIONS):
            app.action(act.action_pattern(action))(self.on_item_action)
        app.action(act.action_pattern(act.OPEN_ACCOUNT))(self.on_open_account)
        app.action(act.action_pattern(act.ITEM_MENU))(self.on_item_menu)
        app.action(act.action_pattern(act.HANDOFF))(self.on_handoff_button)
        app.action(act.action_pattern(act.CHOOSE))(self.on_choose)
        app.action(act.action_pattern(act.SHARE))(self.on_share)
        app.action(act.action_pattern(act.HANDOFF_ACK))(self.on_handoff_status)
        app.action(act.action_pattern(act.HANDOFF_DONE))(self.on_handoff_status)
        app.action(act.action_pattern(act.MODEL_INPUT))(self.on_model_input)
        app.action(act.action_pattern(act.EDIT_SETTINGS))(self.on_edit_settings)
        app.view(settings_modal.CALLBACK_ID)(self.on_settings_submit)
        app.shortcut(SHORTCUT)(self.on_shortcut)
        app.view(modal.CALLBACK_ID)(self.on_handoff_submit)
        for event, on_event in zip(EVENTS, (self.on_home, self.on_message), strict=True):
            app.event(event)(on_event)

    async def _run(self, respond: AsyncRespond | None, func: Any, *args: Any) -> Any:
        """Run a flow in a thread; a non-member or a bad payload gets a clear ephemeral message."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(func, *args))
        except NotAMember:
            if respond is not None:
                await respond(response_type="ephemeral", text=NOT_A_MEMBER, replace_original=False)
        except (ValueError, HandoffError) as exc:
            if respond is not None:
                await respond(response_type="ephemeral", text=f"Sorry: {exc}", replace_original=False)
        return None

    # -- /account -----------------------------------------------------------------------------------------
    async def on_account(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        query = str(body.get("text") or "").strip()
        if not query:
            await ack(response_type="ephemeral", text="How to use Tandem", blocks=help_blocks())
            return
        await ack()
        reply: Reply | None = await self._run(respond, self.flows.lookup, _who(body), query)
        if reply is not None:
            await respond(response_type="ephemeral", **reply.payload())
            await self._upgrade_brief(respond, body, reply)

    async def _upgrade_brief(self, respond: AsyncRespond, body: dict[str, Any], reply: Reply) -> None:
        """The facts answer at once; the model's brief (seconds) follows by replacing that answer."""
        if reply.account_id is None:
            return
        better: Reply | None = await self._run(respond, self.flows.with_brief, _who(body), reply.account_id)
        if better is not None:
            await respond(response_type="ephemeral", replace_original=True, **better.payload())

    async def on_choose(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        account_id, _ = act.parse_button_value(action.get("value", ""))
        reply = await self._run(respond, self.flows.show, _who(body), account_id)
        if reply is not None:
            await respond(replace_original=True, **reply.payload())
            await self._upgrade_brief(respond, body, reply)

    async def on_share(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        account_id, _ = act.parse_button_value(action.get("value", ""))
        reply = await self._run(respond, self.flows.show, _who(body), account_id, True, True)
        if reply is not None:
            await respond(response_type="in_channel", replace_original=False, **reply.payload())

    async def on_open_account(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        if action.get("url"):
            return  # Slack opened the CRM page; the click needs nothing more
        account_id, _ = act.parse_button_value(action.get("value", ""))
        # A new message under the digest (the digest itself must stay): sent once, brief included.
        reply = await self._run(respond, self.flows.show, _who(body), account_id, False, True)
        if reply is not None:
            await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    async def on_model_input(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        reply = await self._run(respond, home.model_input_reply, self.flows, _who(body), action.get("value", ""))
        if reply is not None:
            text, blocks = reply
            await respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks or None)

    # -- digest item buttons ------------------------------------------------------------------------------
    async def on_item_action(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        name = act.parse_action_id(action.get("action_id", ""))
        text = await self._run(respond, self.flows.item_action, _who(body), name, action.get("value", ""))
        if text is not None:
            await respond(response_type="ephemeral", replace_original=False, text=text)

    async def on_item_menu(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """An option of a digest item's overflow menu: the same as the button of that action."""
        selected = action.get("selected_option") or {}
        try:
            name, account_id, signal_ids = act.parse_menu_value(str(selected.get("value", "")))
        except ValueError:
            await ack()
            log.warning("ignored a malformed digest menu choice")
            return
        as_button = {
            "action_id": act.slack_action_id(name, 0),
            "value": act.button_value(account_id, signal_ids),
            "url": selected.get("url"),
        }
        if name == act.OPEN_ACCOUNT:
            await self.on_open_account(ack, body, as_button, respond)
        elif name == act.HANDOFF:
            await self.on_handoff_button(ack, body, as_button, client, respond)
        else:
            await self.on_item_action(ack, body, as_button, respond)

    # -- handoffs -----------------------------------------------------------------------------------------
    async def on_handoff_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        text = str(body.get("text") or "").strip()
        if not all(split_handoff(text)):
            await ack(response_type="ephemeral", text="Usage: `/handoff <account>: <note>`", blocks=help_blocks())
            return
        await ack()
        who = _who(body)
        found = await self._run(respond, self.flows.parse_handoff, who, text)
        if found is None:
            return
        account_id, note, why_not = found
        if account_id is None:
            await respond(response_type="ephemeral", text=why_not)
            return
        origin = f"slack-command:{body.get('trigger_id') or body.get('response_url')}"
        await self._start(who, account_id, HandoffDraft(note=note.strip()), origin, respond)

    async def _start(
        self, who: Who, account_id: int, draft: HandoffDraft, origin: str, respond: AsyncRespond | None
    ) -> None:
        started = await self._run(respond, self.flows.start, who, account_id, draft, origin)
        if started is None:
            return
        org_id, handoff_id, _ = started
        # Delivery is idempotent: a retried request re-runs it and the ledger skips what was sent.
        outcomes = await asyncio.to_thread(
            deliver_handoff, self.db, org_id, handoff_id, self.channels(org_id), datetime.now(UTC).date()
        )
        if respond is not None:
            failed = [o for o in outcomes if o.status == "failed"]
            text = (
                "Handed off: your pair has it, reply in the thread to talk."
                if not failed
                else ("Handoff saved, but it could not be delivered yet; it will show in your pair's digest.")
            )
            await respond(response_type="ephemeral", text=text)

    async def on_handoff_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        account_id, _ = act.parse_button_value(action.get("value", ""))
        view = await self._run(respond, home.handoff_modal_for, self.flows, _who(body), account_id, "")
        if view is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_shortcut(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        note = str((body.get("message") or {}).get("text") or "")
        view = await self._run(None, home.handoff_modal_for, self.flows, _who(body), None, note)
        if view is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_handoff_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            account_id, draft = modal.read_submission(view)
        except ValueError:
            await ack(response_action="errors", errors={"note": "This form could not be read; please try again."})
            return
        if account_id is None:
            await ack(response_action="errors", errors={"account": "Pick an account."})
            return
        if not draft.note.strip():
            await ack(response_action="errors", errors={"note": "Say what your pair should know or do."})
            return
        await ack()
        await self._start(_who(body), account_id, draft, f"slack-view:{view.get('id')}", None)

    async def on_handoff_status(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        name = action.get("action_id", "").split(":", 1)[0]
        handoff_id = act.parse_ref_value(action.get("value", ""), "h")
        result = await self._run(respond, self.flows.set_status, _who(body), name, handoff_id)
        if result is not None:
            await respond(response_type="ephemeral", replace_original=False, text=f"Handoff is now {result[1]}.")

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A reply in a handoff thread: stored on the account's timeline and mirrored to the pair."""
        if event.get("bot_id") or event.get("subtype") or not event.get("thread_ts"):
            return  # our own posts, edits and joins, and messages outside threads are not replies
        if event.get("thread_ts") == event.get("ts"):
            return
        who = Who(team_id=body.get("team_id"), user_id=str(event.get("user") or ""))
        stored = await self._run(
            None,
            self.flows.thread_reply,
            who,
            event.get("channel", ""),
            event["thread_ts"],
            event["ts"],
            str(event.get("text") or ""),
        )
        if stored is None:
            return
        org_id, reply_id, thread_id = stored
        await asyncio.to_thread(
            mirror_reply, self.db, org_id, reply_id, thread_id, self.channels(org_id), datetime.now(UTC).date()
        )

    async def on_home(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        await self._publish_home(Who(team_id=body.get("team_id"), user_id=str(event.get("user") or "")), client)

    async def _publish_home(self, who: Who, client: AsyncWebClient) -> None:
        view = await self._run(None, home.home_for, self.flows, who)
        if view is not None:
            await client.views_publish(user_id=who.user_id, view=view)

    # -- App Home settings --------------------------------------------------------------------------------
    async def on_edit_settings(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = await self._run(None, home.settings_modal_for, self.flows, _who(body))
        if view is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_settings_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        try:
            change = settings_modal.read_settings(view)
        except ValueError as exc:
            block, _, message = str(exc).partition(": ")
            await ack(response_action="errors", errors={block: message})
            return
        await ack()
        who = _who(body)
        await self._run(None, home.save_settings, self.flows, who, change)
        await self._publish_home(who, client)  # the Home tab shows the new settings
