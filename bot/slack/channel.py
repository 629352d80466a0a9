"""Delivery to Slack: a DM (or a configured channel) per member, never the same message twice.

Every post carries its idempotency key in Slack message metadata, so after a crash or an ambiguous server
error, `already_sent` can ask Slack (conversations.history) whether the message is there before posting.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.channel import PermanentDeliveryError
from bot.delivery.message import OutgoingMessage, Recipient

log = logging.getLogger(__name__)

METADATA_EVENT = "tandem_delivery"
# Errors that will not heal by retrying: the person or the channel is gone, or the app may not post there.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
    }
)
SERVER_ERROR_RETRIES = 3
HISTORY_LOOKBACK = 100


class SlackChannel:
    platform = "slack"
    local = False

    def __init__(self, client: WebClient, backoff_seconds: float = 0.5) -> None:
        self.client = client
        self.backoff_seconds = backoff_seconds
        self._dm: dict[str, str] = {}

    def send(self, message: OutgoingMessage) -> str:
        channel = self.destination(message.recipient)
        for attempt in range(SERVER_ERROR_RETRIES + 1):
            try:
                response = self.client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks or None,
                    thread_ts=message.thread,
                    unfurl_links=False,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.idempotency_key}},
                )
                return f"{response['channel']}:{response['ts']}"
            except SlackApiError as exc:
                error = str(exc.response.get("error", ""))
                if error in PERMANENT_ERRORS:
                    raise PermanentDeliveryError(f"Slack refused the message: {error}") from exc
                if exc.response.status_code < 500 or attempt == SERVER_ERROR_RETRIES:
                    raise
            # A 5xx may hide a post that landed: look before posting again.
            if (ref := self._find(channel, message)) is not None:
                return ref
            time.sleep(self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

    def already_sent(self, message: OutgoingMessage) -> str | None:
        try:
            return self._find(self.destination(message.recipient), message)
        except (SlackApiError, PermanentDeliveryError):
            return None

    def destination(self, recipient: Recipient) -> str:
        """The configured channel, else the member's DM (opened once and remembered)."""
        if recipient.channel:
            return recipient.channel
        user = recipient.slack_user_id or self._user_by_email(recipient.email)
        if user not in self._dm:
            try:
                self._dm[user] = str(self.client.conversations_open(users=user)["channel"]["id"])
            except SlackApiError as exc:
                if str(exc.response.get("error", "")) in PERMANENT_ERRORS:
                    raise PermanentDeliveryError(f"cannot open a DM: {exc.response.get('error')}") from exc
                raise
        return self._dm[user]

    def _user_by_email(self, email: str) -> str:
        try:
            return str(self.client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                raise PermanentDeliveryError("no Slack user has this member's email") from exc
            raise

    def _find(self, channel: str, message: OutgoingMessage) -> str | None:
        if message.thread:
            response = self.client.conversations_replies(
                channel=channel, ts=message.thread, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        else:
            response = self.client.conversations_history(
                channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        items: list[dict[str, Any]] = response.get("messages", [])
        for item in items:
            payload = (item.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == message.idempotency_key:
                return f"{channel}:{item['ts']}"
        return None
