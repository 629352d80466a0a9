"""The demo with a model: a recording fake OpenAI server behind OPENAI_BASE_URL, through the real client."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.account_view import build_account_answer
from bot.briefs import model_input_for, write_brief
from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR
from bot.llm import FALLBACK_NOTE
from bot.models import Account, ModelText
from bot.models import Digest as DigestRow
from bot.orgs import get_org
from bot.pipeline import run_digests
from bot.settings import Settings
from tests.fakes.openai_server import FakeOpenAI, user_text
from tests.test_demo_pipeline import DEMO, run

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\(?\d[\d ().-]{7,}\d")


def demo_secrets() -> set[str]:
    """Every email and phone number of the demo book: none may reach the model."""
    found: set[str] = set()
    for name in ("contacts.csv", "team.csv", "notes.csv", "tickets.csv", "accounts.csv"):
        with (SAMPLE_DIR / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for key, value in row.items():
                    value = value or ""
                    found |= set(_EMAIL.findall(value))
                    if key in {"phone", "body"}:
                        found |= {p.strip() for p in _PHONE.findall(value) if not re.fullmatch(r"[\d-]+", p.strip())}
    return {s for s in found if s}


def fake_model(body: dict[str, object]) -> str:
    """A well-behaved model: refers to the first masked phone or email it was given, if any."""
    text = user_text(body)
    placeholder = re.search(r"<(?:PHONE|EMAIL)_\d+>", text)
    if "Reader:" in text:
        reader = re.search(r"Reader: (\w+)", text)
        opening = f"Good morning {reader.group(1) if reader else 'there'}: the model says start with your top account."
        return opening + (f"\nTheir contact: {placeholder.group(0)}." if placeholder else "")
    contact = f" Reach them at {placeholder.group(0)}." if placeholder else ""
    return f"Model brief: the account needs attention.\nPeople wrote about exports and usage.{contact}"


@pytest.fixture
def model_env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=fake_model) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("TANDEM_LLM_MODEL", "gpt-test")
        monkeypatch.setenv("TANDEM_LLM_MAX_RETRIES", "1")
        monkeypatch.setenv("TANDEM_LLM_TIMEOUT", "2")
        yield server


def test_the_demo_digests_open_with_the_model_and_leak_nothing(
    model_env: FakeOpenAI, db: Database, tmp_path: Path
) -> None:
    out = run(*DEMO, "--out", str(tmp_path / "outbox"))
    assert len(model_env.requests) == 4  # one opening per member
    for first in ("Alice", "Bruno", "Chloé", "David"):
        assert f"Good morning {first}: the model says start with your top account." in out
    assert out.count("(written by the model)") == 4
    sent = model_env.all_text()
    assert "Northwind Logistics" in sent  # the member's items reached the model
    assert "Recent notes" in sent and "Recent support tickets" in sent  # and what people wrote on them
    assert "<PHONE_" in sent or "<EMAIL_" in sent  # masked, not left out
    leaked = sorted(s for s in demo_secrets() if s in sent)
    assert leaked == []
    # The model named a masked contact; the team's digests show the original, never the placeholder.
    contacts = re.findall(r"Their contact: (.+?)\.?$", out, re.MULTILINE)
    assert contacts and all(c in demo_secrets() for c in contacts) and "<PHONE_" not in out
    with db.session() as session:
        rows = session.scalars(select(ModelText)).all()
        assert {r.purpose for r in rows} == {"opening"} and len(rows) == 4
        assert all(not _EMAIL.search(r.masked_input) for r in rows)
        # Each stored digest points at what its opening's model was sent ("What did the model see?").
        pointed = {d.payload["digest"]["opening_model_text_id"] for d in session.scalars(select(DigestRow))}
        assert pointed == {r.id for r in rows}

    run(*DEMO, "--out", str(tmp_path / "outbox"))  # the same data again
    assert len(model_env.requests) == 4  # zero new model calls


def test_the_brief_reads_notes_and_tickets_masked_and_restores_for_the_team(
    model_env: FakeOpenAI, db: Database
) -> None:
    run(*DEMO)
    calls = len(model_env.requests)
    settings = Settings()
    with db.session() as session:
        org = get_org(session, "default")
        account = session.scalars(select(Account).where(Account.external_id == "ACC-001")).one()
        answer = build_account_answer(session, org.id, account.id, SAMPLE_ANCHOR)
        write_brief(session, org.id, answer, settings)
        sent_user = user_text(model_env.requests[-1])
        assert len(model_env.requests) == calls + 1
        assert "Recent notes" in sent_user and "Recent support tickets" in sent_user
        assert "Call with Marc Berg (<PHONE_1>)" in sent_user  # notes, masked
        assert "+33 6 12 34 19 36" not in sent_user and not _EMAIL.search(sent_user)
        assert answer.brief_by_model and answer.brief_model_text_id is not None
        assert answer.brief.startswith("Model brief: the account needs attention.")
        restored = re.search(r"Reach them at (.+)\.$", answer.brief)
        assert restored and "<PHONE_" not in answer.brief and restored.group(1) in demo_secrets()
        seen = model_input_for(session, org.id, answer.brief_model_text_id)
        assert sent_user in seen and restored.group(1) not in seen  # the team can check: masked, as sent

        again = build_account_answer(session, org.id, account.id, SAMPLE_ANCHOR)
        write_brief(session, org.id, again, settings)
        assert len(model_env.requests) == calls + 1 and again.brief == answer.brief  # cached, restored again
        assert session.scalar(select(func.count()).select_from(ModelText).where(ModelText.purpose == "brief")) == 1


def test_a_model_outage_still_delivers_every_digest(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FakeOpenAI(status=500) as down:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", down.base_url)
        monkeypatch.setenv("TANDEM_LLM_MAX_RETRIES", "1")
        out = run(*DEMO, "--out", str(tmp_path / "outbox"))
        assert len(down.requests) == 2  # one try and one retry, then the run stops waiting for the model
    for member in ("Alice Martin", "Bruno Costa", "Chloé Dubois", "David Okafor"):
        assert f"Digest for {member}" in out
    assert out.count(FALLBACK_NOTE) == 4 and "(written by the model)" not in out
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 6


def test_no_transaction_is_open_while_the_model_writes(db: Database, cli_env: dict[str, str]) -> None:
    """A model call inside a transaction would hold rows (PostgreSQL: "idle in transaction") or, on SQLite
    where every transaction holds the write lock, stall everyone for seconds."""
    run(*DEMO)
    held: list[str] = []

    def reply(body: dict[str, object]) -> str:
        if db.dialect == "sqlite":
            import sqlite3

            assert db.engine.url.database is not None
            probe = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                held.append(str(exc))
            finally:
                probe.close()
        else:
            with db.engine.connect() as conn:
                idle = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                    )
                )
            if idle:
                held.append(f"{idle} connection(s) idle in transaction")
        return fake_model(body)

    with FakeOpenAI(reply=reply) as server:
        settings = Settings(database_url=db.url, openai_api_key="sk-test", openai_base_url=server.base_url)
        run_digests(db, "default", SAMPLE_ANCHOR, {}, settings=settings)
        assert len(server.requests) == 4 and held == []
