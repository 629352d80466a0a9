"""First read the same day: after the first sync, each member gets one "your book today" message, in their
working hours, exactly once (through the delivery ledger); a member added later gets theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.delivery.routing import outbox_channels
from bot.first_read import send_first_reads
from bot.models import Delivery, Member
from bot.orgs import get_org
from bot.pipeline import run_sync
from bot.render.validate import validate_blocks, validate_card
from bot.scheduler.plan import plan
from integrations.files import FileSource
from tests.csvbook import TEAM, write_book

WEDNESDAY_NOON = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 12:00 in Paris, 11:00 UTC: everyone works
SATURDAY = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
MONDAY_EARLY = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Paris: not yet
MONDAY_START = datetime(2026, 12, 7, 8, 5, tzinfo=UTC)  # 09:05 in Paris
LATECOMER = {
    "email": "late@us.example",
    "name": "Lee Late",
    "role": "am",
    "slack_user_id": "U9",
    "timezone": "Europe/Paris",
}


def sync(db: Database, directory: Path, team: list[dict[str, Any]]) -> None:
    run_sync(db, "acme", FileSource(write_book(directory, team=team)))


def org_id(db: Database) -> int:
    with db.session() as session:
        return get_org(session, "acme").id


def messages(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


def test_first_sync_sends_each_member_one_first_read(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    channels = outbox_channels(out)
    book = tmp_path / "book"
    # Before any sync there is no book to read.
    assert send_first_reads(db, 1, channels, now=WEDNESDAY_NOON).outcomes == []
    sync(db, book, TEAM)
    report = send_first_reads(db, org_id(db), channels, now=WEDNESDAY_NOON)
    assert [o.status for o in report.outcomes] == ["sent", "sent"]
    sent = {(m["recipient"], m["platform"]): m for m in messages(out)}
    assert set(sent) == {("am@us.example", "slack"), ("csm@us.example", "teams")}
    assert all(m["kind"] == "first_read" for m in sent.values())
    slack = sent[("am@us.example", "slack")]
    validate_blocks(slack["blocks"])
    validate_card(sent[("csm@us.example", "teams")]["card"])
    words = json.dumps(slack["blocks"])
    assert "Your book today, Ada AM" in words and "Each morning at 08:30 (Europe/Paris)" in words
    assert "*Accounts*\\n2" in words
    # A second sync, and the job running again (and again another day): nothing more.
    sync(db, book, TEAM)
    assert send_first_reads(db, org_id(db), channels, now=WEDNESDAY_NOON).outcomes == []
    assert send_first_reads(db, org_id(db), channels, now=MONDAY_START).outcomes == []
    assert len(messages(out)) == 2
    # A member added later gets theirs, and only they do.
    sync(db, book, [*TEAM, LATECOMER])
    report = send_first_reads(db, org_id(db), channels, now=WEDNESDAY_NOON)
    assert [o.status for o in report.outcomes] == ["sent"]
    assert [m["recipient"] for m in messages(out)].count("late@us.example") == 1 and len(messages(out)) == 3
    with db.session() as session:
        kinds = session.scalars(select(Delivery.kind).where(Delivery.status == "sent"))
        assert list(kinds) == ["first_read"] * 3


def test_outside_working_hours_it_waits_for_the_next_working_day(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    channels = outbox_channels(out)
    sync(db, tmp_path / "book", [LATECOMER])
    assert send_first_reads(db, org_id(db), channels, now=SATURDAY).outcomes == []
    assert send_first_reads(db, org_id(db), channels, now=MONDAY_EARLY).outcomes == []
    assert [o.status for o in send_first_reads(db, org_id(db), channels, now=MONDAY_START).outcomes] == ["sent"]


def test_a_member_who_works_sunday_to_thursday_is_greeted_on_their_sunday(db: Database, tmp_path: Path) -> None:
    """The working days are the member's own (bot.working_days), as for their digest: not always Monday-Friday."""
    out = tmp_path / "out"
    channels = outbox_channels(out)
    sync(db, tmp_path / "book", [LATECOMER])
    with db.session() as session:
        member = session.scalars(select(Member).where(Member.email == "late@us.example")).one()
        member.working_days = ["sun", "mon", "tue", "wed", "thu"]
    assert send_first_reads(db, org_id(db), channels, now=SATURDAY).outcomes == []
    sunday = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    assert [o.status for o in send_first_reads(db, org_id(db), channels, now=sunday).outcomes] == ["sent"]


def test_a_member_who_already_had_a_digest_is_not_greeted(db: Database, tmp_path: Path) -> None:
    sync(db, tmp_path / "book", [LATECOMER])
    with db.session() as session:
        member = session.scalars(select(Member)).one()
        session.add(
            Delivery(
                org_id=member.org_id,
                idempotency_key=f"{member.id}:digest:x:2026-12-01:slack",
                member_id=member.id,
                platform="slack",
                kind="digest",
                status="sent",
            )
        )
    assert send_first_reads(db, org_id(db), outbox_channels(tmp_path / "out"), now=WEDNESDAY_NOON).outcomes == []
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_the_scheduler_plans_first_reads_every_few_minutes(db: Database, tmp_path: Path) -> None:
    sync(db, tmp_path / "book", TEAM)
    spec = next(s for s in plan(db) if s.id == f"first_reads:{org_id(db)}")
    assert spec.func == "bot.scheduler.jobs:first_reads" and "*/5" in str(spec.trigger)
