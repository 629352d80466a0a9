"""The Slack app end to end: signed requests over HTTP, answers through the real slack_sdk to a fake Slack."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from bot.delivery.routing import chat_channels
from bot.demo.generator import SAMPLE_ANCHOR
from bot.models import Account, AuditEntry, Feedback, Handoff, HandoffMessage, Signal
from bot.pipeline import run_alerts, run_digests
from bot.render import actions as act
from bot.render.validate import validate_blocks
from tests.slack_harness import AM, CSM, SlackEnv, wait_for


def _text_of(payload: dict[str, Any]) -> str:
    return json.dumps(payload.get("blocks", []), ensure_ascii=False) + str(payload.get("text", ""))


def _answer(env: SlackEnv, query: str, user: str = AM) -> dict[str, Any]:
    before = len(env.responses())
    response = env.command("/account", query, user=user)
    assert response.status_code == 200
    payload = wait_for(lambda: env.responses()[before:])[0]
    if payload.get("blocks"):
        validate_blocks(payload["blocks"])
    return payload


def test_account_exact_answers_with_the_shared_read(slack_env: SlackEnv) -> None:
    payload = _answer(slack_env, "Northwind Logistics")
    text = _text_of(payload)
    assert payload["response_type"] == "ephemeral"
    for fact in ("Northwind Logistics", "ARR", "Renewal", "Health", "Stakeholders", "Share in channel"):
        assert fact in text
    assert "renewal" in text.lower() and "usage" in text.lower()


def test_account_fuzzy_ambiguous_unknown_and_empty(slack_env: SlackEnv) -> None:
    assert "Northwind Logistics" in _text_of(_answer(slack_env, "northwnd logistic"))
    assert "Several accounts match" in _text_of(_answer(slack_env, "a"))
    assert "No account matches" in _text_of(_answer(slack_env, "zzqx-nothing"))
    empty = slack_env.command("/account", "")
    assert "/account" in empty.text and "handoff" in empty.text  # help, straight in the ack


def test_the_chooser_and_share_buttons_answer_in_place(slack_env: SlackEnv) -> None:
    with slack_env.db.session() as session:
        account_id = session.scalar(select(Account.id).where(Account.external_id == "ACC-002"))
    assert account_id is not None
    value = act.button_value(account_id, [])
    slack_env.button(act.slack_action_id(act.CHOOSE, 0), value)
    chosen = wait_for(lambda: [p for p in slack_env.responses() if p.get("replace_original")])
    assert "Acme Robotics" in _text_of(chosen[0])
    slack_env.button(act.slack_action_id(act.SHARE, 0), value)
    shared = wait_for(lambda: [p for p in slack_env.responses() if p.get("response_type") == "in_channel"])
    assert "Shared by Alice Martin" in _text_of(shared[0])


def test_lookups_are_audited_without_personal_data(slack_env: SlackEnv) -> None:
    _answer(slack_env, "Northwind Logistics")
    with slack_env.db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("account.%"))).all()
    assert {e.action for e in entries} == {"account.lookup", "account.view"}
    assert all(e.actor == "alice.martin@tandem-demo.example" for e in entries)
    assert "Northwind" not in json.dumps([e.details for e in entries])


def test_forged_and_replayed_requests_get_401_and_do_nothing(slack_env: SlackEnv) -> None:
    forged = slack_env.command("/account", "Northwind", secret="not-the-secret")
    stale = slack_env.command("/account", "Northwind", timestamp=int(time.time()) - 6 * 60)
    assert (forged.status_code, stale.status_code) == (401, 401)
    time.sleep(0.3)
    assert slack_env.responses() == []


def test_a_stranger_sees_nothing(slack_env: SlackEnv) -> None:
    payload = _answer(slack_env, "Northwind Logistics", user="U-STRANGER")
    assert "does not know you" in payload["text"]
    assert "Northwind" not in _text_of(payload)


def test_digest_posts_once_to_each_member_and_a_429_is_retried(slack_env: SlackEnv) -> None:
    slack_env.fake.fail_next("chat.postMessage", 429, retry_after=1)
    channels = chat_channels(slack_env.settings, slack_env.db, slack_env.org_id)
    report = run_digests(slack_env.db, "default", SAMPLE_ANCHOR, channels)
    assert report.count("sent") == 4
    for user in ("U0DEMOAM1", "U0DEMOAM2", "U0DEMOCSM1", "U0DEMOCSM2"):
        [post] = slack_env.fake.posts("D" + user)
        validate_blocks(post["blocks"])
    again = run_digests(slack_env.db, "default", SAMPLE_ANCHOR, channels)
    assert again.count("skipped") == 4 and len(slack_env.fake.posts()) == 4


def test_stakeholder_departure_alerts_each_owner_once(slack_env: SlackEnv) -> None:
    channels = chat_channels(slack_env.settings, slack_env.db, slack_env.org_id)
    first = run_alerts(slack_env.db, "default", SAMPLE_ANCHOR, channels)
    assert first.count("sent") == 2  # Globex: its AM and its CSM
    posted = slack_env.fake.posts()
    assert {p["metadata"]["event_payload"]["key"].split(":")[1] for p in posted} == {"alert"}
    assert all("Key stakeholder left" in p["text"] for p in posted)
    second = run_alerts(slack_env.db, "default", SAMPLE_ANCHOR, channels)
    assert second.outcomes == [] and len(slack_env.fake.posts()) == 2


def _alices_signal(env: SlackEnv) -> tuple[Signal, str]:
    """A signal on one of the AM's accounts, and the value its digest buttons carry."""
    with env.db.session() as session:
        signal = session.scalars(
            select(Signal).join(Account).where(Account.am_email == "alice.martin@tandem-demo.example")
        ).first()
        assert signal is not None
        return signal, act.button_value(signal.account_id, [signal.id])


