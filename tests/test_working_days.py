"""Working days: a member's digest goes out on the days they work only, set in Slack's App Home or Teams."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import working_days
from bot.db import Database
from bot.models import Member
from bot.render.cards_settings import read_settings
from bot.scheduler.plan import plan
from bot.slack.settings_modal import apply, settings_view
from bot.slack.settings_modal import read_settings as read_slack_settings
from tests.test_scheduler import book as book

ALICE = "alice.martin@tandem-demo.example"


def _next_digests(db: Database, email: str, after: datetime, count: int = 6) -> list[str]:
    with db.session() as session:
        member_id = session.scalar(select(Member.id).where(Member.email == email))
    spec = next(s for s in plan(db) if s.id == f"digest:{member_id}")
    fires, at = [], after
    for _ in range(count):
        at = spec.trigger.get_next_fire_time(None, at)
        fires.append(at.strftime("%a"))
        at += timedelta(minutes=1)
    return fires


def test_the_digest_skips_the_weekend_by_default_and_follows_the_members_days(book: Database) -> None:
    saturday = datetime(2026, 11, 28, 6, 0, tzinfo=ZoneInfo("UTC"))
    assert _next_digests(book, ALICE, saturday) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    with book.session() as session:
        alice = session.scalars(select(Member).where(Member.email == ALICE)).one()
        alice.working_days = ["sun", "mon", "tue", "wed", "thu"]
    assert _next_digests(book, ALICE, saturday) == ["Sun", "Mon", "Tue", "Wed", "Thu", "Sun"]


def test_the_locale_default_is_monday_to_friday_or_sunday_to_thursday() -> None:
    assert working_days.of_member(None, "Europe/Paris") == working_days.MON_FRI
    assert set(working_days.of_member(None, "Asia/Jerusalem")) == set(working_days.SUN_THU)
    assert working_days.of_member(["Fri", "mon", "bogus"], None) == ("mon", "fri")
    assert working_days.describe(working_days.MON_FRI) == "Monday to Friday"
    assert working_days.describe(("mon", "wed")) == "Monday, Wednesday"
    assert working_days.describe(working_days.of_member(None, "Asia/Jerusalem")) == "Sunday to Thursday"


def test_slack_settings_modal_round_trips_the_working_days() -> None:
    member = Member(email="a@x.example", name="A", role="am", digest_time="08:30", digest_budget=5, muted_kinds=[])
    view = settings_view(member)
    days = next(b for b in view["blocks"] if b["block_id"] == "days")["element"]
    assert [o["value"] for o in days["initial_options"]] == list(working_days.MON_FRI)

    def submitted(chosen: list[str]) -> dict[str, object]:
        options = [{"value": d} for d in chosen]
        return {
            "state": {
                "values": {
                    "time": {"value": {"selected_time": "08:30"}},
                    "budget": {"value": {"selected_option": {"value": "5"}}},
                    "days": {"value": {"selected_options": options}},
                }
            }
        }

    change = read_slack_settings(submitted(["tue", "sat"]))
    apply(member, change)
    assert member.working_days == ["tue", "sat"]
    with pytest.raises(ValueError, match=r"^days:"):
        read_slack_settings(submitted([]))


def test_teams_settings_card_answers_are_read_back() -> None:
    assert read_settings({"working_days": "sun,mon,tue", "digest_time": "07:45"}) == (("mon", "tue", "sun"), "07:45")
    assert read_settings({"working_days": "mon", "digest_time": "99:99"}) == (("mon",), None)
    with pytest.raises(ValueError):
        read_settings({"working_days": ""})
