"""App Home settings: the member edits digest time, channel, items and signal kinds; the digest follows."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.models.views import View
from sqlalchemy import select

from bot.delivery.routing import chat_channels
from bot.demo.generator import SAMPLE_ANCHOR
from bot.digest import build_digest
from bot.models import Member, Signal
from bot.orgs import get_org
from bot.pipeline import run_digests
from bot.render import actions as act
from bot.render.validate import validate_blocks
from scoring.results import CRITICAL
from tests.slack_harness import AM, SlackEnv, wait_for

ALICE = "alice.martin@tandem-demo.example"


def _views(env: SlackEnv, method: str) -> list[dict[str, Any]]:
    return [v["view"] for v in env.fake.state.views if v["method"] == method]


def _submission(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": AM},
        "view": {
            "id": "VSET",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": values},
        },
    }


def _values(time: str, budget: str, kinds: list[str], channel: str | None = None) -> dict[str, Any]:
    return {
        "time": {"value": {"type": "timepicker", "selected_time": time}},
        "channel": {"value": {"type": "conversations_select", "selected_conversation": channel}},
        "budget": {"value": {"type": "static_select", "selected_option": {"value": budget}}},
        "kinds": {"value": {"type": "checkboxes", "selected_options": [{"value": k} for k in kinds]}},
    }


def _digest_kinds(env: SlackEnv, day: date) -> tuple[set[str], int]:
    with env.db.session() as session:
        member = session.scalars(select(Member).where(Member.email == ALICE)).one()
        digest, _ = build_digest(session, get_org(session, "default"), member, day)
        return {k for item in digest.items for k in item.kinds}, len(digest.items) + digest.more_count


def test_settings_are_edited_from_app_home_and_shape_the_digest(slack_env: SlackEnv) -> None:
    slack_env.event({"type": "app_home_opened", "user": AM, "tab": "home"}, "EvHome1")
    home = wait_for(lambda: _views(slack_env, "views.publish"))[0]
    button = next(e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"].startswith(act.EDIT_SETTINGS)

    slack_env.button(button["action_id"], button["value"])
    modal = wait_for(lambda: _views(slack_env, "views.open"))[0]
    View(**modal).validate_json()  # slack_sdk's own checks on the modal
    validate_blocks(modal["blocks"])
    kinds_block = next(b for b in modal["blocks"] if b["block_id"] == "kinds")
    all_kinds = [o["value"] for o in kinds_block["element"]["options"]]
    assert [o["value"] for o in kinds_block["element"]["initial_options"]] == all_kinds  # nothing muted yet

    with slack_env.db.session() as session:
        member = session.scalars(select(Member).where(Member.email == ALICE)).one()
    day = SAMPLE_ANCHOR
    shown_before, _ = _digest_kinds(slack_env, day)
    muted = sorted(k for k in shown_before if k != "stakeholder_left")[:2]
    assert muted, "the demo book gives Alice several kinds of signals"

    # A malformed submission is refused with the field to fix, and changes nothing.
    bad = slack_env.interact(_submission(modal, _values("25:99", "5", all_kinds)))
    assert bad.status_code == 200 and json.loads(bad.text) == {
        "response_action": "errors",
        "errors": {"time": "pick a time"},
    }
    with slack_env.db.session() as session:
        assert session.get_one(Member, member.id).digest_time == member.digest_time

    keep = [k for k in all_kinds if k not in muted]
    assert slack_env.interact(_submission(modal, _values("07:45", "3", keep, channel="C0DIGEST"))).status_code == 200
    republished = wait_for(lambda: len(_views(slack_env, "views.publish")) >= 2 and _views(slack_env, "views.publish"))
    assert "07:45" in json.dumps(republished[-1]) and "C0DIGEST" in json.dumps(republished[-1])
    with slack_env.db.session() as session:
        saved = session.get_one(Member, member.id)
        assert (saved.digest_time, saved.digest_channel, saved.digest_budget) == ("07:45", "C0DIGEST", 3)
        assert sorted(saved.muted_kinds) == muted

    shown_after, _ = _digest_kinds(slack_env, day)
    with slack_env.db.session() as session:
        critical = {s.kind for s in session.scalars(select(Signal)) if s.severity >= CRITICAL}
    assert not (shown_after & set(muted)) - critical  # muted kinds left the digest, critical ones excepted

    # The next digest goes to the chosen channel, not to the DM.
    report = run_digests(
        slack_env.db, "default", day, chat_channels(slack_env.settings, slack_env.db, slack_env.org_id), [member.id]
    )
    assert report.count("sent") == 1
    [posted] = slack_env.fake.posts("C0DIGEST")
    validate_blocks(posted["blocks"])
    assert not slack_env.fake.posts("D" + AM)