def test_snooze_done_and_feedback_buttons(slack_env: SlackEnv) -> None:
    signal, value = _alices_signal(slack_env)
    slack_env.button(act.slack_action_id(act.SNOOZE, 0), value)
    slack_env.button(act.slack_action_id(act.FEEDBACK_USEFUL, 0), value)
    wait_for(lambda: len(slack_env.responses()) >= 2)
    assert any("Snoozed for 7 days" in p["text"] for p in slack_env.responses())
    with slack_env.db.session() as session:
        assert session.get_one(Signal, signal.id).snoozed_until is not None
        assert session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_done_not_useful_and_open_account_buttons(slack_env: SlackEnv) -> None:
    signal, value = _alices_signal(slack_env)
    with slack_env.db.session() as session:
        account_name = session.get_one(Account, signal.account_id).name
    slack_env.button(act.slack_action_id(act.DONE, 0), value)
    slack_env.button(act.slack_action_id(act.FEEDBACK_NOT_USEFUL, 0), value)
    wait_for(lambda: len(slack_env.responses()) >= 2)
    assert any("Marked as done" in p["text"] for p in slack_env.responses())
    before = len(slack_env.responses())
    slack_env.button(act.slack_action_id(act.OPEN_ACCOUNT, 0), value)
    opened = wait_for(lambda: slack_env.responses()[before:])[0]
    validate_blocks(opened["blocks"])
    assert account_name in _text_of(opened) and opened["replace_original"] is False  # the digest stays
    with slack_env.db.session() as session:
        assert session.get_one(Signal, signal.id).handled_at is not None
        assert [f.useful for f in session.scalars(select(Feedback))] == [False]


