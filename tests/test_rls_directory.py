"""Row-level security on the directory tables: organizations and chat links are read by everyone (a request is
routed to its organization before one is known) but change only in their own organization's scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.db import Database
from bot.membership import link_workspace, resolve_actor
from bot.models import ChatLink, Member
from bot.orgs import ensure_org, get_org
from tests.test_isolation import load_two_orgs

APP_ROLE = "tandem_app_directory"


def _changed(session: Session, sql: str) -> int:
    """How many rows the statement changed (0: row security hid them)."""
    result = session.execute(text(sql))
    return int(cast(CursorResult[Any], result).rowcount)


@pytest.fixture
def app_db(db: Database) -> Iterator[Database]:
    if db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature (SQLite is single-organization)")
    bound = Database(db.url, role=APP_ROLE)
    bound.migrate()
    yield bound
    bound.dispose()


def test_another_organization_and_its_chat_links_cannot_be_changed(
    app_db: Database, db: Database, tmp_path: Path
) -> None:
    load_two_orgs(db, tmp_path)
    with db.session() as session:  # the owner links blue's workspace
        link_workspace(session, get_org(session, "blue"), "slack", "TBLUE")
    with app_db.session() as session:
        get_org(session, "red")  # scoped to red
        assert _changed(session, "UPDATE organizations SET name = 'taken' WHERE slug = 'blue'") == 0
        assert _changed(session, "DELETE FROM chat_links WHERE external_id = 'TBLUE'") == 0
        assert _changed(session, "UPDATE chat_links SET org_id = org_id WHERE external_id = 'TBLUE'") == 0
        assert _changed(session, "UPDATE organizations SET name = 'Red Inc' WHERE slug = 'red'") == 1
    with pytest.raises(DBAPIError), app_db.session() as session:  # no link planted for another organization
        red = get_org(session, "red")
        blue_id = session.execute(text("SELECT id FROM organizations WHERE slug = 'blue'")).scalar_one()
        session.add(ChatLink(org_id=blue_id, platform="teams", external_id="tenant-x"))
        session.flush()
        assert red.id != blue_id
    with db.session() as session:
        assert session.scalar(text("SELECT name FROM organizations WHERE slug = 'blue'")) == "blue"
        assert session.scalar(select(ChatLink.org_id).where(ChatLink.external_id == "TBLUE")) is not None


def test_routing_and_creating_organizations_still_work_as_the_app_role(
    app_db: Database, db: Database, tmp_path: Path
) -> None:
    load_two_orgs(db, tmp_path)
    with app_db.session() as session:
        green = ensure_org(session, "green")  # a new organization has no scope before it exists
        link_workspace(session, green, "slack", "TGREEN")
        session.add(Member(org_id=green.id, email="g@us.example", name="G", role="am", slack_user_id="UG"))
    with app_db.session() as session:  # a request from that workspace, before any organization is known
        actor = resolve_actor(session, "slack", "TGREEN", "UG")
        assert actor.org.slug == "green" and actor.member.email == "g@us.example"
    with db.engine.connect() as conn:
        policies = {
            (row.tablename, row.policyname)
            for row in conn.execute(text("SELECT tablename, policyname FROM pg_policies"))
            if row.tablename in ("organizations", "chat_links")
        }
    assert ("organizations", "tandem_org_isolation") in policies and ("chat_links", "tandem_org_isolation") in policies
