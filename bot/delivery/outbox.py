"""The outbox: with no chat platform configured, each message becomes one JSON file in a directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.delivery.message import OutgoingMessage

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


class OutboxChannel:
    local = True

    def __init__(self, directory: Path | str, platform: str) -> None:
        self.directory = Path(directory)
        self.platform = platform

    def path_for(self, message: OutgoingMessage) -> Path:
        # The file name derives from the idempotency key: writing the same message again is a no-op.
        parts = [
            message.day.isoformat(),
            message.kind,
            message.subject,
            message.recipient.email,
            self.platform,
        ]
        name = _UNSAFE.sub("_", "-".join(parts))[:200]
        return self.directory / f"{name}.json"

    def send(self, message: OutgoingMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(message)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(message.outbox_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a message
        return str(path)

    def already_sent(self, message: OutgoingMessage) -> str | None:
        path = self.path_for(message)
        return str(path) if path.is_file() else None
