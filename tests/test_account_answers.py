"""Stored /account answers: the score run stores each account's answer model; a request reads it (no
usage rows read) while it is valid, and rebuilds it after a sync, on another day, or after an erasure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from bot.account_view import build_account_answer
from bot.answers import compose, stored_part
from bot.book import load_snapshots
from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR
from bot.models import Account, Signal, StoredAnswer, SyncRun, utcnow
from bot.orgs import get_org
from bot.pipeline import run_score, run_sync
from integrations.files import FileSource

MARIA = "maria.gonzalez@globex.example"


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the database runs inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def reads_usage(seen: list[str]) -> bool:
    return any("usage_days" in s for s in seen)


def scored(db: Database) -> int:
    run_sync(db, "demo", FileSource(SAMPLE_DIR))
    run_score(db, "demo", SAMPLE_ANCHOR)
    with db.session() as session:
        return get_org(session, "demo").id


def live_answer(session: Session, org_id: int, account: Account) -> dict[str, Any]:
    """The stored part computed from scratch, as the old per-request build did."""
    from bot.answers import _latest_health, _owners

    snapshot = load_snapshots(session, org_id, SAMPLE_ANCHOR, [account.id])[0]
    health = _latest_health(session, [account.id]).get(account.id)
    owners = _owners(session, org_id, [account.am_email, account.csm_email])
    return compose(account, snapshot, health, owners).model_dump(mode="json")


def test_the_score_run_stores_every_accounts_answer_equal_to_a_live_build(db: Database) -> None:
    org_id = scored(db)
    with db.session() as session:
        accounts = session.scalars(select(Account).where(Account.org_id == org_id)).all()
        stored = session.scalar(select(func.count()).select_from(StoredAnswer).where(StoredAnswer.org_id == org_id))
        assert stored == len(accounts) == 40
        for account in accounts:
            assert stored_part(session, account, SAMPLE_ANCHOR).model_dump(mode="json") == live_answer(
                session, org_id, account
            )


def test_a_request_reads_the_stored_answer_and_no_usage_rows(db: Database) -> None:
    org_id = scored(db)
    with db.session() as session:
        account_id = session.scalars(select(Account.id).where(Account.external_id == "ACC-023")).one()
    with statements(db) as seen, db.session() as session:
        answer = build_account_answer(session, org_id, account_id, SAMPLE_ANCHOR)
    assert answer.name == "Globex Health" and answer.stakeholders and answer.signals
    assert not reads_usage(seen)


def test_signals_are_read_live_not_from_the_stored_answer(db: Database) -> None:
    org_id = scored(db)
    with db.session() as session:
        account_id = session.scalars(select(Account.id).where(Account.external_id == "ACC-023")).one()
        before = build_account_answer(session, org_id, account_id, SAMPLE_ANCHOR)
        session.execute(update(Signal).where(Signal.account_id == account_id).values(status="dismissed"))
    with db.session() as session:
        after = build_account_answer(session, org_id, account_id, SAMPLE_ANCHOR)
    assert before.signals and after.signals == []
    assert after.brief.endswith("No active signal: a quiet account.")


def test_a_later_sync_or_another_day_rebuilds_the_stored_answer(db: Database) -> None:
    org_id = scored(db)
    with db.session() as session:
        account = session.scalars(select(Account).where(Account.external_id == "ACC-023")).one()
        account_id = account.id
        session.add(SyncRun(org_id=org_id, source="files", status="ok", finished_at=utcnow() + timedelta(seconds=5)))
        # The sync changed the account's name: the answer must show it, not the stored one.
        session.execute(update(Account).where(Account.id == account_id).values(name="Globex Health Group"))
    with statements(db) as seen, db.session() as session:
        answer = build_account_answer(session, org_id, account_id, SAMPLE_ANCHOR)
    assert answer.name == "Globex Health Group" and reads_usage(seen)
    tomorrow = SAMPLE_ANCHOR + timedelta(days=1)
    with statements(db) as seen, db.session() as session:
        answer = build_account_answer(session, org_id, account_id, tomorrow)
        row = session.get(StoredAnswer, account_id)
        assert row is not None and row.day == tomorrow  # stored again, for the next request of that day
    assert reads_usage(seen) and answer.days_to_renewal == 99


def test_an_account_without_a_stored_answer_is_answered_and_stored(db: Database) -> None:
    org_id = scored(db)
    with db.session() as session:
        account_id = session.scalars(select(Account.id).where(Account.external_id == "ACC-023")).one()
        session.execute(delete(StoredAnswer))
    with db.session() as session:
        answer = build_account_answer(session, org_id, account_id, SAMPLE_ANCHOR)
        assert session.get(StoredAnswer, account_id) is not None
    assert answer.name == "Globex Health" and answer.am == "Bruno Costa"


def test_erasing_a_person_drops_the_stored_answers_that_may_name_them(db: Database) -> None:
    from bot.erasure import erase_person

    org_id = scored(db)
    with db.session() as session:
        globex = session.scalars(select(Account).where(Account.external_id == "ACC-023")).one()
        stored = session.get(StoredAnswer, globex.id)
        assert stored is not None and "Maria Gonzalez" in str(stored.payload)
        erase_person(session, get_org(session, "demo"), MARIA)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredAnswer).where(StoredAnswer.org_id == org_id)) == 0
        answer = build_account_answer(session, org_id, globex.id, SAMPLE_ANCHOR)
    assert "Maria Gonzalez" not in answer.model_dump_json()
