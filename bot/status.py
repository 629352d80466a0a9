"""What `tandem status` reports: per organization, the last and next runs, each source's health, failed
deliveries and unreachable people. Names members by email (Tandem's users), never customer data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import ConversationRef, Delivery, JobRun, Member, Organization, SourceState, SyncRun
from bot.status_work import pending_deliveries, planned_digests
from bot.tenancy import scope_session


@dataclass
class OrgStatus:
    slug: str
    last_runs: list[dict[str, Any]] = field(default_factory=list)  # per source: status, when
    last_jobs: list[dict[str, Any]] = field(default_factory=list)  # per scheduled job: status, when, error
    next_runs: dict[str, str] = field(default_factory=dict)  # job id -> ISO time
    sources: list[dict[str, Any]] = field(default_factory=list)
    failed_deliveries: list[dict[str, Any]] = field(default_factory=list)
    pending_deliveries: list[dict[str, Any]] = field(default_factory=list)  # recorded, not sent yet: with age
    planned_digests: dict[str, Any] = field(default_factory=dict)  # today's: counts per state, late or failed
    unreachable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def org_status(session: Session, org: Organization, next_runs: dict[str, str]) -> OrgStatus:
    scope_session(session, org.id)  # the rest of the transaction reads this organization's rows
    status = OrgStatus(org.slug)
    latest = (
        select(SyncRun.source, func.max(SyncRun.id).label("id"))
        .where(SyncRun.org_id == org.id)
        .group_by(SyncRun.source)
    ).subquery()
    for run in session.scalars(select(SyncRun).join(latest, latest.c.id == SyncRun.id).order_by(SyncRun.source)):
        status.last_runs.append(
            {
                "source": run.source,
                "status": run.status,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
            }
        )
    members = {m.id: m for m in session.scalars(select(Member).where(Member.org_id == org.id))}
    status.pending_deliveries = pending_deliveries(session, org.id, members)
    status.planned_digests = planned_digests(session, org.id, members)
    for job in session.scalars(select(JobRun).where(JobRun.org_id == org.id).order_by(JobRun.job)):
        state = job.status
        if job.job == "digests" and state == "running" and not status.planned_digests["alive"]:
            state = "interrupted"  # its process died mid-run; the leader's sweep finishes its digests
        status.last_jobs.append(
            {
                "job": job.job,
                "status": state,
                "started_at": _iso(job.started_at),
                "finished_at": _iso(job.finished_at),
                "error": job.error,
            }
        )
    prefixes = {f"{job}:{org.id}" for job in ("nightly", "reminders", "redeliver")} | {f"digest:{i}" for i in members}
    status.next_runs = {k: v for k, v in next_runs.items() if k in prefixes}
    for s in session.scalars(select(SourceState).where(SourceState.org_id == org.id).order_by(SourceState.source)):
        status.sources.append(
            {
                "source": s.source,
                "last_success_at": _iso(s.last_success_at),
                "last_failure_at": _iso(s.last_failure_at),
                "last_error": s.last_error,
            }
        )
    failed = session.scalars(
        select(Delivery)
        .where(Delivery.org_id == org.id, (Delivery.status == "failed") | (Delivery.error.is_not(None)))
        .where(Delivery.status != "sent")
        .order_by(Delivery.id.desc())
        .limit(50)
    )
    for d in failed:
        member = members.get(d.member_id) if d.member_id else None
        status.failed_deliveries.append(
            {
                "key": d.idempotency_key,
                "member": member.email if member else None,
                "platform": d.platform,
                "status": d.status,
                "attempts": d.attempts,
                "error": d.error,
            }
        )
    for ref in session.scalars(
        select(ConversationRef).where(ConversationRef.org_id == org.id, ConversationRef.reachable.is_(False))
    ):
        if (member := members.get(ref.member_id)) is not None:
            status.unreachable.append(member.email)
    return status


def all_status(session: Session, next_runs: dict[str, str]) -> list[OrgStatus]:
    return [
        org_status(session, org, next_runs) for org in session.scalars(select(Organization).order_by(Organization.slug))
    ]
