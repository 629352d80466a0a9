"""Request body limits on the real server (uvicorn on a loopback ephemeral port), raw sockets for the big bodies.

The client sends the start of a 10 MB body and holds the rest back until it has an answer: an answer that
arrives while most of the body is unsent proves the server neither waited for nor read it. Meanwhile
/healthz must keep answering. Logging is configured as `tandem serve` does (redaction filter included),
since a log line about a huge body is what once froze the event loop.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from bot.app import MAX_REQUEST_BODY
from bot.logs import configure
from tests.slack_harness import SlackEnv

TEN_MB = 10 * 1024 * 1024
HELD_BACK_AFTER = 64 * 1024  # with a Content-Length: bytes sent before the client waits for an answer


@pytest.fixture
def served_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure("INFO", "json")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@dataclass
class Answer:
    status_line: bytes
    seconds: float  # from the first byte sent to the status line received
    body_bytes_sent: int  # when the status line arrived


def post_held_back(url: str, path: str, total: int, chunked: bool, send_first: int) -> Answer:
    """POST `total` bytes of word characters; only `send_first` go out before an answer (or 5 s)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}".encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/x-www-form-urlencoded\r\n".encode()
        + framing
        + b"\r\n\r\n"
    )
    answered = threading.Event()
    sent = [0]

    def write() -> None:
        block = b"x" * 65536
        try:
            while sent[0] < total:
                if sent[0] >= send_first and not answered.wait(5):
                    return
                data = block[: min(len(block), total - sent[0])]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent[0] += len(data)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close the connection once it has answered

    start = time.monotonic()
    sock.sendall(head)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    answer = Answer(received.split(b"\r\n")[0], time.monotonic() - start, sent[0])
    answered.set()
    writer.join(timeout=10)
    sock.close()
    return answer


def stalled_upload(url: str, sent: int) -> socket.socket:
    """A chunked upload to /slack/events that stops after `sent` bytes (under the cap) and stays open."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = f"POST /slack/events HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n\r\n"
    sock.sendall(head.encode() + b"%x\r\n%s\r\n" % (sent, b"x" * sent))
    return sock


def test_ten_mb_to_slack_events_is_refused_at_once_while_healthz_answers(
    slack_env: SlackEnv, served_logging: None
) -> None:
    stalled = stalled_upload(slack_env.url, 512 * 1024)  # in flight for the whole test
    answers: list[Answer] = []
    big = threading.Thread(
        target=lambda: answers.append(post_held_back(slack_env.url, "/slack/events", TEN_MB, False, HELD_BACK_AFTER))
    )
    big.start()
    health = httpx.get(f"{slack_env.url}/healthz", timeout=5)  # concurrently with the big request
    big.join(timeout=20)
    [answer] = answers
    assert answer.status_line.startswith(b"HTTP/1.1 413")
    assert answer.body_bytes_sent <= HELD_BACK_AFTER  # answered on the declared length alone
    assert answer.seconds < 0.1
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert httpx.get(f"{slack_env.url}/healthz", timeout=5).status_code == 200
    stalled.close()


def test_a_chunked_body_is_counted_and_refused_past_the_cap(slack_env: SlackEnv, served_logging: None) -> None:
    """No Content-Length to trust: the server counts and answers once the cap is passed, not at the end."""
    send_first = MAX_REQUEST_BODY + 256 * 1024
    answers: list[Answer] = []
    big = threading.Thread(
        target=lambda: answers.append(post_held_back(slack_env.url, "/slack/events", TEN_MB, True, send_first))
    )
    big.start()
    health = httpx.get(f"{slack_env.url}/healthz", timeout=5)
    big.join(timeout=20)
    [answer] = answers
    assert answer.status_line.startswith(b"HTTP/1.1 413")
    assert answer.body_bytes_sent <= send_first < TEN_MB
    assert health.status_code == 200


def test_every_endpoint_has_the_cap(slack_env: SlackEnv) -> None:
    too_big = b"{" + b"x" * MAX_REQUEST_BODY
    for path in ("/admin/orgs", "/slack/events", "/healthz"):
        response = httpx.post(f"{slack_env.url}{path}", content=too_big, timeout=10)
        assert response.status_code == 413, path
        assert "Content Too Large" in response.text


def test_a_body_within_the_cap_reaches_the_app_unchanged(slack_env: SlackEnv) -> None:
    """A large legitimate event (900 KB of text) is verified against the very bytes that were sent."""
    event = {"type": "app_home_opened", "user": "U0DEMOAM1", "tab": "home", "padding": "x" * 900_000}
    assert len(json.dumps(event)) < MAX_REQUEST_BODY
    assert slack_env.event(event, "EvBig").status_code == 200
