"""The admin API: organizations, members, sources, settings, export and deletion, behind a bearer token."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from bot import audit
from bot.admin_auth import VerifiedRoute, require_admin
from bot.db import Database
from bot.gdpr import delete_org, export_org
from bot.handoffs import DEFAULT_REMIND_AFTER_WORKING_DAYS, remind_after_working_days
from bot.membership import link_workspace
from bot.models import Member, Organization, SourceState
from bot.orgs import get_org
from bot.scheduler.plan import DEFAULT_NIGHTLY_CRON, crontab_trigger, nightly_cron
from scoring.config import ScoringConfig

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


def session_dep(request: Request) -> Any:
    db: Database = request.app.state.db
    with db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(session_dep)]
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)], route_class=VerifiedRoute)


def _timezone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
    return value


# Names are shown in chat and stored as text: control characters (NUL is refused by PostgreSQL) are bad input.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    timezone: str = "UTC"
    _tz = field_validator("timezone")(_timezone)


class OrgOut(BaseModel):
    slug: str
    name: str
    timezone: str


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=200, pattern=PRINTABLE)
    role: str = Field(pattern="^(am|csm|manager)$")
    slack_user_id: str | None = Field(None, max_length=64)
    teams_user_id: str | None = Field(None, max_length=200)
    timezone: str | None = None
    digest_time: str = Field("08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    digest_budget: int = Field(5, ge=1, le=50)
    active: bool = True
    _tz = field_validator("timezone")(_timezone)


class MemberOut(MemberIn):
    email: str


class SourceOut(BaseModel):
    source: str
    last_success_at: str | None
    last_failure_at: str | None
    last_error: str | None


def _org(session: Session, slug: str) -> Organization:
    if not re.match(SLUG, slug):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such organization")
    try:
        return get_org(session, slug)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such organization") from None


@router.get("/orgs", response_model=list[OrgOut])
def list_orgs(session: SessionDep) -> list[OrgOut]:
    rows = session.scalars(select(Organization).order_by(Organization.slug))
    return [OrgOut(slug=o.slug, name=o.name, timezone=o.timezone) for o in rows]


@router.post("/orgs", response_model=OrgOut, status_code=status.HTTP_201_CREATED)
def create_org(body: OrgIn, session: SessionDep) -> OrgOut:
    if session.scalar(select(Organization).where(Organization.slug == body.slug)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "organization exists")
    org = Organization(slug=body.slug, name=body.name, timezone=body.timezone, settings={})
    session.add(org)
    session.flush()
    audit.record(session, org.id, "admin-api", "org.create", f"org:{org.slug}")
    return OrgOut(slug=org.slug, name=org.name, timezone=org.timezone)


@router.get("/orgs/{slug}/members", response_model=list[MemberOut])
def list_members(slug: str, session: SessionDep) -> list[MemberOut]:
    org = _org(session, slug)
    rows = session.scalars(select(Member).where(Member.org_id == org.id).order_by(Member.email))
    return [
        MemberOut(
            email=m.email,
            name=m.name,
            role=m.role,
            slack_user_id=m.slack_user_id,
            teams_user_id=m.teams_user_id,
            timezone=m.timezone,
            digest_time=m.digest_time,
            digest_budget=m.digest_budget,
            active=m.active,
        )
        for m in rows
    ]


@router.put("/orgs/{slug}/members/{email}", response_model=MemberOut)
def put_member(slug: str, email: str, body: MemberIn, session: SessionDep) -> MemberOut:
    org = _org(session, slug)
    email = email.strip().lower()
    if not re.match(r"^[^@\s]+@[^@\s]+$", email) or len(email) > 320:
        raise HTTPException(422, "not an email address")
    member = session.scalar(select(Member).where(Member.org_id == org.id, Member.email == email))
    if member is None:
        member = Member(org_id=org.id, email=email, role=body.role)
        session.add(member)
    for name, value in body.model_dump().items():
        setattr(member, name, value)
    session.flush()
    audit.record(session, org.id, "admin-api", "member.update", f"member:{member.id}")
    return MemberOut(email=email, **body.model_dump())


@router.get("/orgs/{slug}/sources", response_model=list[SourceOut])
def list_sources(slug: str, session: SessionDep) -> list[SourceOut]:
    org = _org(session, slug)
    rows = session.scalars(select(SourceState).where(SourceState.org_id == org.id).order_by(SourceState.source))
    return [
        SourceOut(
            source=s.source,
            last_success_at=s.last_success_at.isoformat() if s.last_success_at else None,
            last_failure_at=s.last_failure_at.isoformat() if s.last_failure_at else None,
            last_error=s.last_error,
        )
        for s in rows
    ]


class ChatLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: str = Field(pattern=r"^(slack|teams)$")
    external_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")


@router.put("/orgs/{slug}/chat-links", response_model=ChatLinkIn)
def put_chat_link(slug: str, body: ChatLinkIn, session: SessionDep) -> ChatLinkIn:
    """Map a Slack workspace (team id) or a Teams tenant to this organization; one organization each."""
    org = _org(session, slug)
    try:
        link_workspace(session, org, body.platform, body.external_id)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit.record(session, org.id, "admin-api", "chat_link.update", f"{body.platform}:{body.external_id}"[:64])
    return body


class ScheduleIn(BaseModel):
    """When the organization's nightly sync and score runs: a crontab line in the organization's timezone."""

    model_config = ConfigDict(extra="forbid")
    nightly_cron: str = Field(DEFAULT_NIGHTLY_CRON, max_length=100, examples=["0 2 * * *"])


class HandoffSettingsIn(BaseModel):
    """When an unacknowledged handoff is reminded to its receiver: after this many working days."""

    model_config = ConfigDict(extra="forbid")
    remind_after_working_days: int = Field(DEFAULT_REMIND_AFTER_WORKING_DAYS, ge=1, le=20)


def _settings_out(org: Organization) -> dict[str, Any]:
    stored = org.settings or {}
    return {
        "scoring": ScoringConfig.from_settings(dict(stored.get("scoring", {}))).model_dump(),
        "schedule": {"nightly_cron": nightly_cron(org)},
        "handoffs": {"remind_after_working_days": remind_after_working_days(org)},
    }


@router.get("/orgs/{slug}/settings")
def get_org_settings(slug: str, session: SessionDep) -> dict[str, Any]:
    return _settings_out(_org(session, slug))


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scoring: dict[str, Any] = Field(default_factory=dict)
    schedule: ScheduleIn | None = None  # absent: the schedule stays as it is
    handoffs: HandoffSettingsIn | None = None  # absent: stays as it is


@router.put("/orgs/{slug}/settings")
def put_org_settings(slug: str, body: SettingsIn, session: SessionDep) -> dict[str, Any]:
    org = _org(session, slug)
    try:
        ScoringConfig.from_settings(body.scoring)
        if body.schedule is not None:
            crontab_trigger(body.schedule.nightly_cron)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    updated = dict(org.settings or {}) | {"scoring": body.scoring}
    if body.schedule is not None:
        updated["schedule"] = body.schedule.model_dump()
    if body.handoffs is not None:
        updated["handoffs"] = body.handoffs.model_dump()
    org.settings = updated  # the scheduler picks a new schedule up within its refresh interval
    audit.record(session, org.id, "admin-api", "settings.update", f"org:{slug}", keys=len(body.scoring))
    return _settings_out(org)


@router.post("/orgs/{slug}/export", response_class=FileResponse)
def export(slug: str, session: SessionDep) -> FileResponse:
    org = _org(session, slug)
    folder = Path(tempfile.mkdtemp(prefix="tandem-export-"))
    path = folder / f"{org.slug}.zip"
    counts = export_org(session, org, path)
    audit.record(session, org.id, "admin-api", "org.export", f"org:{slug}", rows=sum(counts.values()))

    def cleanup_export() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    cleanup = BackgroundTask(cleanup_export)
    return FileResponse(path, media_type="application/zip", filename=path.name, background=cleanup)


@router.delete("/orgs/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete(slug: str, session: SessionDep) -> Response:
    delete_org(session, _org(session, slug))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
