"""`tandem keys rotate` re-encrypts every stored secret in every deployment mode, row-level security included,
never reports success while a secret is under an old key, and `tandem keys status` says which key each uses."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.crypto import SecretBox
from bot.db import Database
from bot.models import ChatInstallation, SourceState
from bot.orgs import ensure_org

APP_ROLE = "tandem_app_keys"
OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def _store_secrets(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Slack installation and one connector credential in each of two organizations, under OLD."""
    monkeypatch.setenv("TANDEM_SECRET_KEYS", OLD)
    with db.session() as session:
        ensure_org(session, "red")
        ensure_org(session, "blue")
        session.add(ChatInstallation(team_id="T1", encrypted=SecretBox([OLD]).encrypt('{"bot_token": "xoxb-1"}')))
    for org in ("red", "blue"):
        added = CliRunner().invoke(
            app, ["sources", "add", "hubspot", "crm", "--org", org, "--set", f"access_token=pat-{org}"]
        )
        assert added.exit_code == 0, added.output


def _tokens(db: Database) -> list[str]:
    """Every stored secret, read as the owner (no row security)."""
    with db.session() as session:
        tokens = [row.encrypted for row in session.scalars(select(ChatInstallation))]
        for state in session.scalars(select(SourceState)):
            tokens += list(state.config.get("secrets", {}).values())
    return tokens


def test_rotation_under_row_level_security_reaches_every_organization(
    db: Database, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    _store_secrets(db, monkeypatch)
    monkeypatch.setenv("TANDEM_DATABASE_ROLE", APP_ROLE)
    monkeypatch.setenv("TANDEM_SECRET_KEYS", f"{NEW},{OLD}")
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 3 stored secret(s)" in result.output
    tokens = _tokens(db)
    assert len(tokens) == 3 and all(SecretBox([NEW]).key_index(t) == 0 for t in tokens)
    monkeypatch.setenv("TANDEM_SECRET_KEYS", NEW)  # the old key dropped, as the README says
    status = CliRunner().invoke(app, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "blue | source crm: access_token | key 1" in status.output
    assert "3 stored secret(s); 0 not under the newest key." in status.output


def test_status_names_the_key_of_each_secret(
    db: Database, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_secrets(db, monkeypatch)
    monkeypatch.setenv("TANDEM_SECRET_KEYS", f"{NEW},{OLD}")
    status = CliRunner().invoke(app, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "(all organizations) | slack installation T1 | key 2" in status.output
    assert "red | source crm: access_token | key 2" in status.output
    assert "3 stored secret(s); 3 not under the newest key." in status.output


def test_rotation_refuses_success_while_a_secret_is_under_a_key_it_lacks(
    db: Database, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_secrets(db, monkeypatch)
    with db.session() as session:  # written under a key that is no longer configured
        session.add(ChatInstallation(team_id="T2", encrypted=SecretBox([LOST]).encrypt('{"bot_token": "xoxb-2"}')))
    monkeypatch.setenv("TANDEM_SECRET_KEYS", f"{NEW},{OLD}")
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "slack installation T2 | no configured key opens it" in result.output
    assert "1 stored secret(s) are not under the newest key" in result.output
    assert "Re-encrypted" not in result.output
    assert sum(SecretBox([NEW]).key_index(t) == 0 for t in _tokens(db)) == 3  # the others were rotated
    assert CliRunner().invoke(app, ["keys", "status"]).exit_code == 1
