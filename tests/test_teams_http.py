"""The Teams bot over real HTTP: signed requests on /api/messages, answers and proactive messages through
the real botbuilder connector client to a local fake Bot Connector, and a Slack-to-Teams handoff."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from bot.app import create_app
from bot.db import Database
from bot.delivery.routing import chat_channels
from bot.demo.generator import SAMPLE_ANCHOR
from bot.models import ConversationRef, Delivery, Handoff, HandoffMessage, Member, Organization
from bot.pipeline import run_alerts, run_digests
from bot.render.validate import validate_blocks, validate_card
from bot.status import org_status
from tests.fakes.bot_connector import OUTBOUND_TOKEN, FakeBotConnector
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.slack_harness import SIGNING_SECRET, TOKEN, ServerThread, SlackEnv, wait_for
from tests.teams_harness import (
    APP_ID,
    CSM,
    TeamsEnv,
    load_pairs,
    personal_conversation,
    teams_settings,
    use_fake_identity,
)

CSM2 = "29:demo-csm-2"  # David Okafor
AM = "U0DEMOAM1"  # Alice Martin, in Slack


@pytest.fixture
def teams_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamsEnv]:
    org_id = load_pairs(db)
    with FakeBotConnector() as fake:
        use_fake_identity(monkeypatch, fake)
        settings = teams_settings(db)
        with ServerThread(create_app(settings, db)) as url:
            yield TeamsEnv(db, fake, url, settings, org_id)


def install(env: TeamsEnv, user: str) -> None:
    body = env.activity(
        kind="conversationUpdate", user=user, aad=None, membersAdded=[{"id": f"28:{APP_ID}", "name": "Tandem"}]
    )
    assert env.post(body).status_code in (200, 201)


def cards_to(env: TeamsEnv, user: str) -> list[dict[str, Any]]:
    found = env.fake.cards(personal_conversation(user))
    for card in found:
        validate_card(card)
    return found


def test_account_lookup_answers_through_the_connector(teams_env: TeamsEnv) -> None:
    [card] = teams_env.say("account Northwind Logistics")
    validate_card(card)
    assert "Northwind Logistics" in json.dumps(card) and "Stakeholders" in json.dumps(card)
    [post] = teams_env.fake.posts()
    assert post.authorization == f"Bearer {OUTBOUND_TOKEN}"  # the bot authenticates to the connector
    assert post.reply_to is not None  # an answer to the message, in its conversation
    [chooser] = teams_env.say("account a")
    validate_card(chooser)
    assert "Several accounts match" in json.dumps(chooser)
    [none] = teams_env.say("account zzqx-nothing")
    assert "No account matches" in json.dumps(none)


def test_unauthenticated_and_forged_requests_get_401_and_do_nothing(teams_env: TeamsEnv) -> None:
    body = teams_env.activity("account Northwind Logistics")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert teams_env.post(body, token=None).status_code == 401
    assert teams_env.post(body, token="not-a-jwt").status_code == 401
    assert teams_env.post(body, token=teams_env.fake.token(APP_ID, key=other_key)).status_code == 401  # forged
    assert teams_env.post(body, token=teams_env.fake.token("another-app")).status_code == 401  # not for us
    wrong_service = teams_env.fake.token(APP_ID, service_url="https://elsewhere.example/")
    assert teams_env.post(body, token=wrong_service).status_code == 401
    expired = teams_env.fake.token(APP_ID, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    assert teams_env.post(body, token=expired).status_code == 401
    assert teams_env.fake.posts() == []
    with teams_env.db.session() as session:
        assert session.scalars(select(ConversationRef)).all() == []


def test_a_stranger_gets_one_sentence(teams_env: TeamsEnv) -> None:
    [answer] = teams_env.say("account Northwind Logistics", user="29:stranger", aad=None)
    assert "does not know you" in json.dumps(answer) and "Northwind" not in json.dumps(answer)


def test_install_then_proactive_digest_once_with_a_429_retried(teams_env: TeamsEnv) -> None:
    install(teams_env, CSM)
    install(teams_env, CSM2)
    assert len(teams_env.fake.posts()) == 2  # a hello in each personal chat
    channels = chat_channels(teams_env.settings, teams_env.db, teams_env.org_id)
    assert set(channels) == {"teams"}
    teams_env.fake.fail_next(429, retry_after=0)
    attempts = teams_env.fake.state.attempts
    report = run_digests(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert report.count("sent") == 2  # the two CSMs; the AMs live in Slack, not configured here
    assert teams_env.fake.state.attempts == attempts + 3  # one throttled, then one post each
    for user in (CSM, CSM2):
        digest = [c for c in cards_to(teams_env, user) if "Tandem digest" in c["fallbackText"]]
        assert len(digest) == 1
    again = run_digests(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert again.count("skipped") == 2 and len(teams_env.fake.posts()) == 4


def test_a_stakeholder_alert_reaches_the_teams_csm_once(teams_env: TeamsEnv) -> None:
    install(teams_env, CSM)
    install(teams_env, CSM2)
    channels = chat_channels(teams_env.settings, teams_env.db, teams_env.org_id)
    first = run_alerts(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert first.count("sent") == 1  # Globex: its CSM in Teams (its AM is in Slack)
    alerts = [
        c for user in (CSM, CSM2) for c in cards_to(teams_env, user) if "Key stakeholder left" in c["fallbackText"]
    ]
    assert len(alerts) == 1
    opened, handoff = alerts[0]["actions"]  # the CRM link opens in the browser; the handoff is a submit
    assert opened["title"] in ("Open in CRM", "Show the account")
    assert handoff["data"]["action"] == "handoff_start"
    second = run_alerts(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert second.outcomes == []


def test_a_member_who_removed_the_app_is_unreachable_and_gets_the_digest_back(teams_env: TeamsEnv) -> None:
    install(teams_env, CSM)
    channels = chat_channels(teams_env.settings, teams_env.db, teams_env.org_id)
    teams_env.fake.fail_next(403)
    report = run_digests(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert report.count("failed") >= 1
    with teams_env.db.session() as session:
        ref = session.scalars(select(ConversationRef)).one()
        assert not ref.reachable
        status = org_status(session, session.get_one(Organization, ref.org_id), {})
    assert status.unreachable == ["chloe.dubois@tandem-demo.example"]  # `tandem status` lists them
    attempts = teams_env.fake.state.attempts
    run_digests(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert teams_env.fake.state.attempts == attempts  # not hammered while unreachable
    install(teams_env, CSM)  # they are back
    report = run_digests(teams_env.db, "default", SAMPLE_ANCHOR, channels)
    assert report.count("sent") == 1
    assert len([c for c in cards_to(teams_env, CSM) if "Tandem digest" in c["fallbackText"]]) == 1
    with teams_env.db.session() as session:
        statuses = {d.status for d in session.scalars(select(Delivery).where(Delivery.platform == "teams"))}
        assert "sent" in statuses


# -- Slack and Teams together: a handoff across platforms --------------------------------------------------
@pytest.fixture
def pair_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SlackEnv, TeamsEnv]]:
    org_id = load_pairs(db)
    with FakeSlack(tokens=(TOKEN,)) as slack, FakeBotConnector() as teams:
        slack.add_user(AM, "alice.martin@tandem-demo.example", tz="Europe/Paris")
        use_fake_identity(monkeypatch, teams)
        settings = teams_settings(
            db, slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.api_url
        )
        with ServerThread(create_app(settings, db)) as url:
            yield SlackEnv(db, slack, url, settings, org_id), TeamsEnv(db, teams, url, settings, org_id)


def test_a_slack_to_teams_handoff_with_replies_both_ways(pair_env: tuple[SlackEnv, TeamsEnv]) -> None:
    slack, teams = pair_env
    install(teams, CSM)
    response = slack.command("/handoff", "Northwind Logistics: usage is falling, can you run a health check?", user=AM)
    assert response.status_code == 200
    wait_for(lambda: len(slack.threads()) == 2)  # the Teams root for Chloé, the Slack copy for Alice
    [teams_root] = [p for p in teams.fake.posts(personal_conversation(CSM)) if p.activity.get("attachments")][1:]
    card = teams_root.activity["attachments"][0]["content"]
    validate_card(card)
    assert "usage is falling" in json.dumps(card) and "Acknowledge" in json.dumps(card)
    [am_root] = slack.fake.posts("D" + AM)
    validate_blocks(am_root["blocks"])

    # Chloé answers in Teams: stored, and mirrored into Alice's Slack thread.
    [confirmation] = teams.say("On it, I'll call their ops lead tomorrow")
    assert "Sent to your pair" in json.dumps(confirmation)
    mirrored = wait_for(lambda: [p for p in slack.fake.posts("D" + AM) if p.get("thread_ts") == am_root["ts"]])
    assert "call their ops lead" in mirrored[0]["text"] and "from Teams" in mirrored[0]["text"]

    # Alice answers in the Slack thread: mirrored into Chloé's Teams chat, as a reply to the root.
    reply = {
        "type": "message",
        "channel_type": "im",
        "channel": "D" + AM,
        "user": AM,
        "text": "Thanks! They renew in January",
        "ts": "1800000000.000200",
        "thread_ts": am_root["ts"],
    }
    slack.event(reply, "Ev-teams-1")
    back = wait_for(
        lambda: [
            p for p in teams.fake.posts(personal_conversation(CSM)) if "renew in January" in json.dumps(p.activity)
        ]
    )
    assert back[0].reply_to == teams_root.id
    slack.event(reply, "Ev-teams-1", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    time.sleep(0.5)
    assert len([p for p in teams.fake.posts() if "renew in January" in json.dumps(p.activity)]) == 1
    with slack.db.session() as session:
        handoff = session.scalars(select(Handoff)).one()
        bodies = sorted((m.platform, m.body) for m in session.scalars(select(HandoffMessage)))
    assert bodies == [("slack", "Thanks! They renew in January"), ("teams", "On it, I'll call their ops lead tomorrow")]

    # Chloé acknowledges from the card.
    [ack] = teams.say(None, value={"action": "handoff_ack", "handoff_id": handoff.id})
    assert "acknowledged" in json.dumps(ack)


def test_someone_known_only_by_email_is_bound_through_the_teams_roster(teams_env: TeamsEnv) -> None:
    with teams_env.db.session() as session:
        david = session.scalars(select(Member).where(Member.email == "david.okafor@tandem-demo.example")).one()
        david.teams_user_id = None
    teams_env.fake.state.roster["29:david-new"] = {
        "id": "29:david-new",
        "name": "David Okafor",
        "email": "david.okafor@tandem-demo.example",
    }
    [answer] = teams_env.say("account Northwind Logistics", user="29:david-new", aad=None)
    assert "Northwind Logistics" in json.dumps(answer)
    with teams_env.db.session() as session:
        member = session.scalars(select(Member).where(Member.email == "david.okafor@tandem-demo.example")).one()
        assert member.teams_user_id == "29:david-new"
    [stranger] = teams_env.say("account Northwind Logistics", user="29:nobody", aad=None)  # not in the roster
    assert "does not know you" in json.dumps(stranger)


def test_the_models_brief_updates_the_answer_in_place(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    said = "The model read it: renewal needs care."
    load_pairs(db)
    with FakeOpenAI(reply=lambda body: f"{said}\nCall the champion this week.") as model, FakeBotConnector() as fake:
        use_fake_identity(monkeypatch, fake)
        settings = teams_settings(db, openai_api_key="sk-test", openai_base_url=model.base_url, llm_max_retries=0)
        with ServerThread(create_app(settings, db)) as url:
            env = TeamsEnv(db, fake, url, settings, 0)
            [first] = env.say("account Northwind Logistics")
            assert said not in json.dumps(first)
            [update] = fake.state.updates
            [post] = fake.posts()
            assert update.id == post.id and update.conversation_id == post.conversation_id  # replaced, not added
            card = update.activity["attachments"][0]["content"]
            validate_card(card)
            assert said in json.dumps(card) and len(model.requests) == 1
