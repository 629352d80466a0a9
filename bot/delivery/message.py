"""An outgoing message, rendered for one platform, addressed to one member."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Recipient:
    member_id: int
    email: str
    name: str
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    channel: str | None = None  # a configured channel instead of a DM


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: Recipient
    kind: str  # digest | alert | handoff | reminder
    subject: str  # what it is about, stable across retries: "2026-11-22", "contact:CON-17"
    day: date
    platform: str  # slack | teams
    text: str  # fallback text (notifications, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Slack
    card: dict[str, Any] | None = None  # Teams
    thread: str | None = None  # post as a reply in this thread (Slack ts, Teams activity id) of recipient.channel

    @property
    def idempotency_key(self) -> str:
        """(member, kind, subject, day, platform): the same message is never sent twice."""
        return f"{self.recipient.member_id}:{self.kind}:{self.subject}:{self.day.isoformat()}:{self.platform}"

    def outbox_json(self) -> dict[str, Any]:
        """The outbox shape other tools script against: keep these keys exactly."""
        body: dict[str, Any] = {
            "platform": self.platform,
            "recipient": self.recipient.email,
            "kind": self.kind,
            "text": self.text,
        }
        if self.platform == "slack":
            body["blocks"] = self.blocks
        else:
            body["card"] = self.card
        return body

    def to_ledger(self) -> dict[str, Any]:
        """The message as the delivery ledger keeps it for a retry."""
        return asdict(self) | {"day": self.day.isoformat()}

    @classmethod
    def from_ledger(cls, data: dict[str, Any]) -> OutgoingMessage:
        return cls(**(data | {"recipient": Recipient(**data["recipient"]), "day": date.fromisoformat(data["day"])}))
