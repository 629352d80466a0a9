"""The whole run, stage by stage: sync -> score -> alerts -> digests -> delivery.

Each stage is its own transaction, so a failure in one keeps what the previous ones stored.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from bot.alerts import alert_recipients, raise_new_alerts
from bot.answers import store_answers
from bot.briefs import apply_opening, complete, prepare_opening
from bot.db import Database, org_scope
from bot.delivery.channel import Channel
from bot.delivery.compose import alert_messages, digest_messages
from bot.delivery.ledger import Outcome, deliver, record_intent
from bot.delivery.message import OutgoingMessage
from bot.delivery.redeliver import unsent_alerts
from bot.digest import build_digest, save_digest
from bot.ingest import Ingestor, IngestReport
from bot.llm import Writer
from bot.llm.writer import Written
from bot.metrics import ACTIVE_SIGNALS, DELIVERIES, FAILURES, RUN_SECONDS, RUNS
from bot.models import Member, Organization, utcnow
from bot.orgs import ensure_org, get_org
from bot.portfolio import member_portfolio
from bot.rescore import RescoreReport, rescore
from bot.settings import Settings, get_settings
from bot.source_health import record_failure, record_success, stale_sources
from bot.tenancy import scope_session
from bot.views import Digest, StakeholderAlert
from integrations.base import Connector, StreamingConnector

log = logging.getLogger(__name__)

PORTFOLIO_WEEKDAY = 0  # Monday's digest opens with the member's portfolio indicators


@dataclass
class DeliveryReport:
    digests: list[tuple[str, Digest]] = field(default_factory=list)  # (member email, digest)
    alerts: list[tuple[list[str], StakeholderAlert]] = field(default_factory=list)  # (recipients, alert)
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def run_sync(db: Database, org_slug: str, connector: Connector) -> IngestReport:
    """Pull one source; a failure stores nothing of the batch and is recorded as the source's health."""
    with db.session() as session:
        org_id = ensure_org(session, org_slug).id
    with org_scope(org_id):
        return _sync(db, org_id, connector)


def _sync(db: Database, org_id: int, connector: Connector) -> IngestReport:
    try:
        with RUN_SECONDS.labels("sync").time():
            # A streaming source checks its headers now (SourceError before anything is stored) and
            # hands its records over as the ingest consumes them: the book is never held whole.
            batch = connector.stream() if isinstance(connector, StreamingConnector) else connector.load()
            with db.session() as session:
                report = Ingestor(session, org_id, connector.name).ingest(batch)
                record_success(session, org_id, connector.name)
    except Exception as exc:
        RUNS.labels("sync", "failed").inc()
        with db.session() as session:
            record_failure(session, org_id, connector.name, f"{type(exc).__name__}: {exc}")
        raise
    RUNS.labels("sync", "ok").inc()
    return report


def run_score(db: Database, org_slug: str, as_of: date, account_ids: Collection[int] | None = None) -> RescoreReport:
    """Rescore the whole book, or only `account_ids` (a sync's IngestReport.changed_accounts, when the day
    has not changed since the last full rescore: time-based windows move every account daily)."""
    with RUN_SECONDS.labels("score").time(), db.session() as session:
        org = get_org(session, org_slug)
        report = rescore(session, org, as_of, account_ids)
        # What /account answers from the scores just written (for the accounts rescored), stored so a
        # request does a lookup and a render.
        store_answers(session, org.id, as_of, account_ids)
    RUNS.labels("score", "ok").inc()
    ACTIVE_SIGNALS.labels(org_slug).set(report.active)
    return report


def run_alerts(db: Database, org_slug: str, today: date, channels: dict[str, Channel]) -> DeliveryReport:
    """Raise each new stakeholder alert and record its messages in one transaction, then send them, along
    with any alert a previous run recorded and did not get out (it was killed, or the platform failed)."""
    report = DeliveryReport()
    with db.session() as session:
        org = get_org(session, org_slug)
        org_id = org.id
        scope_session(session, org_id)
        pending: list[OutgoingMessage] = []
        for alert, view in raise_new_alerts(session, org, today):
            members = alert_recipients(session, org, alert.account_id)
            report.alerts.append(([m.email for m in members], view))
            pending.extend(msg for m in members for msg in alert_messages(m, view, alert.subject_key, today))
        pending = [m for m in pending if m.platform in channels]
        for message in pending:
            record_intent(session, org_id, message)
        new_keys = {m.idempotency_key for m in pending}
        earlier = [m for m in unsent_alerts(session, org_id, utcnow()) if m.idempotency_key not in new_keys]
    send_messages(db, org_id, channels, earlier + pending, report)
    return report


