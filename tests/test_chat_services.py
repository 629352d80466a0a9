"""Platform-neutral chat services: lookup, handoffs, digest buttons and the membership check."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.handoffs import HandoffDraft, HandoffError, acknowledge, add_reply, mark_done, start_handoff
from bot.ingest import Ingestor
from bot.item_actions import mark_handled, record_feedback, snooze
from bot.lookup import find_account
from bot.membership import NotAMember, link_workspace, resolve_actor
from bot.models import Account, Feedback, Member, Organization, Signal
from bot.orgs import ensure_org
from integrations.files import FileSource
from tests.csvbook import ACCOUNTS, TEAM, write_book

MORE_ACCOUNTS = [
    *ACCOUNTS,
    {
        "account_id": "A3",
        "name": "Acme Robotics",
        "domain": "acme-robotics.example",
        "am_email": "am@us.example",
    },
    {"account_id": "A4", "name": "Acme Logistics", "domain": "acmelog.example", "am_email": "am@us.example"},
    {"account_id": "A5", "name": "Northwind Traders", "domain": "northwind.example"},
]


@pytest.fixture
def org_id(db: Database, tmp_path: Path) -> int:
    batch = FileSource(write_book(tmp_path, accounts=MORE_ACCOUNTS)).load()
    with db.session() as session:
        org = ensure_org(session, "acme")
        Ingestor(session, org.id, "files").ingest(batch)
        return org.id


def lookup(db: Database, org_id: int, query: str) -> tuple[str, list[str]]:
    with db.session() as session:
        result = find_account(session, org_id, query)
        names = [result.match.name] if result.match else [c.name for c in result.choices]
        return result.status, names


def test_lookup_exact_fuzzy_ambiguous_unknown_and_empty(db: Database, org_id: int) -> None:
    assert lookup(db, org_id, "alpha corp") == ("found", ["Alpha Corp"])
    assert lookup(db, org_id, "northwind.example") == ("found", ["Northwind Traders"])
    assert lookup(db, org_id, "A2") == ("found", ["Beta GmbH"])
    assert lookup(db, org_id, "Northwnd") == ("found", ["Northwind Traders"])
    status, names = lookup(db, org_id, "acme")
    assert status == "ambiguous" and set(names) == {"Acme Robotics", "Acme Logistics"}
    assert lookup(db, org_id, "zyxwvut") == ("none", [])
    assert lookup(db, org_id, "   ") == ("empty", [])
    assert lookup(db, org_id, "x" * 100_000)[0] == "none"  # hostile input is cut, not choked on


def test_lookup_never_crosses_organizations(db: Database, org_id: int) -> None:
    with db.session() as session:
        other = ensure_org(session, "other")
        other_id = other.id
    assert lookup(db, other_id, "Alpha Corp") == ("none", [])


def _members(db: Database, org_id: int) -> tuple[Member, Member, Account]:
    with db.session() as session:
        am = session.scalars(select(Member).where(Member.org_id == org_id, Member.role == "am")).one()
        csm = session.scalars(select(Member).where(Member.org_id == org_id, Member.role == "csm")).one()
        account = session.scalars(select(Account).where(Account.external_id == "A1")).one()
        return am, csm, account


def test_a_handoff_goes_to_the_counterpart_once_and_closes(db: Database, org_id: int) -> None:
    am, csm, account = _members(db, org_id)
    with db.session() as session:
        handoff, created = start_handoff(session, account, am, HandoffDraft("risk", "Champion quiet"), "view-1")
        again, created_again = start_handoff(session, account, am, HandoffDraft("risk", "Champion quiet"), "view-1")
        assert created and not created_again and again.id == handoff.id
        assert handoff.to_member_id == csm.id and handoff.status == "open"
        _, first = add_reply(session, handoff, csm, "teams", "On it", "act-1")
        _, duplicate = add_reply(session, handoff, csm, "teams", "On it", "act-1")
        assert first and not duplicate
        with pytest.raises(HandoffError, match="only the receiver"):
            acknowledge(session, handoff, am)
        acknowledge(session, handoff, csm)
        assert handoff.status == "acknowledged"
        mark_done(session, handoff, am)
        assert handoff.status == "done"


def test_a_handoff_needs_an_owner_a_note_and_a_known_topic(db: Database, org_id: int) -> None:
    am, _csm, _ = _members(db, org_id)
    with db.session() as session:
        unowned = session.scalars(select(Account).where(Account.external_id == "A5")).one()
        with pytest.raises(HandoffError, match="neither the AM nor the CSM"):
            start_handoff(session, unowned, am, HandoffDraft("risk", "x"))
        no_csm = session.scalars(select(Account).where(Account.external_id == "A3")).one()
        with pytest.raises(HandoffError, match="has no CSM on file"):
            start_handoff(session, no_csm, am, HandoffDraft("risk", "x"))
        a1 = session.scalars(select(Account).where(Account.external_id == "A1")).one()
        with pytest.raises(HandoffError, match="needs a note"):
            start_handoff(session, a1, am, HandoffDraft("risk", "   "))
        with pytest.raises(HandoffError, match="topic must be"):
            start_handoff(session, a1, am, HandoffDraft("gossip", "x"))


def test_digest_buttons_only_touch_the_members_own_accounts(db: Database, org_id: int) -> None:
    am, _csm, account = _members(db, org_id)
    with db.session() as session:
        unowned = session.scalars(select(Account).where(Account.external_id == "A5")).one()
        mine = Signal(org_id=org_id, account_id=account.id, kind="usage_drop", severity=2, title="t")
        theirs = Signal(org_id=org_id, account_id=unowned.id, kind="usage_drop", severity=2, title="t")
        session.add_all([mine, theirs])
        session.flush()
        ids = [mine.id, theirs.id]
    with db.session() as session:
        member = session.get_one(Member, am.id)
        assert snooze(session, member, ids) == 1
        assert mark_handled(session, member, ids) == 1
        assert record_feedback(session, member, ids, useful=False) == 1
    with db.session() as session:
        assert session.get_one(Signal, ids[0]).snoozed_until is not None
        assert session.get_one(Signal, ids[1]).snoozed_until is None
        assert [f.useful for f in session.scalars(select(Feedback))] == [False]


def test_only_active_members_of_the_linked_workspace_get_through(db: Database, org_id: int) -> None:
    with db.session() as session:
        org = session.get_one(Organization, org_id)
        link_workspace(session, org, "slack", "T-ACME")
        actor = resolve_actor(session, "slack", "T-ACME", TEAM[0]["slack_user_id"])
        assert actor.member.email == "am@us.example"
        with pytest.raises(NotAMember, match="not linked"):
            resolve_actor(session, "slack", "T-EVIL", TEAM[0]["slack_user_id"])
        with pytest.raises(NotAMember, match="not an active member"):
            resolve_actor(session, "slack", "T-ACME", "U-STRANGER")
        actor.member.active = False
        session.flush()
        with pytest.raises(NotAMember):
            resolve_actor(session, "slack", "T-ACME", TEAM[0]["slack_user_id"])
        other = ensure_org(session, "other")
        with pytest.raises(ValueError, match="already linked"):
            link_workspace(session, other, "slack", "T-ACME")


def test_the_handoff_draft_asks_the_pair_for_their_next_step_before_a_close_renewal() -> None:
    from bot.handoff_draft import prefill
    from bot.views import AccountAnswer, SignalLine

    today = date(2026, 11, 23)
    risk = SignalLine(
        kind="renewal_risk",
        severity=4,
        title="Renewal at risk",
        reasons=["usage down 40%"],
        next_steps={"am": "Call the sponsor", "csm": "Run a health check"},
    )

    def answer(days: int | None) -> AccountAnswer:
        renewal = today + timedelta(days=days) if days is not None else None
        return AccountAnswer.model_construct(
            account_id=1, external_id="A1", name="Acme", signals=[risk], renewal_date=renewal, days_to_renewal=days
        )

    draft = prefill(answer(40), "am", today)
    assert (draft.topic, draft.next_step, draft.due_date) == ("risk", "Run a health check", today + timedelta(days=26))
    assert prefill(answer(40), "csm", today).next_step == "Call the sponsor"
    assert prefill(answer(3), "am", today).due_date == today + timedelta(days=2)  # half the time left
    assert prefill(answer(200), "am", today).due_date is None and prefill(answer(None), "am", today).due_date is None


def test_feedback_is_reported_per_kind_noisiest_first(db: Database, org_id: int) -> None:
    from bot.reports import feedback_rows

    am, csm, account = _members(db, org_id)
    with db.session() as session:
        signals = {
            kind: Signal(org_id=org_id, account_id=account.id, kind=kind, severity=2, title=kind)
            for kind in ("usage_drop", "expansion")
        }
        session.add_all(signals.values())
        session.flush()
        ids = {kind: [s.id] for kind, s in signals.items()}
        for member in (session.get_one(Member, am.id), session.get_one(Member, csm.id)):
            record_feedback(session, member, ids["usage_drop"], useful=False)
            record_feedback(session, member, ids["expansion"], useful=member.id == am.id)
    with db.session() as session:
        rows = feedback_rows(session, org_id)
    assert [(r["kind"], r["ratings"], r["useful"], r["not_useful_share"]) for r in rows] == [
        ("usage_drop", 2, 0, 1.0),
        ("expansion", 2, 1, 0.5),
    ]
