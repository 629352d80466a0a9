"""The whole run, stage by stage: sync -> score -> alerts -> digests -> delivery.

Each stage is its own transaction, so a failure in one keeps what the previous ones stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from bot.alerts import alert_recipients, raise_new_alerts
from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.compose import alert_messages, digest_messages
from bot.delivery.ledger import Outcome, deliver
from bot.delivery.message import OutgoingMessage
from bot.digest import build_digest, save_digest
from bot.ingest import Ingestor, IngestReport
from bot.models import Member
from bot.orgs import ensure_org, get_org
from bot.rescore import RescoreReport, rescore
from bot.views import Digest, StakeholderAlert
from integrations.base import Connector

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    digests: list[tuple[str, Digest]] = field(default_factory=list)  # (member email, digest)
    alerts: list[tuple[list[str], StakeholderAlert]] = field(default_factory=list)  # (recipients, alert)
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def run_sync(db: Database, org_slug: str, connector: Connector) -> IngestReport:
    batch = connector.load()  # raises SourceError before anything is stored
    with db.session() as session:
        org = ensure_org(session, org_slug)
        return Ingestor(session, org.id, connector.name).ingest(batch)


def run_score(db: Database, org_slug: str, as_of: date) -> RescoreReport:
    with db.session() as session:
        return rescore(session, get_org(session, org_slug), as_of)


def run_alerts(db: Database, org_slug: str, today: date, channels: dict[str, Channel]) -> DeliveryReport:
    report = DeliveryReport()
    with db.session() as session:
        org = get_org(session, org_slug)
        org_id = org.id
        pending: list[OutgoingMessage] = []
        for alert, view in raise_new_alerts(session, org, today):
            members = alert_recipients(session, org, alert.account_id)
            report.alerts.append(([m.email for m in members], view))
            pending.extend(msg for m in members for msg in alert_messages(m, view, alert.subject_key, today))
    _send_all(db, org_id, channels, pending, report)
    return report


def run_digests(db: Database, org_slug: str, day: date, channels: dict[str, Channel]) -> DeliveryReport:
    report = DeliveryReport()
    pending: list[OutgoingMessage] = []
    with db.session() as session:
        org = get_org(session, org_slug)
        org_id = org.id
        members = session.scalars(
            select(Member)
            .where(Member.org_id == org.id, Member.active.is_(True), Member.role.in_(("am", "csm")))
            .order_by(Member.role, Member.name)
        )
        for member in members:
            digest, seen = build_digest(session, org, member, day)
            save_digest(session, org, member, digest, seen)
            report.digests.append((member.email, digest))
            pending.extend(digest_messages(member, digest))
    _send_all(db, org_id, channels, pending, report)
    return report


def _send_all(
    db: Database, org_id: int, channels: dict[str, Channel], messages: list[OutgoingMessage], report: DeliveryReport
) -> None:
    for message in messages:
        channel = channels.get(message.platform)
        if channel is None:
            continue
        try:
            report.outcomes.append(deliver(db, org_id, channel, message))
        except Exception as exc:  # one member's failure must not stop the others
            log.exception("delivery of a %s failed", message.kind)
            report.outcomes.append(Outcome("failed", error=f"{type(exc).__name__}"))
