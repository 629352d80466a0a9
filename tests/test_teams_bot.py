"""The Teams bot through botbuilder's TestAdapter: install, `account`, card actions, handoffs, membership."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import func, select

from bot.db import Database
from bot.delivery.message import OutgoingMessage
from bot.models import Account, AuditEntry, ConversationRef, Feedback, Handoff, HandoffMessage, Member, Signal
from bot.render import actions as act
from bot.render.cards_account import HANDOFF_SUBMIT
from bot.render.validate import validate_card
from bot.teams.bot import TandemTeamsBot
from bot.teams.flows import NOT_A_MEMBER, TeamsFlows
from bot.teams.relay import ChannelRelay
from tests.teams_harness import load_pairs

TENANT = "tenant-1"
CSM = "29:demo-csm-1"  # Chloé Dubois, CSM of Northwind Logistics and Acme Robotics (AM: Alice, in Slack)
BOT = "28:tandem-bot"


@dataclass
class MemoryChannel:
    """A chat platform in memory: what the relay posted, and a reference per post."""

    platform: str
    local: bool = False
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        # Teams posts into the member's personal chat with the bot; Slack into their DM.
        personal = f"a:personal-{message.recipient.teams_user_id}" if self.platform == "teams" else "D1"
        where = message.recipient.channel or personal
        return f"{where}:m{len(self.sent)}"

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None


@dataclass
class BotEnv:
    db: Database
    org_id: int
    bot: TandemTeamsBot
    channels: dict[str, MemoryChannel]

    def adapter(self, user: str = CSM, conversation: str | None = None, aad: str | None = None) -> TestAdapter:
        personal = conversation is None
        template = Activity(
            channel_id="msteams",
            service_url="https://smba.example/",
            from_property=ChannelAccount(id=user, name="Someone", aad_object_id=aad),
            recipient=ChannelAccount(id=BOT, name="Tandem"),
            conversation=ConversationAccount(
                id=conversation or f"a:personal-{user}",
                conversation_type="personal" if personal else "channel",
                is_group=not personal,
                tenant_id=TENANT,
            ),
            channel_data={"tenant": {"id": TENANT}},
        )
        return TestAdapter(self.bot.on_turn, template)


@pytest.fixture
def env(db: Database) -> Iterator[BotEnv]:
    org_id = load_pairs(db)
    channels = {"slack": MemoryChannel("slack"), "teams": MemoryChannel("teams")}
    relay = ChannelRelay(db, lambda _org_id: dict(channels))
    yield BotEnv(db, org_id, TandemTeamsBot(TeamsFlows(db, "default"), relay, roster=False), channels)


async def send(adapter: TestAdapter, activity: Activity | str) -> list[Activity]:
    adapter.activity_buffer.clear()
    await adapter.receive_activity(Activity(type="message", text=activity) if isinstance(activity, str) else activity)
    return list(adapter.activity_buffer)


def cards(replies: list[Activity]) -> list[dict[str, Any]]:
    """Every card the bot answered, each checked against the Adaptive Card 1.5 schema."""
    found = [a.content for r in replies for a in r.attachments or []]
    for card in found:
        validate_card(card)
    return found


def text_of(replies: list[Activity]) -> str:
    return json.dumps(cards(replies), ensure_ascii=False) + " ".join(r.text or "" for r in replies)


def submit(data: dict[str, Any]) -> Activity:
    return Activity(type="message", value=data)


def account_id(db: Database, name: str) -> int:
    with db.session() as session:
        ident = session.scalar(select(Account.id).where(Account.name == name))
        assert ident is not None
        return ident


def reference_of(db: Database, email: str) -> ConversationRef | None:
    with db.session() as session:
        return session.scalar(
            select(ConversationRef).join(Member, Member.id == ConversationRef.member_id).where(Member.email == email)
        )


CHLOE = "chloe.dubois@tandem-demo.example"


async def test_install_stores_the_reference_and_says_hello(env: BotEnv) -> None:
    adapter = env.adapter()
    replies = await send(
        adapter, Activity(type="conversationUpdate", members_added=[ChannelAccount(id=BOT, name="Tandem")])
    )
    assert "account <name or domain>" in text_of(replies)
    ref = reference_of(env.db, CHLOE)
    assert ref is not None and ref.reachable
    assert ref.reference["conversation"]["id"] == f"a:personal-{CSM}"
    assert ref.reference["serviceUrl"] == "https://smba.example/"
    assert ref.reference.get("activityId") is None  # proactive sends start new messages


async def test_first_message_stores_the_reference_and_fills_the_timezone(env: BotEnv) -> None:
    with env.db.session() as session:
        session.scalars(select(Member).where(Member.email == CHLOE)).one().timezone = None
    assert reference_of(env.db, CHLOE) is None
    await send(env.adapter(), Activity(type="message", text="help", local_timezone="Asia/Tokyo"))
    assert reference_of(env.db, CHLOE) is not None
    with env.db.session() as session:
        assert session.scalars(select(Member).where(Member.email == CHLOE)).one().timezone == "Asia/Tokyo"


async def test_portfolio_card_shows_the_indicators_and_settings(env: BotEnv) -> None:
    shown = text_of(await send(env.adapter(), "portfolio"))  # validated against Adaptive Card 1.5
    for label in ("Renewal rate", "Gross revenue retention", "Net revenue retention", "Value at risk", "Coverage"):
        assert label in shown
    assert "Digest time" in shown and "not known yet" in shown  # one day of ARR history: said, not invented


async def test_account_exact_fuzzy_ambiguous_unknown_and_empty(env: BotEnv) -> None:
    adapter = env.adapter()
    exact = await send(adapter, "account Northwind Logistics")
    text = text_of(exact)
    for fact in ("Northwind Logistics", "ARR", "Renewal", "Health", "Stakeholders", "Hand off"):
        assert fact in text
    assert exact[0].summary.startswith("Northwind Logistics: health")
    assert "Northwind Logistics" in text_of(await send(adapter, "account northwnd logistic"))
    [chooser] = cards(await send(adapter, "account a"))
    assert "Several accounts match" in json.dumps(chooser)
    assert {a["data"]["action"] for a in chooser["actions"]} == {act.CHOOSE}
    assert "No account matches" in text_of(await send(adapter, "account zzqx-nothing"))
    assert "account <name or domain>" in text_of(await send(adapter, "account"))
    assert "account <name or domain>" in text_of(await send(adapter, ""))


async def test_account_in_a_channel_with_a_mention(env: BotEnv) -> None:
    adapter = env.adapter(conversation="19:team-channel@thread.tacv2;messageid=171")
    message = Activity().deserialize(
        {
            "type": "message",
            "text": "<at>Tandem</at> /account Northwind Logistics",
            "entities": [{"type": "mention", "text": "<at>Tandem</at>", "mentioned": {"id": BOT, "name": "Tandem"}}],
        }
    )
    text = text_of(await send(adapter, message))
    assert "Northwind Logistics" in text and "Shared by Chloé Dubois" in text
    assert reference_of(env.db, CHLOE) is None  # a channel is not the member's personal chat


async def test_a_stranger_sees_nothing_and_nothing_is_stored(env: BotEnv) -> None:
    for user in ("29:stranger", CSM):
        adapter = env.adapter(user=user)
        if user == CSM:  # a known user id in a tenant no organization claims, without a default org
            env.bot.flows.default_org = None
        replies = await send(adapter, "account Northwind Logistics")
        assert len(replies) == 1 and NOT_A_MEMBER in text_of(replies) and "Northwind" not in text_of(replies)
    with env.db.session() as session:
        assert session.scalar(select(func.count(ConversationRef.id))) == 0
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


async def test_the_entra_object_id_identifies_a_member_too(env: BotEnv) -> None:
    with env.db.session() as session:
        session.scalars(select(Member).where(Member.email == CHLOE)).one().teams_user_id = "aad-chloe"
    text = text_of(await send(env.adapter(user="29:new-id", aad="aad-chloe"), "account Northwind Logistics"))
    assert "Northwind Logistics" in text and NOT_A_MEMBER not in text


async def test_chooser_and_open_account_buttons(env: BotEnv) -> None:
    adapter = env.adapter()
    acme = account_id(env.db, "Acme Robotics")
    assert "Acme Robotics" in text_of(await send(adapter, submit({"action": act.CHOOSE, "account_id": acme})))
    opened = await send(adapter, submit(act.submit_data(act.OPEN_ACCOUNT, acme, [])))
    assert "Acme Robotics" in text_of(opened)
    bad = await send(adapter, submit({"action": act.CHOOSE, "account_id": "1; DROP"}))
    assert "could not be read" in text_of(bad)


async def test_snooze_done_and_feedback_buttons(env: BotEnv) -> None:
    with env.db.session() as session:
        signals = session.scalars(select(Signal).join(Account).where(Account.csm_email == CHLOE)).all()
        assert len(signals) >= 2
        first, second = signals[0], signals[1]
        ids = (first.account_id, first.id, second.account_id, second.id)
    adapter = env.adapter()
    assert "Snoozed for 7 days" in text_of(await send(adapter, submit(act.submit_data(act.SNOOZE, ids[0], [ids[1]]))))
    assert "Marked as done" in text_of(await send(adapter, submit(act.submit_data(act.DONE, ids[2], [ids[3]]))))
    useful = await send(adapter, submit(act.submit_data(act.FEEDBACK_USEFUL, ids[0], [ids[1]])))
    assert "Thanks, noted." in text_of(useful)
    with env.db.session() as session:
        assert session.get_one(Signal, ids[1]).snoozed_until is not None
        assert session.get_one(Signal, ids[3]).handled_at is not None
        assert [f.useful for f in session.scalars(select(Feedback))] == [True]


async def test_handoff_button_form_and_submit_reach_the_slack_am(env: BotEnv) -> None:
    adapter = env.adapter()
    northwind = account_id(env.db, "Northwind Logistics")
    [form] = cards(await send(adapter, submit(act.submit_data(act.HANDOFF, northwind, []))))
    assert "Alice Martin" in json.dumps(form, ensure_ascii=False)
    fields = {f["id"]: f for f in form["body"] if f["type"].startswith("Input.")}
    assert set(fields) == {"topic", "note", "promises", "next_step", "due"}  # the structured handoff, as in Slack
    assert fields["note"].get("value") and fields["next_step"].get("value")  # prefilled from the top signal
    data = {
        **form["actions"][0]["data"],
        "topic": "risk",
        "note": "Champion went quiet",
        "promises": "A usage report by Friday",
        "next_step": "Call the CFO",
        "due": "2026-12-04",
    }
    assert data["action"] == HANDOFF_SUBMIT
    message = submit(data)
    message.id = "submit-1"
    replies = await send(adapter, message)
    assert "Handed off" in text_of(replies)
    await send(adapter, message)  # Teams retried the same activity: nothing new
    with env.db.session() as session:
        [handoff] = session.scalars(select(Handoff)).all()
        assert (handoff.topic, handoff.note, handoff.account_id) == ("risk", "Champion went quiet", northwind)
        assert (handoff.promises, handoff.next_step) == ("A usage report by Friday", "Call the CFO")
        assert handoff.due_date == date(2026, 12, 4)
    [root] = env.channels["slack"].sent
    assert root.kind == "handoff" and root.recipient.email == "alice.martin@tandem-demo.example"
    [own_copy] = env.channels["teams"].sent  # the sender's copy, in their Teams chat
    assert own_copy.card is not None
    validate_card(own_copy.card)


async def test_typed_handoff_finds_the_account_in_the_leading_words(env: BotEnv) -> None:
    adapter = env.adapter()
    text = text_of(await send(adapter, "handoff Northwind Logistics usage is falling, can you call them?"))
    assert "Handed off" in text
    with env.db.session() as session:
        [handoff] = session.scalars(select(Handoff)).all()
        assert handoff.note == "usage is falling, can you call them?"
    assert "Several accounts match" in text_of(await send(adapter, "handoff a: something"))
    assert "Usage" in text_of(await send(adapter, "handoff Northwind"))


async def test_handoff_replies_from_teams_are_stored_and_mirrored_to_slack(env: BotEnv) -> None:
    adapter = env.adapter()
    await send(adapter, "help")  # the personal chat is known
    await send(adapter, "handoff Northwind Logistics: renewal risk, please check the usage dip")
    slack_root = env.channels["slack"].sent[0]
    teams_copy = env.channels["teams"].sent[0]
    assert slack_root.kind == teams_copy.kind == "handoff"
    # Personal chats have no threads: a plain message goes to the member's latest open handoff there.
    reply = Activity(type="message", text="I will call them tomorrow")
    reply.id = "reply-1"
    replies = await send(adapter, reply)
    assert "Sent to your pair (handoff on Northwind Logistics)" in text_of(replies)
    await send(adapter, reply)  # a retried activity is stored once
    with env.db.session() as session:
        [stored] = session.scalars(select(HandoffMessage)).all()
        assert (stored.platform, stored.body) == ("teams", "I will call them tomorrow")
    mirrored = [m for m in env.channels["slack"].sent if m.kind == "handoff_reply"]
    assert len(mirrored) == 1 and "I will call them tomorrow" in mirrored[0].text
    assert (mirrored[0].recipient.channel, mirrored[0].thread) == ("D1", "m1")  # in the Slack root's thread


async def test_acknowledge_and_done_buttons(env: BotEnv) -> None:
    am, chloe = "alice.martin@tandem-demo.example", CHLOE
    northwind = account_id(env.db, "Northwind Logistics")  # its own session, before this one takes the lock
    with env.db.session() as session:
        members = {m.email: m for m in session.scalars(select(Member))}
        handoff = Handoff(
            org_id=env.org_id,
            account_id=northwind,
            from_member_id=members[am].id,
            to_member_id=members[chloe].id,
            note="Please check",
        )
        session.add(handoff)
        session.flush()
        handoff_id = handoff.id
    adapter = env.adapter()
    ack = await send(adapter, submit({"action": act.HANDOFF_ACK, "handoff_id": handoff_id}))
    assert "Handoff is now acknowledged." in text_of(ack)
    done = await send(adapter, submit({"action": act.HANDOFF_DONE, "handoff_id": handoff_id}))
    assert "Handoff is now done." in text_of(done)
    other = await send(
        env.adapter(user="29:demo-csm-2"), submit({"action": act.HANDOFF_DONE, "handoff_id": handoff_id})
    )
    assert "only the pair" in text_of(other)


async def test_uninstall_marks_the_member_unreachable_and_reinstall_brings_them_back(env: BotEnv) -> None:
    adapter = env.adapter()
    await send(adapter, "help")
    await send(adapter, Activity(type="installationUpdate", action="remove"))
    ref = reference_of(env.db, CHLOE)
    assert ref is not None and not ref.reachable
    await send(adapter, Activity(type="installationUpdate", action="add"))
    ref = reference_of(env.db, CHLOE)
    assert ref is not None and ref.reachable


async def test_a_handoff_stays_in_direct_conversations_when_digests_go_to_a_channel(env: BotEnv) -> None:
    with env.db.session() as session:
        for member in session.scalars(select(Member)):
            member.digest_channel = "C0DIGEST"  # a shared channel: replies there would never reach Tandem
    adapter = env.adapter()
    await send(adapter, "help")
    await send(adapter, "handoff Northwind Logistics: renewal risk, please check the usage dip")
    roots = [m for channel in env.channels.values() for m in channel.sent]
    assert {m.kind for m in roots} == {"handoff"} and len(roots) == 2
    assert all(m.recipient.channel is None for m in roots)
