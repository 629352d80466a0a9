"""manifest.yml declares exactly what the code handles: every command, shortcut, event and scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.app import BOT_SCOPES, COMMANDS, EVENTS, SHORTCUT
from tests.slack_harness import SlackEnv

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_manifest_declares_what_the_code_registers() -> None:
    m = _manifest()
    assert {c["command"] for c in m["features"]["slash_commands"]} == set(COMMANDS)
    assert [s["callback_id"] for s in m["features"]["shortcuts"]] == [SHORTCUT]
    # Bolt's "message" listener serves DMs only, so the manifest subscribes to message.im.
    declared_events = {e.removesuffix(".im") for e in m["settings"]["event_subscriptions"]["bot_events"]}
    assert declared_events == set(EVENTS)
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    urls = {c["url"] for c in m["features"]["slash_commands"]}
    urls |= {m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"]}
    assert all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)


def test_every_declared_command_and_event_is_handled(slack_env: SlackEnv) -> None:
    """Bolt answers 404 to a request no listener takes: each declared one must get 200."""
    m = _manifest()
    for command in m["features"]["slash_commands"]:
        assert slack_env.command(command["command"], "").status_code == 200, command["command"]
    assert slack_env.command("/not-declared", "x").status_code == 404
    for i, name in enumerate(m["settings"]["event_subscriptions"]["bot_events"]):
        event = {
            "type": name.split(".")[0],
            "user": "U0DEMOAM1",
            "channel": "D1",
            "channel_type": "im",
            "text": "hi",
            "ts": "1.0",
            "tab": "home",
        }
        assert slack_env.event(event, f"Ev{i}").status_code == 200, name
    shortcut = {
        "type": "message_action",
        "callback_id": SHORTCUT,
        "team": {"id": "T1"},
        "user": {"id": "U0DEMOAM1"},
        "trigger_id": "t",
        "message": {"text": "hello", "ts": "1.0"},
        "channel": {"id": "D1"},
        "response_url": slack_env.fake.response_url("s"),
    }
    assert slack_env.interact(shortcut).status_code == 200
