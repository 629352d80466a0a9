"""Malformed Slack requests over real HTTP: verified before parsed, 401 unsigned, 400 malformed, never a 500.

Each body is sent twice to the running server: signed with the wrong secret (401: nothing about the body
matters before the signature), then signed properly (400 and one log line). Neither may answer 500, show a
traceback, call Slack or store anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.models import AuditEntry, Feedback, Handoff
from bot.slack.modal import CALLBACK_ID
from tests.slack_harness import AM, SIGNING_SECRET, TEAM, SlackEnv

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def post(
    env: SlackEnv, body: bytes, content_type: str, timestamp: str | None = None, secret: str = SIGNING_SECRET
) -> httpx.Response:
    ts = str(int(time.time())) if timestamp is None else timestamp
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts.encode(),  # bytes: a timestamp may not be ASCII
        "X-Slack-Signature": str(signature),
    }
    return httpx.post(f"{env.url}/slack/events", content=body, headers=headers, timeout=10)  # type: ignore[arg-type]


def interaction(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def submission(view: Any) -> dict[str, Any]:
    return {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": AM}, "view": view}


def block_actions(actions: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": AM},
        "trigger_id": "trig-1",
        "response_url": "http://127.0.0.1:1/nowhere",
        "actions": actions,
    }


GOOD_VIEW = {"id": "V1", "type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}", "state": {"values": {}}}
MALFORMED: dict[str, tuple[bytes, str]] = {
    "payload not JSON": (b"payload=%7Bnot+json", FORM),
    "payload a list": (interaction([1, 2, 3]), FORM),
    "payload null": (interaction(None), FORM),
    "payload a string": (interaction("block_actions"), FORM),
    "JSON body a list": (b'[{"type": "event_callback"}]', JSON),
    "JSON body not JSON": (b"{" + b"x" * 1000, JSON),
    "actions not a list": (interaction(block_actions({"action_id": "snooze:0", "value": "1"})), FORM),
    "actions of strings": (interaction(block_actions(["snooze:0"])), FORM),
    "action without action_id": (interaction(block_actions([{"value": "1"}])), FORM),
    "action_id a number": (interaction(block_actions([{"action_id": 7, "value": "1"}])), FORM),
    "view_submission without view": (interaction({"type": "view_submission", "team": {"id": TEAM}}), FORM),
    "view a string": (interaction(submission("V1")), FORM),
    "view without callback_id": (interaction(submission({"id": "V1", "type": "modal", "state": {"values": {}}})), FORM),
    "view without type": (interaction(submission({"id": "V1", "callback_id": CALLBACK_ID})), FORM),
    "state values a list": (interaction(submission(GOOD_VIEW | {"state": {"values": []}})), FORM),
    "selected_option a string": (
        interaction(submission(GOOD_VIEW | {"state": {"values": {"topic": {"value": {"selected_option": "risk"}}}}})),
        FORM,
    ),
    "team a list": (interaction(block_actions([]) | {"team": ["T1"]}), FORM),
    "event a string": (json.dumps({"type": "event_callback", "team_id": TEAM, "event": "message"}).encode(), JSON),
    "event without type": (
        json.dumps({"type": "event_callback", "team_id": TEAM, "event": {"user": AM}}).encode(),
        JSON,
    ),
    "event_callback without event": (json.dumps({"type": "event_callback", "team_id": TEAM}).encode(), JSON),
}


def side_effects(env: SlackEnv) -> tuple[int, ...]:
    with env.db.session() as session:
        handoffs = session.scalar(select(func.count()).select_from(Handoff)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        feedback = session.scalar(select(func.count()).select_from(Feedback)) or 0
    calls = [c for c in env.fake.state.calls if c.method != "auth.test"]  # Bolt's authorization, cached
    return len(calls), len(env.fake.state.responses), handoffs, audits, feedback


def assert_clean(response: httpx.Response, status: int, case: str = "") -> None:
    assert response.status_code == status, (case, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and "Error" not in response.text, case
    assert len(response.content) < 200, case


def test_malformed_bodies_get_401_unsigned_and_400_signed(
    slack_env: SlackEnv, caplog: pytest.LogCaptureFixture
) -> None:
    """One server for every case (loading the book per case would cost minutes): a failure names its case."""
    before = side_effects(slack_env)
    for case, (body, content_type) in MALFORMED.items():
        with caplog.at_level(logging.INFO):
            caplog.clear()
            unsigned = post(slack_env, body, content_type, secret="not-the-secret")
            caplog.clear()
            signed = post(slack_env, body, content_type)
        assert_clean(unsigned, 401, case)
        assert_clean(signed, 400, case)
        refusals = [r.getMessage() for r in caplog.records if "Slack request refused" in r.getMessage()]
        assert len(refusals) == 1 and "(400)" in refusals[0], (case, refusals)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], case
    time.sleep(0.3)  # Bolt answers before its listeners finish: give a wrongly dispatched one time to act
    assert side_effects(slack_env) == before


def test_a_timestamp_that_is_not_a_number_is_not_authenticated(slack_env: SlackEnv) -> None:
    """Signed with that very timestamp: without a number the request's age cannot be checked."""
    body = urlencode({"command": "/account", "text": "Northwind", "user_id": AM, "team_id": TEAM}).encode()
    before = side_effects(slack_env)
    for timestamp in ["abc", "", "1e9", "-5", "0x10", "١٢٣", "9" * 40, "1700000000.5"]:
        assert_clean(post(slack_env, body, FORM, timestamp=timestamp), 401, timestamp)
    time.sleep(0.3)
    assert side_effects(slack_env) == before


@pytest.mark.parametrize(
    "body", [b"command=%2Faccount&text=\xff\xfe\xfa", b'{"type": "event_callback", "x": "\xc3\x28"}', b"\xff" * 5000]
)
def test_a_body_that_is_not_utf8_is_401_even_when_its_bytes_are_signed(slack_env: SlackEnv, body: bytes) -> None:
    """Slack signs UTF-8 text; slack_sdk's verifier (Bolt's) cannot verify other bytes, so they are not Slack's."""
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    before = side_effects(slack_env)
    assert_clean(httpx.post(f"{slack_env.url}/slack/events", content=body, headers=headers, timeout=10), 401)
    time.sleep(0.2)
    assert side_effects(slack_env) == before


def test_missing_headers_are_401(slack_env: SlackEnv) -> None:
    response = httpx.post(f"{slack_env.url}/slack/events", content=b"\xff" * 100, timeout=10)
    assert_clean(response, 401)


def test_a_well_formed_modal_with_bad_metadata_gets_the_modal_error_not_a_500(slack_env: SlackEnv) -> None:
    """Shape is right, content is not: Slack shows the error in the modal, as for any invalid form."""
    before = side_effects(slack_env)
    for metadata in ("[1]", '{"account_id": {"x": 1}}', '{"account_id": "abc"}', "not json"):
        response = post(slack_env, interaction(submission(GOOD_VIEW | {"private_metadata": metadata})), FORM)
        assert response.status_code == 200, metadata
        assert response.json()["response_action"] == "errors"
    time.sleep(0.3)
    assert side_effects(slack_env) == before


def test_well_formed_requests_still_reach_bolt(slack_env: SlackEnv) -> None:
    assert slack_env.command("/account", "").status_code == 200
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    response = post(slack_env, challenge, JSON)
    assert response.status_code == 200 and "c-123" in response.text
