"""Malformed Teams requests over real HTTP: the token is checked before the body, 401 then 400, never a 500.

Tokens are signed by the local identity provider (FakeBotConnector), as in test_teams_http.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.db import Database
from bot.models import AuditEntry, ConversationRef, Handoff
from tests.fakes.bot_connector import FakeBotConnector
from tests.slack_harness import ServerThread
from tests.teams_harness import APP_ID, TeamsEnv, load_pairs, teams_settings, use_fake_identity


@pytest.fixture
def teams_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamsEnv]:
    org_id = load_pairs(db)
    with FakeBotConnector() as fake:
        use_fake_identity(monkeypatch, fake)
        settings = teams_settings(db)
        with ServerThread(create_app(settings, db)) as url:
            yield TeamsEnv(db, fake, url, settings, org_id)


def malformed(env: TeamsEnv) -> dict[str, bytes]:
    good = env.activity("account Northwind")

    def variant(**fields: Any) -> bytes:
        return json.dumps(good | fields).encode()

    without_type = {k: v for k, v in good.items() if k != "type"}
    return {
        "not JSON": b"{" + b"x" * 500,
        "not UTF-8": b'{"type": "message", "text": "\xff\xfe"}',
        "a list": json.dumps([good]).encode(),
        "null": b"null",
        "a string": b'"message"',
        "no type": json.dumps(without_type).encode(),
        "type a number": variant(type=3),
        "empty type": variant(type=""),
        "from a string": variant(**{"from": "29:someone"}),
        "from.id a number": variant(**{"from": {"id": 29}}),
        "conversation a list": variant(conversation=["a:1"]),
        "text a number": variant(text=42),
        "entities not a list": variant(entities={"type": "mention"}),
        "membersAdded an object": variant(type="conversationUpdate", membersAdded={"id": f"28:{APP_ID}"}),
        "channelData a string": variant(channelData="tenant-1"),
        "tenant a string": variant(channelData={"tenant": "tenant-1"}),
        "serviceUrl a list": variant(serviceUrl=[env.fake.service_url]),
    }


def post(env: TeamsEnv, body: bytes, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    return httpx.post(f"{env.url}/api/messages", content=body, headers=headers, timeout=20)


def side_effects(env: TeamsEnv) -> tuple[int, ...]:
    with env.db.session() as session:
        counts = [
            session.scalar(select(func.count()).select_from(t)) or 0 for t in (ConversationRef, Handoff, AuditEntry)
        ]
    return (len(env.fake.posts()), *counts)


def assert_clean(response: httpx.Response, status: int, case: str) -> None:
    assert response.status_code == status, (case, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and len(response.content) < 200, case


def test_malformed_activities_get_401_without_a_token_and_400_with_one(
    teams_env: TeamsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    token = teams_env.fake.token(APP_ID, teams_env.fake.service_url)
    before = side_effects(teams_env)
    for case, body in malformed(teams_env).items():
        assert_clean(post(teams_env, body, None), 401, case)
        assert_clean(post(teams_env, body, "not-a-jwt"), 401, case)
        assert_clean(post(teams_env, body, teams_env.fake.token("another-app")), 401, case)
        with caplog.at_level(logging.INFO):
            caplog.clear()
            assert_clean(post(teams_env, body, token), 400, case)
        refusals = [r.getMessage() for r in caplog.records if "Teams request refused" in r.getMessage()]
        assert len(refusals) == 1 and "(400)" in refusals[0], (case, refusals)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], case
    time.sleep(0.3)
    assert side_effects(teams_env) == before


def test_a_well_formed_activity_still_needs_its_token_bound_to_it(teams_env: TeamsEnv) -> None:
    """A valid token for another service URL passes the first check, not the second."""
    body = teams_env.activity("account Northwind")
    other = teams_env.fake.token(APP_ID, "http://127.0.0.1:9/elsewhere/")
    before = side_effects(teams_env)
    assert_clean(post(teams_env, json.dumps(body).encode(), other), 401, "other service URL")
    assert side_effects(teams_env) == before
    assert teams_env.post(body).status_code in (200, 201)  # and the right token still works
