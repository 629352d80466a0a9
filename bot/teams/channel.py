"""Delivery to Teams: proactive messages through the Bot Framework, to the conversation stored at install.

- Throttling (429) and transient errors (412, 502, 503, 504) are retried with backoff (Retry-After honoured);
  a throttled or unavailable request was not posted, so a retry does not double-send.
- A 403 or 404 on the member's own conversation means they removed the app (or left the tenant): their
  reference is marked unreachable, the delivery fails permanently, and `tandem status` lists them. The
  ledger keeps the message as failed, so the next run sends it once they are back (reinstall marks them
  reachable again).
- The Bot Connector cannot list what a bot posted, so `already_sent` cannot check: it says "don't know".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botbuilder.core import BotAdapter, CardFactory, CloudAdapterBase, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationAccount, ConversationReference
from msrest.exceptions import HttpOperationError
from sqlalchemy import select

from bot.db import Database
from bot.delivery.channel import PermanentDeliveryError
from bot.delivery.message import OutgoingMessage
from bot.models import ConversationRef
from bot.settings import Settings
from bot.teams import auth
from bot.teams.references import load_reference, mark_unreachable

log = logging.getLogger(__name__)

RETRYABLE = frozenset({412, 429, 502, 503, 504})
GONE = frozenset({403, 404})
RETRIES = 3
MAX_RETRY_AFTER = 30.0

T = TypeVar("T")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, even when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(make))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(_as_coroutine(make))).result()


async def _as_coroutine(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else None


def retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = headers.get("Retry-After") if hasattr(headers, "get") else None
        return min(float(value), MAX_RETRY_AFTER) if value is not None else None
    except (TypeError, ValueError):
        return None


def card_activity(message: OutgoingMessage) -> Activity:
    return activity_of(message.text, message.card)


def activity_of(text: str, card: dict[str, Any] | None) -> Activity:
    """The card as an attachment, the fallback text as the notification summary (or the text alone)."""
    if card is None:
        return MessageFactory.text(text)
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = text[:300]
    return activity


async def send_proactive(
    adapter: BotAdapter, app_id: str, reference: ConversationReference, activity: Activity, reply_to: str | None = None
) -> str:
    """Post one activity into the referenced conversation (as a reply to `reply_to`); the id Teams gave it."""
    outcome: dict[str, Any] = {}

    async def callback(context: TurnContext) -> None:
        # The SDK replies to the turn's activity; a proactive turn's is made up, so say what we reply to.
        context.activity.id = reply_to
        try:
            response = await context.send_activity(activity)
            outcome["id"] = response.id if response is not None else None
        except Exception as exc:  # surfaced below, whatever the adapter's error handler would do
            outcome["error"] = exc
        finally:
            client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
            if client is not None and hasattr(client, "close"):
                await client.close()

    await adapter.continue_conversation(reference, callback, app_id)
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome.get("id") or "")


class TeamsChannel:
    platform = "teams"
    local = False

    def __init__(
        self,
        adapter: CloudAdapterBase,
        db: Database,
        org_id: int,
        app_id: str | None,
        backoff_seconds: float = 0.5,
        retries: int = RETRIES,
    ) -> None:
        self.adapter = adapter
        self.db = db
        self.org_id = org_id
        self.app_id = app_id or ""
        self.backoff_seconds = backoff_seconds
        self.retries = retries

    def _reference(self, message: OutgoingMessage) -> tuple[ConversationReference, bool]:
        """Where to post, and whether that is the member's own conversation (vs a channel or thread elsewhere)."""
        member_id = message.recipient.member_id
        with self.db.session() as session:
            row = session.scalar(
                select(ConversationRef).where(
                    ConversationRef.org_id == self.org_id, ConversationRef.member_id == member_id
                )
            )
            if row is None:
                raise PermanentDeliveryError("this member has not installed Tandem in Teams yet")
            if not row.reachable:
                raise PermanentDeliveryError("this member removed Tandem in Teams")
            reference = load_reference(dict(row.reference))
        own = True
        conversation = reference.conversation
        if message.recipient.channel and conversation is not None and message.recipient.channel != conversation.id:
            tenant = getattr(conversation, "tenant_id", None)
            reference.conversation = ConversationAccount(
                id=message.recipient.channel, tenant_id=tenant, is_group=True, conversation_type="channel"
            )
            own = False
        reference.activity_id = None
        return reference, own

    def send(self, message: OutgoingMessage) -> str:
        reference, own = self._reference(message)
        conversation_id = reference.conversation.id if reference.conversation else ""
        for attempt in range(self.retries + 1):
            try:
                activity_id = run_sync(
                    lambda: send_proactive(self.adapter, self.app_id, reference, card_activity(message), message.thread)
                )
                return f"{conversation_id}:{activity_id}"
            except HttpOperationError as exc:
                status = status_of(exc)
                if status in GONE:
                    if own:
                        with self.db.session() as session:
                            mark_unreachable(session, self.org_id, message.recipient.member_id)
                    raise PermanentDeliveryError(f"Teams refused the message ({status}): the app was removed") from exc
                if status not in RETRYABLE or attempt == self.retries:
                    raise
                wait = retry_after(exc)
                log.info("Teams answered %s, retrying (attempt %s)", status, attempt + 1)
                time.sleep(wait if wait is not None else self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None  # the Bot Connector cannot list a conversation's messages


def teams_adapter(settings: Settings) -> CloudAdapterBase:
    return CloudAdapterBase(auth.bot_framework_authentication(settings))


def teams_channel(settings: Settings, db: Database, org_id: int) -> TeamsChannel:
    """The channel `bot.delivery.routing.chat_channels` uses when MICROSOFT_APP_ID is set."""
    return TeamsChannel(teams_adapter(settings), db, org_id, settings.microsoft_app_id)
