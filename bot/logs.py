"""Logging: one JSON object per line (or plain text for a terminal), with emails and phone numbers redacted.

Tandem's own log lines name ids and error types, but an exception message from a library or a remote
service can quote customer data ("invalid recipient jane@acme.com"). The filter redacts what looks like an
email or a phone number in every record, the traceback included, before any handler writes it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Every quantifier is bounded and a match may only start where a run of its characters starts, so each
# position is tried a bounded number of times: linear time on any input (a log line can be an attacker's).
# An email's local part is at most 64 characters (RFC 5321), a domain label 63.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}")
# Seven or more digits with phone-like separators; ids glued to letters (INV-2026-0001) are left alone.
# E.164 numbers have at most 15 digits: 30 characters leave room for the separators.
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ().-]{5,30}\d(?![\w-])")
# Dates, times and IP addresses are split out first: "2026-11-23 08:30" and "127.0.0.1:3000" are digit
# runs a phone pattern would take.
_DATE_OR_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?|\d{2}:\d{2}(?::\d{2})?"
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\d.]))"
)
# What one record may cost on the event loop: longer lines and texts are cut before they are redacted.
MAX_LINE = 4_000
MAX_TEXT = 64_000


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a space so no email or number is left half-redactable."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    head = head[: max(head.rfind(" "), head.rfind("\n"), 0)]
    return f"{head} [{len(text) - len(head)} characters cut]".lstrip()


def _redact_line(line: str) -> str:
    parts = _DATE_OR_TIME.split(_EMAIL.sub("<email>", line))
    # split() with one group: even indexes are the text between dates, odd ones the dates themselves
    return "".join(part if i % 2 else _PHONE.sub("<phone>", part) for i, part in enumerate(parts))


def redact(text: str) -> str:
    """`text` without emails and phone numbers, each line cut to MAX_LINE and the whole to MAX_TEXT."""
    lines = _cut(text, MAX_TEXT).split("\n")
    return "\n".join(_redact_line(_cut(line, MAX_LINE)) for line in lines)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        if record.exc_text:
            entry["trace"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "WARNING", fmt: str = "text") -> None:
    """Root logging for the CLI and the server: `fmt` "json" (TANDEM_LOG_FORMAT) or "text"."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactPersonalData())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Connectors retry through urllib3, which warns on every attempt; Tandem reports the final outcome.
    logging.getLogger("urllib3").setLevel(max(logging.ERROR, root.level))
    # Alembic announces each of its plugins at INFO when it is first imported (lazily, mid-command): noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
