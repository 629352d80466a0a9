"""A digest whose delivery failed for a passing reason is sent again later the same day, once."""

from __future__ import annotations

from datetime import date, timedelta

from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.db import Database
from bot.delivery.message import OutgoingMessage, Recipient
from bot.delivery.redeliver import day_of
from bot.handoff_relay import deliver_handoff
from bot.handoffs import HandoffDraft, start_handoff
from bot.models import Account, Delivery, HandoffThread, Member, Organization, utcnow
from bot.pipeline import run_alerts, run_digests
from bot.scheduler import jobs
from bot.scheduler.worker import Worker
from bot.settings import Settings
from bot.slack.channel import SlackChannel
from bot.slack.client import web_client
from tests.clock import frozen_at_midday
from tests.fakes.slack_api import FakeSlack
from tests.slack_harness import SAMPLE_ANCHOR, load_demo

BRUNO = "bruno.costa@tandem-demo.example"


class Flaky:
    """A chat platform that refuses one member's messages until told to recover."""

    platform, local = "slack", False

    def __init__(self) -> None:
        self.down_for: str | None = BRUNO
        self.sent: list[str] = []

    def send(self, message: OutgoingMessage) -> str:
        if message.recipient.email == self.down_for:
            raise ConnectionError("slack answered 429 too many times")
        self.sent.append(message.idempotency_key)
        return f"D:{len(self.sent)}"

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None


def _member_id(db: Database, email: str) -> int:
    with db.session() as session:
        return session.scalars(select(Member.id).where(Member.email == email)).one()


def _age_failed_rows(db: Database, minutes: int) -> None:
    with db.session() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.status == "pending")
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


def _scheduled_book(db: Database) -> tuple[Flaky, int, str]:
    """The demo book, a scheduler runtime delivering through a flaky platform; (channel, org id, org zone)."""
    load_demo(db)
    channel = Flaky()
    Worker(Settings(database_url=db.url), db, channels=lambda _org: {"slack": channel, "teams": channel})
    with db.session() as session:
        org = session.scalars(select(Organization)).one()
        return channel, org.id, org.timezone


def test_a_failed_digest_is_sent_again_the_same_day_once(db: Database) -> None:
    channel, org_id, zone = _scheduled_book(db)
    with db.session() as session:
        bruno = session.scalars(select(Member).where(Member.email == BRUNO)).one()
        day = jobs.local_day(bruno.timezone, zone)
    report = run_digests(db, "default", day, {"slack": channel, "teams": channel})
    assert report.count("failed") == 1 and report.count("sent") == 3

    channel.down_for = None
    jobs.redeliver(org_id)  # the failure is minutes old: it may still be in flight elsewhere, leave it
    assert len(channel.sent) == 3

    _age_failed_rows(db, minutes=11)
    jobs.redeliver(org_id)
    jobs.redeliver(org_id)  # and again: nothing left to do
    assert len(channel.sent) == 4 and len(set(channel.sent)) == 4
    with db.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == "digest")).all()
        assert {r.status for r in rows} == {"sent"}
        bruno_row = next(r for r in rows if r.member_id == bruno.id)
        assert bruno_row.attempts == 2 and day_of(bruno_row.idempotency_key) == day


@frozen_at_midday()  # "yesterday" must be yesterday in every member's zone, whatever the hour CI runs at
def test_a_permanent_failure_or_an_old_day_is_not_retried(db: Database) -> None:
    channel, org_id, zone = _scheduled_book(db)
    today = jobs.local_day(zone)
    run_digests(db, "default", today - timedelta(days=1), {"slack": channel, "teams": channel})  # yesterday's
    channel.down_for = None
    _age_failed_rows(db, minutes=11)
    jobs.redeliver(org_id)
    assert not any(BRUNO.split("@")[0] in key for key in channel.sent)
    with db.session() as session:
        session.execute(update(Delivery).values(status="failed"))  # permanent: the user is gone
    jobs.redeliver(org_id)
    assert len(channel.sent) == 3


def test_delivery_outlasts_a_long_run_of_rate_limits() -> None:
    with FakeSlack() as fake:
        fake.add_user("U1", "ada@example.com")
        fake.fail_next("chat.postMessage", 429, times=8, retry_after=0)
        client: WebClient = web_client(Settings(slack_api_url=fake.api_url, slack_bot_token="xoxb-test"))
        message = OutgoingMessage(
            recipient=Recipient(member_id=1, email="ada@example.com", name="Ada", slack_user_id="U1"),
            kind="digest",
            subject="day",
            day=date(2026, 11, 23),
            platform="slack",
            text="hello",
        )
        SlackChannel(client, backoff_seconds=0.01).send(message)
        assert len(fake.posts("DU1")) == 1
        assert [c.status for c in fake.state.calls if c.method == "chat.postMessage"] == [429] * 8 + [200]


def test_a_failed_alert_is_sent_again_as_it_was_once_and_then_forgotten(db: Database) -> None:
    channel, org_id, _zone = _scheduled_book(db)
    report = run_alerts(db, "default", SAMPLE_ANCHOR, {"slack": channel, "teams": channel})
    assert report.count("failed") == 1 and report.count("sent") >= 1  # Bruno's copy failed
    sent_before = list(channel.sent)
    channel.down_for = None
    with db.session() as session:  # a copy an older version wrote, unreadable now: it must not stop the rest
        session.add(
            Delivery(
                org_id=org_id,
                idempotency_key="0:alert:contact:OLD:2026-11-20:slack",
                platform="slack",
                kind="alert",
                status="pending",
                error="ConnectionError",
                message={"written_by": "an older Tandem"},
            )
        )
    _age_failed_rows(db, minutes=11)
    jobs.redeliver(org_id)
    jobs.redeliver(org_id)
    retried = channel.sent[len(sent_before) :]
    assert len(retried) == 1 and retried[0].startswith(f"{_member_id(db, BRUNO)}:alert:contact:")
    with db.session() as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.kind == "alert", Delivery.idempotency_key.not_like("0:%"))
        ).all()
        assert {r.status for r in rows} == {"sent"}
        assert all(r.message is None for r in rows)  # the rendered copy is not kept once sent


def test_a_handoff_whose_post_failed_reaches_its_thread_on_retry(db: Database) -> None:
    channel, org_id, _zone = _scheduled_book(db)
    with db.session() as session:
        bruno = session.scalars(select(Member).where(Member.email == BRUNO)).one()
        account = session.scalars(select(Account).where(Account.am_email == BRUNO)).first()
        assert account is not None
        handoff, _ = start_handoff(session, account, bruno, HandoffDraft("risk", "Champion quiet since October"))
        handoff_id = handoff.id
        assert handoff.to_member_id != bruno.id
    outcomes = deliver_handoff(db, org_id, handoff_id, {"slack": channel}, SAMPLE_ANCHOR)
    assert [o.status for o in outcomes].count("failed") == 1  # Bruno's own copy of the thread
    channel.down_for = None
    _age_failed_rows(db, minutes=11)
    jobs.redeliver(org_id)
    with db.session() as session:
        threads = session.scalars(select(HandoffThread).where(HandoffThread.handoff_id == handoff_id)).all()
    # Both sides now have the thread their replies are mirrored from; Bruno's came from the retry.
    assert sorted(t.member_id for t in threads) == sorted({bruno.id, handoff.to_member_id})
