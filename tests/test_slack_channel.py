"""Slack delivery through the real slack_sdk client against a local fake Slack: retries, never twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select

from bot.db import Database
from bot.delivery.channel import PermanentDeliveryError
from bot.delivery.message import OutgoingMessage, Recipient
from bot.models import Member
from bot.orgs import ensure_org
from bot.slack.channel import SlackChannel
from bot.slack.members import map_members
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", "ada@example.com")
        yield fake


def _channel(fake: FakeSlack) -> SlackChannel:
    client = WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler(3)])
    return SlackChannel(client, backoff_seconds=0.01)


def _message(user: str | None = "U1", email: str = "ada@example.com", subject: str = "2026-11-22") -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Recipient(member_id=1, email=email, name="Ada", slack_user_id=user),
        kind="digest",
        subject=subject,
        day=date(2026, 11, 22),
        platform="slack",
        text="hello",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}],
    )


def test_posts_to_the_members_dm_with_its_key_in_metadata(fake: FakeSlack) -> None:
    ref = _channel(fake).send(_message())
    [post] = fake.posts("DU1")
    assert ref == f"DU1:{post['ts']}"
    assert post["metadata"]["event_payload"]["key"] == _message().idempotency_key


def test_finds_the_user_by_email_when_no_slack_id_is_known(fake: FakeSlack) -> None:
    _channel(fake).send(_message(user=None))
    assert len(fake.posts("DU1")) == 1
    assert fake.calls("users.lookupByEmail")[0].body["email"] == "ada@example.com"


def test_a_429_is_retried_after_retry_after_and_posts_once(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 429, retry_after=1)
    _channel(fake).send(_message())
    assert len(fake.posts("DU1")) == 1
    assert [c.status for c in fake.state.calls if c.method == "chat.postMessage"] == [429, 200]


def test_a_500_that_landed_is_not_posted_again(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 500, lands=True)
    ref = _channel(fake).send(_message())
    [post] = fake.posts("DU1")
    assert ref.endswith(post["ts"])


def test_a_500_that_did_not_land_is_retried(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 500, times=2)
    _channel(fake).send(_message())
    assert len(fake.posts("DU1")) == 1


def test_server_errors_that_persist_raise_for_a_later_retry(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 500, times=10)
    with pytest.raises(SlackApiError):
        _channel(fake).send(_message())
    assert fake.posts("DU1") == []


def test_unknown_people_are_a_permanent_failure(fake: FakeSlack) -> None:
    with pytest.raises(PermanentDeliveryError):
        _channel(fake).send(_message(user=None, email="nobody@example.com"))


def test_already_sent_reads_the_metadata_back(fake: FakeSlack) -> None:
    channel = _channel(fake)
    assert channel.already_sent(_message()) is None
    ref = channel.send(_message())
    assert channel.already_sent(_message()) == ref
    assert channel.already_sent(_message(subject="2026-11-23")) is None


def test_members_are_matched_by_email_and_take_their_slack_timezone(db: Database, fake: FakeSlack) -> None:
    with db.session() as session:
        org = ensure_org(session, "acme")
        session.add_all(
            [
                Member(org_id=org.id, email="ada@example.com", name="Ada", role="am"),
                Member(org_id=org.id, email="bob@example.com", name="Bob", role="csm", timezone="Asia/Tokyo"),
                Member(org_id=org.id, email="ghost@example.com", name="Ghost", role="csm"),
            ]
        )
        org_id = org.id
    fake.add_user("U2", "BOB@example.com", tz="Europe/Berlin")
    report = map_members(db, org_id, _channel(fake).client)
    assert sorted(report.matched) == ["ada@example.com", "bob@example.com"]
    assert report.unmatched == ["ghost@example.com"] and report.timezones_set == 1
    with db.session() as session:
        found = {m.email: (m.slack_user_id, m.timezone) for m in session.scalars(select(Member))}
    assert found["ada@example.com"] == ("U1", "America/New_York")
    assert found["bob@example.com"] == ("U2", "Asia/Tokyo")  # a configured timezone wins
