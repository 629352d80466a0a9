"""A Slack request verified before it is parsed: 401 for anything Slack did not sign, 400 for a malformed one.

Bolt parses the body (JSON, form, `payload=`) when it builds its request, before its signature middleware
runs, so a forged body could raise in the parser and answer 500 with a traceback. Here the raw bytes are
checked first with slack_sdk's SignatureVerifier (the verifier Bolt itself uses), then decoded and parsed
the way Bolt does, then checked for shape (payload_shape); only then does Bolt see the request, and it
verifies the signature again as it always does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.slack.payload_shape import shape_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # for the log line: never a value from the body


def check_signature(verifier: SignatureVerifier | None, headers: Mapping[str, str], body: bytes) -> Refusal | None:
    """None when Slack signed `body` within the last five minutes (never without a signing secret)."""
    if verifier is None:
        return Refusal(401, "no signing secret is configured")
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    # Without a number the request's age is unknown: a replay cannot be told apart, so it is not authenticated.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Refusal(401, "no valid X-Slack-Request-Timestamp")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Slack sends and signs UTF-8; the SDK's verifier compares text, so other bytes cannot be verified.
        return Refusal(401, "body is not UTF-8: its signature cannot be verified")
    if not signature or not verifier.is_valid(text, timestamp, signature):
        return Refusal(401, "bad or stale signature")
    return None


def check_payload(body: bytes, content_type: str | None) -> Refusal | None:
    """None when the (verified) body decodes and parses as Bolt will, into a payload of Slack's shape."""
    text = body.decode("utf-8")  # check_signature has made sure it decodes
    try:
        payload: Any = parse_body(text, content_type.split(";")[0] if content_type else None)  # as Bolt does
    except ValueError:  # json.JSONDecodeError included
        return Refusal(400, "body or payload is not JSON")
    if not isinstance(payload, dict):
        return Refusal(400, f"payload is {type(payload).__name__}, not an object")
    problem = shape_problem(payload)
    return Refusal(400, f"malformed payload ({problem})") if problem else None


def refusal_of(verifier: SignatureVerifier | None, headers: Mapping[str, str], body: bytes) -> Refusal | None:
    """Why a POST to /slack/events is refused (logged on one line), or None to hand it to Bolt."""
    refusal = check_signature(verifier, headers, body) or check_payload(body, headers.get("content-type"))
    if refusal is not None:
        log.info("Slack request refused (%d): %s", refusal.status, refusal.reason)
    return refusal
