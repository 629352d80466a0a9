"""Every stored secret, which key it is under, and re-encrypting them all with the newest key.

Secrets live in two places: Slack installations (a global table: an install happens before any organization
is linked) and connector credentials (source_states, one organization's rows). With row-level security
(TANDEM_DATABASE_ROLE) an organization's rows are visible only inside its scope, so the work is done one
organization at a time; a read without a scope would see no credential at all and "rotate" nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import SecretBox
from bot.db import Database, org_scope
from bot.models import ChatInstallation, Organization, SourceState


@dataclass(frozen=True)
class StoredSecret:
    org: str  # organization slug; "" for a Slack installation (global)
    where: str  # e.g. "slack installation T1", "source crm: access_token"
    key: int | None  # index in TANDEM_SECRET_KEYS (0: the newest); None: no configured key opens it


@dataclass
class RotationReport:
    rotated: int = 0
    secrets: list[StoredSecret] = field(default_factory=list)  # every secret, as stored after the rotation

    @property
    def not_on_newest(self) -> list[StoredSecret]:
        return [s for s in self.secrets if s.key != 0]


def _installation_label(row: ChatInstallation) -> str:
    user = f" user {row.user_id}" if row.user_id else ""
    return f"{row.platform} installation {row.enterprise_id or ''}{row.team_id}{user}".replace("  ", " ")


def _installations(session: Session) -> Iterator[ChatInstallation]:
    yield from session.scalars(select(ChatInstallation).order_by(ChatInstallation.id))


def _source_states(session: Session, org_id: int) -> Iterator[SourceState]:
    yield from session.scalars(select(SourceState).where(SourceState.org_id == org_id).order_by(SourceState.source))


def _organizations(db: Database) -> list[tuple[int, str]]:
    with db.session() as session:
        return [(o.id, o.slug) for o in session.scalars(select(Organization).order_by(Organization.slug))]


def secret_status(db: Database, box: SecretBox) -> list[StoredSecret]:
    """Every stored secret and the key it is under (nothing is decrypted for display)."""
    found: list[StoredSecret] = []
    with db.session() as session:
        for row in _installations(session):
            found.append(StoredSecret("", _installation_label(row), box.key_index(row.encrypted)))
    for org_id, slug in _organizations(db):
        with org_scope(org_id), db.session() as session:
            for state in _source_states(session, org_id):
                for name, token in sorted((state.config or {}).get("secrets", {}).items()):
                    found.append(StoredSecret(slug, f"source {state.source}: {name}", box.key_index(token)))
    return found


def rotate_all(db: Database, box: SecretBox) -> RotationReport:
    """Re-encrypt every secret with the newest key, organization by organization, then check them all.
    A secret no configured key opens is left as it is (and shows in the check)."""
    report = RotationReport()
    with db.session() as session:
        for row in _installations(session):
            if box.key_index(row.encrypted) is not None:
                row.encrypted = box.rotate(row.encrypted)
                report.rotated += 1
    for org_id, _slug in _organizations(db):
        with org_scope(org_id), db.session() as session:
            for state in _source_states(session, org_id):
                config = dict(state.config or {})
                secrets = dict(config.get("secrets", {}))
                readable = {k: v for k, v in secrets.items() if box.key_index(v) is not None}
                if not readable:
                    continue
                config["secrets"] = secrets | {k: box.rotate(v) for k, v in readable.items()}
                state.config = config
                report.rotated += len(readable)
    report.secrets = secret_status(db, box)
    return report
