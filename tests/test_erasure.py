"""Erasing a person leaves no trace of them anywhere in their organization's data, and keeps the rest."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot import audit
from bot.cli import app
from bot.db import Database
from bot.delivery.routing import outbox_channels
from bot.handoffs import HandoffDraft, add_reply, start_handoff
from bot.models import Account, Alert, Contact, Digest, Handoff, Member, ModelText, Note, Signal
from bot.orgs import get_org
from bot.pipeline import run_alerts, run_digests, run_score
from tests.test_isolation import load_two_orgs

ANN = ("ann@alpha.example", "Ann Key")  # a customer's champion
ADA = ("am@us.example", "Ada AM")  # the account manager
KEPT = (Signal, Alert, Digest, Handoff, Contact, Member)


def _export(tmp_path: Path, name: str) -> dict[str, str]:
    """Each exported table's JSON, lower-cased."""
    out = tmp_path / f"{name}.zip"
    result = CliRunner().invoke(app, ["org", "export", "red", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        return {n.removesuffix(".json"): archive.read(n).decode().lower() for n in archive.namelist()}


def _counts(db: Database) -> list[int]:
    with db.session() as session:
        return [session.scalar(select(func.count()).select_from(model)) or 0 for model in KEPT]


def _ann_leaves_and_the_team_talks_about_it(db: Database, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    with db.session() as session:
        red = get_org(session, "red")
        ann = session.scalars(select(Contact).where(Contact.org_id == red.id, Contact.external_id == "C1")).one()
        ann.status, ann.left_at, ann.left_evidence = "left", datetime.now(UTC), "status"
        account = session.get_one(Account, ann.account_id)
        ada = session.scalars(select(Member).where(Member.org_id == red.id, Member.email == ADA[0])).one()
        handoff, _ = start_handoff(session, account, ada, HandoffDraft(note="Ann Key left: who replaces her?"))
        add_reply(session, handoff, ada, "slack", "Ann Key's deputy is Bob; ann@alpha.example bounces", "1.1")
        audit.record(session, red.id, ADA[0], "account.lookup", "account:A1")
        session.add(
            ModelText(
                org_id=red.id,
                account_id=None,
                purpose="opening",
                input_hash="h",
                masked_input="Ann Key left Alpha Corp",
                output="Call Bob now that Ann Key is gone.",
                model="m",
                prompt_version="v1",
            )
        )
    run_score(db, "red", today)
    run_alerts(db, "red", today, outbox_channels(tmp_path / "out"))
    run_digests(db, "red", today, {})


def test_erasing_a_contact_and_a_member_leaves_no_trace_of_either(
    db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_two_orgs(db, tmp_path)
    _ann_leaves_and_the_team_talks_about_it(db, tmp_path)
    before = _export(tmp_path, "before")
    for table in ("signals", "alerts", "digests", "handoffs", "handoff_messages", "model_texts"):
        assert "ann key" in before[table], table  # the test has something to erase everywhere
    assert ADA[0] in before["audit_log"] and ADA[0] in before["digests"] and ADA[0] in before["accounts"]
    counts = _counts(db)

    for email in ("ANN@alpha.example", ADA[0]):
        result = CliRunner().invoke(app, ["person", "erase", "--email", email, "--org", "red"])
        assert result.exit_code == 0, result.output

    after = _export(tmp_path, "after")
    left = [(table, needle) for table, data in after.items() for needle in ANN + ADA if needle.lower() in data]
    assert left == [], f"still in the export: {left}"
    assert _counts(db) == counts  # rows, and so every count and aggregate, stay
    assert "alpha corp" in after["accounts"] and "bob boss" in after["contacts"]  # nobody else was touched
    with db.session() as session:
        blue = get_org(session, "blue")
        kept = session.scalars(select(Contact).where(Contact.org_id == blue.id, Contact.external_id == "C1")).one()
        assert (kept.name, kept.email) == ANN[::-1]  # another organization's data is its own
        assert session.scalar(select(func.count()).select_from(ModelText)) == 0  # rebuilt from the redacted text


def test_an_address_too_short_to_search_for_redacts_nothing(db: Database, tmp_path: Path) -> None:
    from bot.erasure import erase_person

    load_two_orgs(db, tmp_path)
    with db.session() as session:
        report = erase_person(session, get_org(session, "red"), "a@b")
        notes = [n.body for n in session.scalars(select(Note).where(Note.org_id == get_org(session, "red").id))]
    assert report.texts == 0 and all(body and "[erased]" not in body for body in notes)


def test_every_spelling_of_the_persons_phone_number_is_erased(
    db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_two_orgs(db, tmp_path)
    with db.session() as session:
        red = get_org(session, "red")
        ann = session.scalars(select(Contact).where(Contact.org_id == red.id, Contact.external_id == "C1")).one()
        ann.phone = "+44 20 7946 0111"
        note = session.scalars(select(Note).where(Note.org_id == red.id)).one()
        note.body = "Ring 020 7946 0111 (mobile +442079460111, desk (020) 7946-0111); her deputy is +44 20 7946 0999"
        account = session.get_one(Account, ann.account_id)
        ada = session.scalars(select(Member).where(Member.org_id == red.id, Member.email == ADA[0])).one()
        start_handoff(session, account, ada, HandoffDraft(note="Champion reachable on 00 44 20 7946 0111"))
    result = CliRunner().invoke(app, ["person", "erase", "--email", ANN[0], "--org", "red"])
    assert result.exit_code == 0, result.output
    assert "Not reached: files Tandem already wrote outside its database (outbox JSON written with --out" in (
        result.output
    )
    with db.session() as session:
        red = get_org(session, "red")
        body = session.scalars(select(Note.body).where(Note.org_id == red.id)).one()
        handoff = session.scalars(select(Handoff.note).where(Handoff.org_id == red.id)).one()
    assert body == "Ring [erased] (mobile [erased], desk [erased]); her deputy is +44 20 7946 0999"
    assert handoff == "Champion reachable on [erased]"
