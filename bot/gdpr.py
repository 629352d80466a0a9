"""An organization's data on demand: export it whole, delete it whole (erasing one person: bot.erasure)."""

from __future__ import annotations

import json
import logging
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from bot import __version__
from bot.models import (
    Base,
    ChatInstallation,
    ChatLink,
    Organization,
)
from bot.tenancy import scope_session

log = logging.getLogger(__name__)
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
    # Its audit log goes with it, so the deletion itself is recorded in the service's log (no personal data).
    log.warning("organization %r (id %s) deleted: %s rows", org.slug, org.id, sum(counts.values()))
    return counts
