"""The small interface every platform implements (Slack, Teams, the outbox), so the rest is shared."""

from __future__ import annotations

from typing import Protocol

from bot.delivery.message import OutgoingMessage


class PermanentDeliveryError(Exception):
    """The platform refused for good (user gone, channel archived): record it, do not retry."""


class Channel(Protocol):
    platform: str
    local: bool  # True for the outbox: a message missing from its destination may be written again

    def send(self, message: OutgoingMessage) -> str:
        """Send and return the platform's reference for the message (a ts, an activity id, a path)."""
        ...

    def already_sent(self, message: OutgoingMessage) -> str | None:
        """After a crash between send and record: the reference if the platform has the message."""
        ...
