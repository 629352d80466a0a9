"""Every message kind, built from hostile data, as Slack and Microsoft's own Adaptive Cards renderer see it.

Slack: Block Kit validation, Slack's limits, unique ids, and no data that formats, mentions or links.
Teams: the Adaptive Card 1.5 schema, then the `adaptivecards` package in headless Chromium at 340 and
500 px (the Teams light host config): no parse warning, no dropped element, no cut label or text.
The renderer needs node, chromium and tools/renderer/install.sh; without them these tests skip, unless
TANDEM_REQUIRE_RENDERER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from bot.render import actions as act
from bot.render.validate import validate_blocks, validate_card
from tests.message_samples import SLACK_LIVE, TEAMS_LIVE, slack_messages, teams_cards
from tools import card_renderer


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn string of a payload (plain_text is never parsed, so it may show data as typed)."""
    if isinstance(node, list):
        return [t for x in node for t in mrkdwn_texts(x)]
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() for t in mrkdwn_texts(v)]
    return []


def card_texts(node: Any) -> list[str]:
    """Every string Teams runs through Markdown: TextBlock texts and FactSet values."""
    if isinstance(node, list):
        return [t for x in node for t in card_texts(x)]
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "TextBlock" else []
        found += [f["value"] for f in node.get("facts", [])] if node.get("type") == "FactSet" else []
        return found + [t for v in node.values() for t in card_texts(v)]
    return []


@pytest.mark.parametrize("kind", sorted(slack_messages()))
def test_every_slack_message_fits_slacks_limits_and_shows_data_inert(kind: str) -> None:
    blocks, text = slack_messages()[kind]
    validate_blocks(blocks)
    assert len(text) <= 3000
    for mrkdwn in [*mrkdwn_texts(blocks), text]:
        live = [piece for piece in SLACK_LIVE if piece in mrkdwn]
        assert not live, (kind, live, mrkdwn[:200])
        assert not re.search(r"<(?!/)", mrkdwn.replace("&lt;", "")), mrkdwn[:200]  # no raw "<": no mention or link
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["type"] == "overflow":
                assert 2 <= len(element["options"]) <= 5
                assert all(len(o["value"]) <= act.OPTION_VALUE_LIMIT for o in element["options"])
                assert all(len(o["text"]["text"]) <= 75 for o in element["options"])


def test_a_digest_item_has_one_primary_action_and_the_rest_in_a_menu() -> None:
    blocks, _ = slack_messages()["digest"]
    rows = [b for b in blocks if b.get("block_id", "").startswith("item:")]
    assert len(rows) == 3
    for row in rows:
        button, menu = row["elements"]
        assert button["style"] == "primary" and menu["type"] == "overflow"
        labels = [o["text"]["text"] for o in menu["options"]]
        assert "Mark this item done" in labels and "Snooze this item 7 days" in labels
    assert rows[1]["elements"][0]["text"]["text"] == "Hand off to your CSM"  # the pair conflict: talk to the pair
    assert rows[0]["elements"][0]["text"]["text"] == "Open in CRM"
    card = teams_cards()["digest"]
    action_sets = [e for c in card["body"] if c["type"] == "Container" for e in c["items"] if e["type"] == "ActionSet"]
    assert len(action_sets) == 3
    for action_set in action_sets:
        modes = [a.get("mode", "primary") for a in action_set["actions"]]
        assert modes[0] == "primary" and set(modes[1:]) == {"secondary"}


@pytest.mark.parametrize("kind", sorted(teams_cards()))
def test_every_teams_card_is_valid_and_shows_data_inert(kind: str) -> None:
    card = teams_cards()[kind]
    validate_card(card)
    for text in card_texts(card):
        live = [piece for piece in TEAMS_LIVE if piece in text]
        assert not live, (kind, live, text[:200])


def test_long_texts_are_cut_at_spaces_not_inside_words_or_placeholders() -> None:
    card = teams_cards()["model-input"]
    chunks = [e["text"] for e in card["body"] if e.get("fontType") == "Monospace"]
    assert len(chunks) > 1
    for chunk in chunks[:-1]:
        assert chunk.endswith(("<PHONE_2>", "<EMAIL_1>", "renewal,", "call", "about", "the", "from", "Ticket")), chunk


@pytest.fixture(scope="module")
def rendered() -> list[card_renderer.Problem]:
    if why := card_renderer.missing():
        if os.environ.get("TANDEM_REQUIRE_RENDERER") == "1":
            pytest.fail(f"TANDEM_REQUIRE_RENDERER=1 but the card renderer cannot run: {why}")
        pytest.skip(f"Microsoft's card renderer is not available here: {why}")
    return card_renderer.render(teams_cards())


def test_microsofts_renderer_draws_every_card_cleanly_at_phone_and_desktop_width(
    rendered: list[card_renderer.Problem],
) -> None:
    assert not rendered, "\n".join(f"{p.card} at {p.width}px: {p.problem}" for p in rendered)


def test_the_renderer_check_catches_cut_labels_and_unknown_elements() -> None:
    """The check itself can fail: yesterday's digest row of four buttons is cut at phone width."""
    if why := card_renderer.missing():
        if os.environ.get("TANDEM_REQUIRE_RENDERER") == "1":
            pytest.fail(f"TANDEM_REQUIRE_RENDERER=1 but the card renderer cannot run: {why}")
        pytest.skip(f"Microsoft's card renderer is not available here: {why}")
    titles = ["Open account", "Snooze 7 days", "Hand off", "Done"]
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Northwind", "wrap": True},
            {"type": "Bogus"},
            {"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": t} for t in titles]},
        ],
    }
    problems = card_renderer.render({"old-row": card})
    at_phone = {p.problem for p in problems if p.width == 340}
    assert any(p.startswith("parse warning") for p in at_phone)
    assert 'action label cut: "Done"' in at_phone
    assert not any("cut" in p.problem for p in problems if p.width == 500)


def test_teams_notification_texts_show_data_inert() -> None:
    """The `text` beside a card (what a Teams notification shows) is Markdown too."""
    from bot.handoff_relay import handoff_notice
    from bot.render.cards import alert_summary, digest_summary
    from tests.message_samples import HOSTILE, alert, digest

    for text in (digest_summary(digest()), alert_summary(alert()), handoff_notice("teams", HOSTILE, HOSTILE)):
        assert not [piece for piece in TEAMS_LIVE if piece in text], text
    assert "items, 0 more" not in digest_summary(digest()) and "need you" in digest_summary(digest())
