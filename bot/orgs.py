"""Organizations: find or create the one a command works on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Organization
from bot.tenancy import scope_session


def ensure_org(session: Session, slug: str, name: str | None = None, timezone: str = "UTC") -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        org = Organization(slug=slug, name=name or slug, timezone=timezone, settings={})
        session.add(org)
        session.flush()
    scope_session(session, org.id)
    return org


def get_org(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise LookupError(f"no organization {slug!r}: run `tandem sync` or `tandem demo` first")
    scope_session(session, org.id)
    return org
