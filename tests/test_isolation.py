"""Per-organization isolation on PostgreSQL (row-level security) and the data-protection commands."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from bot.cli import app
from bot.crypto import SecretBox
from bot.db import Database
from bot.ingest import Ingestor
from bot.models import Account, AuditEntry, Base, ChatInstallation, Contact, Note, SourceState, Ticket
from bot.orgs import ensure_org, get_org
from bot.tenancy import org_owned_tables
from integrations.files import FileSource
from tests.csvbook import ACCOUNTS, CONTACTS, write_book

APP_ROLE = "tandem_app_test"


def load_two_orgs(db: Database, tmp_path: Path) -> None:
    """Org "red" and org "blue", each with its own book (same source ids, different data)."""
    for slug, note in (("red", "Red secret plan"), ("blue", "Blue secret plan")):
        book = write_book(
            tmp_path / slug,
            accounts=[dict(a, name=f"{slug} {a['name']}") for a in ACCOUNTS],
            notes=[
                {
                    "note_id": "N1",
                    "account_id": "A1",
                    "created_at": "2026-11-01",
                    "body": f"{note}: call ann@alpha.example or +44 20 7946 0958",
                }
            ],
            tickets=[
                {
                    "ticket_id": "T1",
                    "account_id": "A1",
                    "opened_at": "2026-11-02",
                    "body": "Ann Key (ann@alpha.example) asked for a refund",
                }
            ],
        )
        with db.session() as session:
            org = ensure_org(session, slug)
            Ingestor(session, org.id, "files").ingest(FileSource(book).load())


@pytest.fixture
def pg(db: Database) -> Database:
    if db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature (SQLite is single-organization)")
    return db


def test_the_app_role_sees_only_the_organization_of_its_transaction(pg: Database, tmp_path: Path) -> None:
    load_two_orgs(pg, tmp_path)
    app_db = Database(pg.url, role=APP_ROLE)
    app_db.migrate()
    try:
        with app_db.engine.connect() as conn:  # raw SQL, no organization set
            assert conn.scalar(text("SELECT current_user")) == APP_ROLE
            for table in org_owned_tables():
                assert conn.scalar(text(f'SELECT count(*) FROM "{table}"')) == 0, table
        with app_db.session() as session:
            red = get_org(session, "red")
            names = set(session.scalars(select(Account.name)))
            assert names == {"red Alpha Corp", "red Beta GmbH"}
            assert session.scalar(select(func.count()).select_from(Note)) == 1
            blue_id = session.execute(text("SELECT id FROM organizations WHERE slug = 'blue'")).scalar_one()
            assert red.id != blue_id
        with pytest.raises(DBAPIError), app_db.session() as session:  # writing into another org is refused
            get_org(session, "red")
            session.add(Account(org_id=blue_id, external_id="X", name="planted"))
            session.flush()
    finally:
        app_db.dispose()


def test_the_cli_as_the_app_role_lists_one_organization(
    pg: Database, tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_two_orgs(pg, tmp_path)
    monkeypatch.setenv("TANDEM_DATABASE_ROLE", APP_ROLE)
    result = CliRunner().invoke(app, ["accounts", "--json", "--org", "blue"])
    assert result.exit_code == 0, result.output
    assert {row["name"] for row in json.loads(result.stdout)} == {"blue Alpha Corp", "blue Beta GmbH"}


def test_export_holds_all_of_one_org_and_nothing_of_the_other(
    db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_two_orgs(db, tmp_path)
    out = tmp_path / "red.zip"
    result = CliRunner().invoke(app, ["org", "export", "red", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["organization"] == "red"
        accounts = json.loads(archive.read("accounts.json"))
        notes = json.loads(archive.read("notes.json"))
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert {a["name"] for a in accounts} == {"red Alpha Corp", "red Beta GmbH"}
    assert manifest["tables"]["contacts"] == len(CONTACTS) and notes[0]["body"].startswith("Red secret plan")
    assert b"Blue secret plan" not in everything and b"blue Alpha" not in everything


def test_delete_leaves_no_row_of_the_org_in_any_table(db: Database, tmp_path: Path, cli_env: dict[str, str]) -> None:
    load_two_orgs(db, tmp_path)
    with db.session() as session:
        red_id = get_org(session, "red").id
    result = CliRunner().invoke(app, ["org", "delete", "red", "--yes"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            column = "org_id" if "org_id" in table.columns else "id" if table.name == "organizations" else None
            if column:
                left = conn.scalar(text(f'SELECT count(*) FROM "{table.name}" WHERE {column} = :o'), {"o": red_id})
                assert left == 0, table.name
        assert conn.scalar(text("SELECT count(*) FROM accounts")) == 2  # blue is untouched
    assert CliRunner().invoke(app, ["org", "delete", "nope", "--yes"]).exit_code == 1


def test_erasing_a_person_redacts_them_everywhere_and_keeps_the_rest(
    db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_two_orgs(db, tmp_path)
    result = CliRunner().invoke(app, ["person", "erase", "--email", "ANN@alpha.example", "--org", "red"])
    assert result.exit_code == 0, result.output
    assert "1 contact(s)" in result.output and "2 text(s)" in result.output
    with db.session() as session:
        red = get_org(session, "red")
        ann = session.scalars(select(Contact).where(Contact.org_id == red.id, Contact.external_id == "C1")).one()
        assert (ann.name, ann.email, ann.phone) == ("[erased]", None, None)
        note = session.scalars(select(Note).where(Note.org_id == red.id)).one()
        ticket = session.scalars(select(Ticket).where(Ticket.org_id == red.id)).one()
        assert note.body is not None
        assert "ann@alpha.example" not in note.body and note.body.startswith("Red secret plan")
        assert ticket.body == "[erased] ([erased]) asked for a refund"
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2  # rows and aggregates stay
        blue_note = session.scalars(select(Note).where(Note.org_id != red.id)).one()
        assert "ann@alpha.example" in (blue_note.body or "")  # another organization's data is its own
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).all()
        assert len(entries) == 1 and "alpha" not in json.dumps(entries[0].details) + entries[0].target


def test_stored_secrets_are_unreadable_without_the_key_and_rotate(
    db: Database, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TANDEM_SECRET_KEYS", old)
    box = SecretBox([old])
    with db.session() as session:
        session.add(ChatInstallation(team_id="T1", encrypted=box.encrypt('{"bot_token": "xoxb-secret"}')))
    added = CliRunner().invoke(app, ["sources", "add", "hubspot", "crm", "--set", "access_token=pat-na1-secret"])
    assert added.exit_code == 0, added.output
    with db.engine.connect() as conn:
        raw = conn.scalar(text("SELECT encrypted FROM chat_installations"))
        raw_source = json.dumps(conn.scalar(text("SELECT config FROM source_states WHERE source = 'crm'")))
    assert "xoxb-secret" not in raw and "pat-na1-secret" not in raw_source
    monkeypatch.setenv("TANDEM_SECRET_KEYS", f"{new},{old}")
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    with db.session() as session:
        rotated = session.scalars(select(ChatInstallation)).one().encrypted
        token = session.scalars(select(SourceState).where(SourceState.source == "crm")).one().config["secrets"]
    assert SecretBox([new]).decrypt(rotated) == '{"bot_token": "xoxb-secret"}'
    assert SecretBox([new]).decrypt(token["access_token"]) == "pat-na1-secret"  # connector secrets rotate too
    monkeypatch.setenv("TANDEM_SECRET_KEYS", "")
    assert CliRunner().invoke(app, ["keys", "rotate"]).exit_code == 1
