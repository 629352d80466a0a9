"""Reminders of unacknowledged handoffs: after one working day by default (configurable), once, to the
receiver only, in working hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.message import OutgoingMessage
from bot.handoff_relay import send_reminders
from bot.handoffs import add_working_days
from bot.models import Account, Handoff, Member, Organization
from bot.scheduler.plan import plan
from tests.slack_harness import load_demo

PARIS = ZoneInfo("Europe/Paris")
FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)
ALICE, CHLOE = "alice.martin@tandem-demo.example", "chloe.dubois@tandem-demo.example"


class Recorder:
    platform, local = "slack", False

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        return f"D1:{len(self.sent)}"

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (FRIDAY_10, 1, datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)),  # Friday -> Monday
        (datetime(2026, 11, 18, 16, 30, tzinfo=PARIS), 1, datetime(2026, 11, 19, 16, 30, tzinfo=PARIS)),
        (datetime(2026, 11, 19, 9, 0, tzinfo=PARIS), 2, datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)),  # Thu + 2
        (datetime(2026, 11, 21, 11, 0, tzinfo=PARIS), 1, datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)),  # Sat
    ],
)
def test_working_days_skip_the_weekend(start: datetime, days: int, due: datetime) -> None:
    assert add_working_days(start.astimezone(UTC), days, PARIS) == due


def _handoff(db: Database, created: datetime, status: str = "open") -> tuple[int, int]:
    with db.session() as session:
        org = session.scalars(select(Organization)).one()
        org.timezone = "Europe/Paris"
        members = {m.email: m for m in session.scalars(select(Member))}
        account = session.scalars(select(Account).where(Account.external_id == "ACC-001")).one()
        handoff = Handoff(
            org_id=org.id,
            account_id=account.id,
            from_member_id=members[ALICE].id,
            to_member_id=members[CHLOE].id,
            note="Please call the champion",
            status=status,
            created_at=created.astimezone(UTC),
        )
        session.add(handoff)
        session.flush()
        return org.id, handoff.id


def test_a_friday_handoff_is_reminded_on_monday_once_to_the_receiver(db: Database) -> None:
    load_demo(db)
    org_id, handoff_id = _handoff(db, FRIDAY_10)
    _handoff(db, FRIDAY_10, status="acknowledged")  # acknowledged in time: never reminded
    channel = Recorder()
    channels: dict[str, Channel] = {"slack": channel, "teams": channel}

    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=PARIS)
    assert send_reminders(db, org_id, channels, saturday.date(), now=saturday.astimezone(UTC)) == []
    monday_early = datetime(2026, 11, 23, 9, 30, tzinfo=PARIS)
    assert send_reminders(db, org_id, channels, monday_early.date(), now=monday_early.astimezone(UTC)) == []

    monday = datetime(2026, 11, 23, 10, 5, tzinfo=PARIS)
    outcomes = send_reminders(db, org_id, channels, monday.date(), now=monday.astimezone(UTC))
    assert [o.status for o in outcomes] == ["sent"]
    [reminder] = channel.sent
    assert reminder.kind == "reminder" and reminder.recipient.email == CHLOE
    assert "Northwind Logistics" in reminder.text and "waiting for your acknowledgement" in reminder.text
    later = datetime(2026, 11, 24, 11, 5, tzinfo=PARIS)
    assert send_reminders(db, org_id, channels, later.date(), now=later.astimezone(UTC)) == []  # once
    with db.session() as session:
        assert session.get_one(Handoff, handoff_id).reminded_at is not None


def test_the_delay_is_an_organization_setting(db: Database) -> None:
    load_demo(db)
    org_id, _ = _handoff(db, FRIDAY_10)
    with db.session() as session:
        org = session.get_one(Organization, org_id)
        org.settings = dict(org.settings or {}) | {"handoffs": {"remind_after_working_days": 2}}
    channels: dict[str, Channel] = {"slack": Recorder()}
    monday = datetime(2026, 11, 23, 10, 5, tzinfo=PARIS)
    assert send_reminders(db, org_id, channels, monday.date(), now=monday.astimezone(UTC)) == []
    tuesday = datetime(2026, 11, 24, 10, 5, tzinfo=PARIS)
    assert len(send_reminders(db, org_id, channels, tuesday.date(), now=tuesday.astimezone(UTC))) == 1


def test_reminders_are_planned_in_working_hours(db: Database) -> None:
    load_demo(db)
    with db.session() as session:
        org = session.scalars(select(Organization)).one()
        org.timezone = "Europe/Paris"
        org_id = org.id
    spec = next(s for s in plan(db) if s.id == f"reminders:{org_id}")
    fired = []
    moment: datetime | None = datetime(2026, 11, 20, 18, 0, tzinfo=PARIS)  # Friday evening
    for _ in range(3):
        assert moment is not None
        moment = spec.trigger.get_next_fire_time(None, moment)
        assert moment is not None
        fired.append(moment)
        moment = moment.replace(second=1)
    assert fired[0] == datetime(2026, 11, 23, 9, 5, tzinfo=PARIS)  # not over the weekend, not at night
    assert all(f.weekday() < 5 and 9 <= f.hour <= 17 for f in fired)
