"""With row-level security binding the application's database role, every service still does its whole
job for its own organization, and never touches another's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat_requests import answer_with_brief
from bot.db import Database
from bot.delivery.routing import outbox_channels
from bot.membership import Actor
from bot.models import Account, Delivery, Digest, Member, SourceState
from bot.orgs import get_org
from bot.pipeline import run_alerts, run_digests
from bot.scheduler import jobs
from bot.scheduler.worker import Worker, job_store
from bot.settings import Settings
from bot.status import all_status
from tests.slack_harness import SAMPLE_ANCHOR, load_demo

APP_ROLE = "tandem_app_services"


@pytest.fixture
def app_db(db: Database) -> Iterator[Database]:
    if db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature (SQLite is single-organization)")
    bound = Database(db.url, role=APP_ROLE)
    bound.migrate()
    yield bound
    store = job_store(db)
    store.start(BackgroundScheduler(), "default")
    store.remove_all_jobs()
    bound.dispose()


def _count(db: Database, model: Any, org_slug: str) -> int:
    with db.session() as session:
        org_id = get_org(session, org_slug).id
        return session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0


def test_sync_score_alerts_digests_and_jobs_run_as_the_app_role(app_db: Database, db: Database, tmp_path: Path) -> None:
    load_demo(db, "other")  # another organization, loaded by the owner: the app role must leave it alone
    load_demo(app_db)  # sync and score, as the app role
    assert _count(db, Account, "default") == _count(db, Account, "other") > 0
    out = outbox_channels(tmp_path / "out")
    run_alerts(app_db, "default", SAMPLE_ANCHOR, out)
    report = run_digests(app_db, "default", SAMPLE_ANCHOR, out)
    assert (report.count("sent"), report.count("failed")) == (4, 0)
    assert _count(db, Digest, "default") == 4 and _count(db, Digest, "other") == 0

    worker = Worker(Settings(database_url=db.url), app_db, channels=lambda _org: out)
    assert worker.start(paused=True)
    ids = {j.id for j in worker.scheduler.get_jobs(jobstore="default")}
    worker.stop()
    assert len([i for i in ids if i.startswith("digest:")]) == 8  # both organizations' members are planned
    with db.session() as session:
        org_id = get_org(session, "default").id
        alice = session.scalars(select(Member).where(Member.org_id == org_id, Member.role == "am")).first()
        assert alice is not None
    Worker(Settings(database_url=db.url), app_db, channels=lambda _org: out)  # installs the job runtime
    jobs.nightly(org_id)
    jobs.member_digest(alice.id, org_id)
    jobs.redeliver(org_id)
    assert _count(db, SourceState, "default") >= 1 and _count(db, SourceState, "other") >= 1

    with app_db.session() as session:  # `tandem status`: every organization, each read in its own scope
        reports = all_status(session, Worker.stored_next_runs(app_db))
    assert {o.slug: [r["source"] for r in o.last_runs] for o in reports} == {"default": ["files"], "other": ["files"]}
    assert all(any(job.startswith("digest:") for job in o.next_runs) for o in reports)

    @contextmanager
    def acting() -> Iterator[tuple[Session, Actor]]:
        with app_db.session() as session:
            org = get_org(session, "default")
            yield session, Actor(org, session.get_one(Member, alice.id))

    with db.session() as session:
        mine = (Account.org_id == org_id, Account.am_email == alice.email)
        account_id, other_id = (
            session.scalars(select(Account.id).where(*mine)).first(),
            session.scalars(select(Account.id).where(Account.org_id != org_id)).first(),
        )
    assert account_id is not None
    answered = answer_with_brief(app_db, Settings(database_url=db.url), acting, account_id, False)
    assert answered is not None and answered[0].account_id == account_id  # the brief is stored as the app role
    assert (
        other_id is not None
        and answer_with_brief(app_db, Settings(database_url=db.url), acting, other_id, False) is None
    )
    with db.session() as session:
        pending = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status != "sent"))
    assert pending == 0
