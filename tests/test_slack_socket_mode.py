"""Socket Mode (SLACK_APP_TOKEN): Slack pushes a slash command over a WebSocket, Tandem acknowledges the
envelope and answers through the response URL, with no public URL at all."""

from __future__ import annotations

import json

from bot.app import create_app
from bot.db import Database
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_socket import FakeSocketMode
from tests.slack_harness import AM, SIGNING_SECRET, SLACK_IDS, TEAM, TOKEN, ServerThread, load_demo, wait_for

APP_TOKEN = "xapp-1-A1-test"


def test_a_slash_command_over_socket_mode_is_acknowledged_and_answered(db: Database) -> None:
    load_demo(db)
    with FakeSlack(tokens=(TOKEN, APP_TOKEN)) as fake:
        for email, user in SLACK_IDS.items():
            fake.add_user(user, email, tz="Europe/Paris")
        command = {
            "team_id": TEAM,
            "user_id": AM,
            "command": "/account",
            "text": "Northwind Logistics",
            "response_url": fake.response_url("socket-1"),
            "trigger_id": "trigger-1",
            "channel_id": "D1",
            "api_app_id": "A1",
        }
        envelope = {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True}
        with FakeSocketMode([{**envelope, "payload": command}]) as socket:
            fake.socket_url = socket.url
            settings = Settings(
                database_url=db.url,
                slack_bot_token=TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_app_token=APP_TOKEN,
                slack_api_url=fake.api_url,
                openai_api_key=None,
                microsoft_app_id=None,
                org="default",
            )
            with ServerThread(create_app(settings, db)):
                wait_for(lambda: [m for m in socket.received if m.get("envelope_id") == "env-1"])
                [(_, answer)] = wait_for(lambda: fake.state.responses)
    assert "Northwind Logistics" in json.dumps(answer, ensure_ascii=False)
    assert any(c.method == "apps.connections.open" for c in fake.state.calls)