def test_a_handoff_round_trips_with_replies_mirrored_once(slack_env: SlackEnv) -> None:
    response = slack_env.command("/handoff", "Northwind Logistics: usage is falling, can you run a health check?")
    assert response.status_code == 200
    wait_for(lambda: len(slack_env.threads()) == 2)  # both roots posted and recorded
    [csm_root] = slack_env.fake.posts("D" + CSM)
    [am_root] = slack_env.fake.posts("D" + AM)
    validate_blocks(csm_root["blocks"])
    assert "Acknowledge" in json.dumps(csm_root["blocks"]) and "Acknowledge" not in json.dumps(am_root["blocks"])
    reply = {
        "type": "message",
        "channel_type": "im",
        "channel": "D" + CSM,
        "user": CSM,
        "text": "On it, booking a call this week",
        "ts": "1800000000.000100",
        "thread_ts": csm_root["ts"],
    }
    slack_env.event(reply, "Ev1")
    mirrored = wait_for(lambda: [p for p in slack_env.fake.posts("D" + AM) if p.get("thread_ts") == am_root["ts"]])
    assert "On it, booking a call" in mirrored[0]["text"] and "Chloé Dubois" in mirrored[0]["text"]
    slack_env.event(reply, "Ev1", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    time.sleep(0.5)
    assert len([p for p in slack_env.fake.posts("D" + AM) if p.get("thread_ts")]) == 1
    with slack_env.db.session() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 1
        handoff_id = handoff.id
    slack_env.button(act.slack_action_id(act.HANDOFF_ACK, 0), act.ref_value("h", handoff_id), user=CSM)
    wait_for(lambda: any("acknowledged" in p.get("text", "") for p in slack_env.responses()))
    with slack_env.db.session() as session:
        assert session.get_one(Handoff, handoff_id).status == "acknowledged"


def test_a_handoff_without_a_colon_finds_a_multi_word_account(slack_env: SlackEnv) -> None:
    slack_env.command("/handoff", "Northwind Logistics usage is falling, can you run a health check?")
    wait_for(lambda: len(slack_env.threads()) == 2)
    with slack_env.db.session() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert session.get_one(Account, handoff.account_id).name == "Northwind Logistics"
        assert handoff.note == "usage is falling, can you run a health check?"
    slack_env.command("/handoff", "Nosuchco please call them")
    assert wait_for(lambda: [p for p in slack_env.responses() if "No account matches" in p.get("text", "")])


def test_the_handoff_modal_is_prefilled_and_a_resubmission_creates_nothing(slack_env: SlackEnv) -> None:
    with slack_env.db.session() as session:
        account_id = session.scalar(select(Account.id).where(Account.external_id == "ACC-001"))
    assert account_id is not None
    slack_env.button(act.slack_action_id(act.HANDOFF, 0), act.button_value(account_id, []))
    opened = wait_for(lambda: [v for v in slack_env.fake.state.views if v["method"] == "views.open"])
    view = opened[0]["view"]
    validate_blocks(view["blocks"])
    note = next(b for b in view["blocks"] if b.get("block_id") == "note")
    assert note["element"]["initial_value"]  # prefilled from the top signal
    next_step = next(b for b in view["blocks"] if b.get("block_id") == "next_step")
    assert next_step["element"]["initial_value"]  # what the pair should do, from the same signal
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": AM},
        "view": {
            "id": "V123",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "topic": {"value": {"type": "static_select", "selected_option": {"value": "risk"}}},
                    "note": {"value": {"type": "plain_text_input", "value": "Renewal at risk, please call Zoe"}},
                    "promises": {"value": {"type": "plain_text_input", "value": "A usage report by Friday"}},
                    "next_step": {"value": {"type": "plain_text_input", "value": None}},
                    "due": {"value": {"type": "datepicker", "selected_date": "2026-11-27"}},
                }
            },
        },
    }
    assert slack_env.interact(submission).status_code == 200
    assert slack_env.interact(submission).status_code == 200
    wait_for(lambda: slack_env.fake.posts("D" + CSM))
    time.sleep(0.3)
    with slack_env.db.session() as session:
        [handoff] = session.scalars(select(Handoff)).all()
        assert (handoff.topic, handoff.promises, str(handoff.due_date)) == (
            "risk",
            "A usage report by Friday",
            "2026-11-27",
        )
    assert len(slack_env.fake.posts("D" + CSM)) == 1


def test_app_home_shows_the_members_book(slack_env: SlackEnv) -> None:
    slack_env.event({"type": "app_home_opened", "user": AM, "tab": "home"}, "EvHome")
    published = wait_for(lambda: [v for v in slack_env.fake.state.views if v["method"] == "views.publish"])
    view = published[0]["view"]
    validate_blocks(view["blocks"])
    assert "Northwind Logistics" in json.dumps(view) and "Digest time" in json.dumps(view)
    # The member's indicators head it, each with its period (the demo book has one day of ARR history).
    shown = json.dumps(view)
    for label in ("Renewal rate", "Net revenue retention", "Value at risk", "Expansion pipeline", "Coverage"):
        assert label in shown
    assert "ARR history begins" in shown