def run_digests(
    db: Database,
    org_slug: str,
    day: date,
    channels: dict[str, Channel],
    member_ids: Collection[int] | None = None,
    settings: Settings | None = None,
) -> DeliveryReport:
    """Each member's digest (or only the given members': the scheduler sends each at their local time)."""
    report = DeliveryReport()
    writer = Writer.from_settings(settings or get_settings())  # one per run: its token budget is the run's
    with db.session() as session:
        org_id = get_org(session, org_slug).id
        scope = Member.id.in_(list(member_ids)) if member_ids is not None else true()
        ids = list(
            session.scalars(
                select(Member.id)
                .where(Member.org_id == org_id, Member.active.is_(True), Member.role.in_(("am", "csm")), scope)
                .order_by(Member.role, Member.name)
            )
        )
        stale = stale_sources(session, org_id)
    with org_scope(org_id):
        _digests_of(db, org_id, ids, day, stale, writer, channels, report)
    return report


def _digests_of(
    db: Database,
    org_id: int,
    ids: list[int],
    day: date,
    stale: list[str],
    writer: Writer,
    channels: dict[str, Channel],
    report: DeliveryReport,
) -> None:
    pending: list[OutgoingMessage] = []
    for member_id in ids:
        try:  # one member's failure loses only their digest
            email, digest, messages = _member_digest(db, org_id, member_id, day, stale, writer, set(channels))
        except Exception:
            log.exception("digest of member %s failed", member_id)
            FAILURES.labels("digest").inc()
            report.outcomes.append(Outcome("failed", error="digest could not be built"))
            continue
        report.digests.append((email, digest))
        pending.extend(messages)
    send_messages(db, org_id, channels, pending, report)


def _member_digest(
    db: Database, org_id: int, member_id: int, day: date, stale: list[str], writer: Writer, platforms: set[str]
) -> tuple[str, Digest, list[OutgoingMessage]]:
    """Build, open (the model's words or the deterministic ones) and save one member's digest. The model is
    called with no transaction open: it takes seconds, and a transaction would hold rows (or, on SQLite,
    the whole database) meanwhile."""
    with db.session() as session:
        org, member = session.get_one(Organization, org_id), session.get_one(Member, member_id)
        digest, seen = build_digest(session, org, member, day)
        digest.stale_sources = stale
        if day.weekday() == PORTFOLIO_WEEKDAY:  # weekly, not daily: outcomes move slowly
            digest.portfolio = member_portfolio(session, org, member, day)
        step = prepare_opening(session, org, member, digest, writer)
        if isinstance(step, Written):  # no call to make: finish in this transaction
            apply_opening(digest, step)
            save_digest(session, org, member, digest, seen)
            return member.email, digest, _intended(session, org_id, member, digest, platforms)
    apply_opening(digest, complete(db, writer, step))  # keeps the deterministic one on failure
    with db.session() as session:
        org, member = session.get_one(Organization, org_id), session.get_one(Member, member_id)
        save_digest(session, org, member, digest, seen)
        return member.email, digest, _intended(session, org_id, member, digest, platforms)


def _intended(
    session: Session, org_id: int, member: Member, digest: Digest, platforms: set[str]
) -> list[OutgoingMessage]:
    """The digest's messages for the platforms at hand, recorded in the ledger in the transaction that
    saves the digest."""
    messages = [m for m in digest_messages(member, digest) if m.platform in platforms]
    for message in messages:
        record_intent(session, org_id, message)
    return messages


def send_messages(
    db: Database,
    org_id: int,
    channels: dict[str, Channel],
    messages: list[OutgoingMessage],
    report: DeliveryReport | None = None,
) -> DeliveryReport:
    """Each message through the ledger; one failure does not stop the others."""
    report = report if report is not None else DeliveryReport()
    for message in messages:
        channel = channels.get(message.platform)
        if channel is None:
            continue
        try:
            outcome = deliver(db, org_id, channel, message)
        except Exception as exc:  # one member's failure must not stop the others
            log.exception("delivery of a %s failed", message.kind)
            outcome = Outcome("failed", error=f"{type(exc).__name__}")
        DELIVERIES.labels(message.platform, message.kind, outcome.status).inc()
        report.outcomes.append(outcome)
    return report
