"""Logs: one JSON object per line, and no email or phone number, even inside a library's exception."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure, redact


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_without_personal_data(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    log = logging.getLogger("tandem.test")
    log.info("delivery to %s failed", "Jane.Doe+crm@mail.acme.co.uk")
    try:
        raise ConnectionError("recipient +33 6 12 34 56 78 / (415) 555-0134 unreachable")
    except ConnectionError:
        log.exception("send of digest %s failed on %s", 42, "2026-11-23")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["level"] for e in lines] == ["info", "error"]
    assert lines[0]["msg"] == "delivery to <email> failed" and lines[0]["logger"] == "tandem.test"
    assert lines[1]["msg"] == "send of digest 42 failed on 2026-11-23"  # ids and dates stay
    assert lines[1]["error"] == "ConnectionError"
    trace = lines[1]["trace"]
    assert "ConnectionError" in trace and "+33" not in trace and "555-0134" not in trace
    assert trace.count("<phone>") >= 2  # the message, and the source line the traceback quotes


def test_text_format_is_redacted_too(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure("WARNING", "text")
    logging.getLogger("tandem.test").warning("bounce from ops@example.com")
    logging.getLogger("tandem.test").info("not shown at WARNING")
    assert capsys.readouterr().err.strip() == "WARNING tandem.test: bounce from <email>"


@pytest.mark.parametrize(
    "kept",
    ["INV-2026-000123", "ARR 120000 EUR", "at 2026-11-23 08:30:00", "account 1234", '127.0.0.1:32828 - "POST /x"'],
)
def test_redaction_keeps_ids_amounts_and_times(kept: str) -> None:
    assert redact(kept) == kept


def test_dotted_phone_numbers_are_still_redacted() -> None:
    assert redact("call 415.555.0134 or +44 20 7946 0958") == "call <phone> or <phone>"
