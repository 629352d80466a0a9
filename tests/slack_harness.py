"""Tandem served over real HTTP on loopback, talking to a local fake Slack through the real slack_sdk.

`slack_env` loads the demo book, starts the fake Slack and `tandem serve`'s app (uvicorn in a thread),
and signs requests the way Slack does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.app import create_app
from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR
from bot.models import HandoffThread, Member
from bot.orgs import get_org
from bot.pipeline import run_score, run_sync
from bot.settings import Settings
from bot.tenancy import scope_session
from integrations.files import FileSource
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
TEAM = "T1"
# The demo's CSMs live in Teams; in these Slack tests they get Slack ids so both sides of a pair are here.
SLACK_IDS = {
    "alice.martin@tandem-demo.example": "U0DEMOAM1",
    "bruno.costa@tandem-demo.example": "U0DEMOAM2",
    "chloe.dubois@tandem-demo.example": "U0DEMOCSM1",
    "david.okafor@tandem-demo.example": "U0DEMOCSM2",
}
AM, CSM = "U0DEMOAM1", "U0DEMOCSM1"


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Bolt answers after the ack: poll until the follow-up has reached the fake."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.02)
    raise AssertionError("timed out waiting for Slack")


def load_demo(db: Database, slug: str = "default", slack_only: bool = True) -> int:
    run_sync(db, slug, FileSource(SAMPLE_DIR))
    run_score(db, slug, SAMPLE_ANCHOR)
    with db.session() as session:
        org_id = get_org(session, slug).id
        members = list(session.scalars(select(Member).where(Member.org_id == org_id)))
        for m in members:
            m.slack_user_id = SLACK_IDS.get(m.email, m.slack_user_id)
            if slack_only:
                m.teams_user_id = None
        return members[0].org_id


class ServerThread:
    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_for(lambda: self.server.started)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@dataclass
class SlackEnv:
    db: Database
    fake: FakeSlack
    url: str
    settings: Settings
    org_id: int

    def signed(
        self, body: str, content_type: str, timestamp: int | None = None, secret: str = SIGNING_SECRET, **headers: str
    ) -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))
        return httpx.post(
            f"{self.url}/slack/events",
            content=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
                **headers,
            },
            timeout=10,
        )

    def command(self, command: str, text: str, user: str = AM, team: str = TEAM, **kw: Any) -> httpx.Response:
        ident = f"cmd-{time.monotonic_ns()}"
        form = {
            "command": command,
            "text": text,
            "user_id": user,
            "team_id": team,
            "channel_id": "C1",
            "trigger_id": f"trig-{ident}",
            "response_url": self.fake.response_url(ident),
        }
        return self.signed(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def interact(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any], event_id: str, team: str = TEAM, **headers: str) -> httpx.Response:
        body = {
            "type": "event_callback",
            "team_id": team,
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
        return self.signed(json.dumps(body), "application/json", None, SIGNING_SECRET, **headers)

    def button(self, action_id: str, value: str, user: str = AM, url: str | None = None) -> httpx.Response:
        ident = f"act-{time.monotonic_ns()}"
        action = {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1.0"}
        if url:
            action["url"] = url
        return self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user},
                "api_app_id": "A1",
                "trigger_id": f"trig-{ident}",
                "response_url": self.fake.response_url(ident),
                "channel": {"id": "D1"},
                "container": {"type": "message", "message_ts": "1.0"},
                "actions": [action],
            }
        )

    def threads(self) -> list[tuple[str, str]]:
        """Handoff threads recorded so far: (channel, thread ts)."""
        with self.db.session() as session:
            scope_session(session, self.org_id)  # the app's database role sees its organization's rows only
            return [(t.channel, t.thread_ref) for t in session.scalars(select(HandoffThread))]

    def responses(self) -> list[dict[str, Any]]:
        return [payload for _, payload in self.fake.state.responses]


@contextmanager
def running_slack(db: Database, **overrides: Any) -> Iterator[SlackEnv]:
    """The demo book, a fake Slack and Tandem served on loopback; `overrides` are Settings fields."""
    org_id = load_demo(db)
    with FakeSlack(tokens=(TOKEN,)) as fake:
        for email, user in SLACK_IDS.items():
            fake.add_user(user, email, tz="Europe/Paris")
        fields: dict[str, Any] = {
            "database_url": db.url,
            "slack_bot_token": TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake.api_url,
            "openai_api_key": None,
            "microsoft_app_id": None,
            "org": "default",
        }
        settings = Settings(**(fields | overrides))
        with ServerThread(create_app(settings, db)) as url:
            yield SlackEnv(db, fake, url, settings, org_id)


@pytest.fixture
def slack_env(db: Database) -> Iterator[SlackEnv]:
    with running_slack(db) as env:
        yield env
