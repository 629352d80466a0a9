"""An organization's data on demand: export it whole, delete it whole, erase one person from it."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from bot import __version__
from bot.models import (
    Base,
    ChatInstallation,
    ChatLink,
    Contact,
    Member,
    ModelText,
    Note,
    Organization,
    Ticket,
)
from bot.tenancy import scope_session

ERASED = "[erased]"
# Credentials are not customer data and would be useless (encrypted) or dangerous (decrypted) in an export.
NOT_EXPORTED = frozenset({"chat_installations"})


def _org_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if "org_id" in t.columns]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_org(session: Session, org: Organization, out: Path) -> dict[str, int]:
    """Write every row of the organization as JSON, one file per table, plus manifest.json."""
    scope_session(session, org.id)
    counts: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        org_row = {c.name: _jsonable(getattr(org, c.key)) for c in Organization.__table__.columns}
        archive.writestr("organizations.json", json.dumps([org_row], indent=1, ensure_ascii=False))
        counts["organizations"] = 1
        for table in _org_tables():
            rows = [
                {k: _jsonable(v) for k, v in row._mapping.items()}
                for row in session.execute(select(table).where(table.c.org_id == org.id).order_by(*table.primary_key))
            ]
            archive.writestr(f"{table.name}.json", json.dumps(rows, indent=1, ensure_ascii=False))
            counts[table.name] = len(rows)
        manifest = {
            "organization": org.slug,
            "exported_at": datetime.now(UTC).isoformat(),
            "tandem_version": __version__,
            "tables": counts,
            "not_exported": sorted(NOT_EXPORTED),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    return counts


def delete_org(session: Session, org: Organization) -> dict[str, int]:
    """Remove every row of the organization, children first, then the organization itself."""
    scope_session(session, org.id)
    counts: dict[str, int] = {}
    teams = [link.external_id for link in session.scalars(select(ChatLink).where(ChatLink.org_id == org.id))]
    if teams:
        result = session.execute(delete(ChatInstallation).where(ChatInstallation.team_id.in_(teams)))
        counts["chat_installations"] = result.rowcount or 0  # type: ignore[attr-defined]
    for table in reversed(_org_tables()):
        result = session.execute(delete(table).where(table.c.org_id == org.id))
        counts[table.name] = result.rowcount or 0  # type: ignore[attr-defined]
    session.execute(delete(Organization).where(Organization.id == org.id))
    return counts


@dataclass
class ErasureReport:
    contacts: int = 0
    members: int = 0
    texts: int = 0  # ticket and note texts where the person appeared


def _redact(text: str | None, needles: list[str]) -> str | None:
    if not text:
        return text
    for needle in needles:
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def erase_person(session: Session, org: Organization, email: str) -> ErasureReport:
    """Erase one person's personal data everywhere it appears; rows and aggregates stay."""
    scope_session(session, org.id)
    email = email.strip().lower()
    report = ErasureReport()
    needles = [email]
    accounts: set[int] = set()
    for contact in session.scalars(select(Contact).where(Contact.org_id == org.id, Contact.email == email)):
        needles += [v for v in (contact.name, contact.phone) if v and len(v) >= 4]
        accounts.add(contact.account_id)
        contact.name, contact.email, contact.phone, contact.title = ERASED, None, None, None
        report.contacts += 1
    for member in session.scalars(select(Member).where(Member.org_id == org.id, Member.email == email)):
        member.name, member.email, member.active = ERASED, f"erased-{member.id}@invalid", False
        member.slack_user_id = member.teams_user_id = None
        report.members += 1
    needles = sorted(set(needles), key=len, reverse=True)
    like = [f"%{n}%" for n in needles]
    texts: tuple[tuple[type[Ticket] | type[Note], tuple[str, ...]], ...] = (
        (Ticket, ("subject", "body")),
        (Note, ("body",)),
    )
    for model, fields in texts:
        columns = [getattr(model, f) for f in fields]
        rows = session.scalars(
            select(model).where(model.org_id == org.id, or_(*(c.ilike(p) for c in columns for p in like)))
        )
        for row in rows:
            for f in fields:
                setattr(row, f, _redact(getattr(row, f), needles))
            accounts.add(int(getattr(row, "account_id")))  # noqa: B009 - Ticket | Note
            report.texts += 1
        if model is Note:
            session.execute(
                update(Note).where(Note.org_id == org.id, Note.author_email == email).values(author_email=None)
            )
    # Cached model texts were written from the old text: drop them so nothing derived survives.
    if accounts:
        session.execute(delete(ModelText).where(ModelText.org_id == org.id, ModelText.account_id.in_(accounts)))
    return report
