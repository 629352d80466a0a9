"""How a handoff made or answered in Teams reaches the other side, whatever platform that side lives on.

The bot only knows this small interface. `ChannelRelay` is the real one: it posts through the channels of
the organization (Teams, Slack, ...) with the exactly-once ledger, via `bot.handoff_relay`. Tests plug an
in-memory relay or in-memory channels; the Slack side plugs its own channels the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.ledger import Outcome
from bot.handoff_relay import deliver_handoff, mirror_reply

ChannelsFor = Callable[[int], dict[str, Channel]]


class HandoffRelay(Protocol):
    def deliver(self, org_id: int, handoff_id: int, day: date) -> list[Outcome]:
        """Post the handoff's thread roots to the receiver (and the sender's copy) on their platforms."""
        ...

    def mirror(self, org_id: int, reply_id: int, thread_id: int, day: date) -> list[Outcome]:
        """Copy a stored reply into every other thread of its handoff."""
        ...


class ChannelRelay:
    def __init__(self, db: Database, channels_for: ChannelsFor) -> None:
        self.db = db
        self.channels_for = channels_for

    def deliver(self, org_id: int, handoff_id: int, day: date) -> list[Outcome]:
        return deliver_handoff(self.db, org_id, handoff_id, self.channels_for(org_id), day)

    def mirror(self, org_id: int, reply_id: int, thread_id: int, day: date) -> list[Outcome]:
        return mirror_reply(self.db, org_id, reply_id, thread_id, self.channels_for(org_id), day)
