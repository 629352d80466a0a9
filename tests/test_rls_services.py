"""With row-level security binding the application's database role, every service still does its whole
job for its own organization, and never touches another's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from botbuilder.schema import Activity
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat_requests import answer_with_brief
from bot.db import Database
from bot.delivery.routing import outbox_channels
from bot.membership import Actor
from bot.models import Account, AuditEntry, Delivery, Digest, Handoff, HandoffMessage, Member, SourceState
from bot.orgs import get_org
from bot.pipeline import run_alerts, run_digests
from bot.scheduler import jobs
from bot.scheduler.worker import Worker, job_store
from bot.settings import Settings
from bot.status import all_status
from bot.teams.bot import TandemTeamsBot
from bot.teams.flows import TeamsFlows
from bot.teams.relay import ChannelRelay
from tests.slack_harness import AM, CSM, SAMPLE_ANCHOR, load_demo, running_slack, wait_for

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


def test_slack_requests_work_as_the_app_role(app_db: Database, db: Database) -> None:
    """/account, a handoff with its reply mirrored and a digest button, served with row security binding."""
    load_demo(db, "other")  # the same people and accounts in another organization, which must stay apart
    with running_slack(app_db) as env:
        before = len(env.responses())
        env.command("/account", "Northwind Logistics")
        answer = wait_for(lambda: env.responses()[before:])[0]
        assert "Northwind Logistics" in json.dumps(answer.get("blocks", []), ensure_ascii=False)
        env.command("/handoff", "Northwind Logistics: usage is falling, can you run a health check?")
        wait_for(lambda: len(env.threads()) == 2)
        [csm_root] = env.fake.posts("D" + CSM)
        reply = {
            "type": "message",
            "channel_type": "im",
            "channel": "D" + CSM,
            "user": CSM,
            "text": "On it",
            "ts": "1800000000.000100",
            "thread_ts": csm_root["ts"],
        }
        env.event(reply, "Ev1")
        wait_for(lambda: [p for p in env.fake.posts("D" + AM) if p.get("thread_ts")])
    with db.session() as session:
        org_id = get_org(session, "default").id
        handoffs = session.scalars(select(Handoff)).all()
        assert [h.org_id for h in handoffs] == [org_id]
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 1
        lookups = session.scalars(select(AuditEntry).where(AuditEntry.action == "account.lookup")).all()
        assert [a.org_id for a in lookups] == [org_id]


async def test_teams_requests_work_as_the_app_role(app_db: Database, db: Database) -> None:
    """`account`, a handoff and its reply relayed to Slack, served with row security binding."""
    from tests.teams_harness import load_pairs
    from tests.test_teams_bot import BotEnv, MemoryChannel, send, text_of

    load_demo(db, "other")
    org_id = load_pairs(app_db)
    channels = {"slack": MemoryChannel("slack"), "teams": MemoryChannel("teams")}
    relay = ChannelRelay(app_db, lambda _org_id: dict(channels))
    env = BotEnv(app_db, org_id, TandemTeamsBot(TeamsFlows(app_db, "default"), relay, roster=False), channels)
    adapter = env.adapter()
    assert "Northwind Logistics" in text_of(await send(adapter, "account Northwind Logistics"))
    await send(adapter, "handoff Northwind Logistics: renewal risk, please check the usage dip")
    reply = Activity(type="message", text="I will call them tomorrow")
    reply.id = "reply-1"
    assert "Sent to your pair" in text_of(await send(adapter, reply))
    assert [m.kind for m in channels["slack"].sent] == ["handoff", "handoff_reply"]
    with db.session() as session:
        assert [h.org_id for h in session.scalars(select(Handoff))] == [org_id]
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 1
