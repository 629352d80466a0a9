"""The digest: most valuable first, within the attention budget, what changed since last time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.digest import build_digest, save_digest
from bot.ingest import Ingestor
from bot.models import Account, Handoff, Member, Note, Organization, Signal
from bot.orgs import ensure_org
from bot.views import Digest
from integrations.files import FileSource
from tests.csvbook import write_book

DAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 7, tzinfo=UTC)


def _accounts(n: int) -> list[dict[str, str]]:
    return [
        {
            "account_id": f"A{i}",
            "name": f"Account {i:02d}",
            "am_email": "am@us.example",
            "csm_email": "csm@us.example",
            "arr": str(10_000 * (i + 1)),
            "renewal_date": (DAY + timedelta(days=30 * i + 10)).isoformat(),
        }
        for i in range(n)
    ]


@pytest.fixture
def book(db: Database, tmp_path: Path) -> int:
    batch = FileSource(write_book(tmp_path, accounts=_accounts(9), contacts=[])).load()
    with db.session() as session:
        org = ensure_org(session, "acme")
        Ingestor(session, org.id, "files").ingest(batch)
        return org.id


def add_signal(db: Database, org_id: int, ext: str, kind: str, severity: int, **extra: object) -> int:
    with db.session() as session:
        account = session.scalars(select(Account).where(Account.external_id == ext)).one()
        signal = Signal(
            org_id=org_id,
            account_id=account.id,
            kind=kind,
            severity=severity,
            title=f"{kind} on {account.name}",
            reasons=[f"because {kind}"],
            next_steps={"am": f"AM: act on {kind}", "csm": f"CSM: act on {kind}"},
            **extra,
        )
        session.add(signal)
        session.flush()
        return signal.id


def digest_for(db: Database, org_id: int, role: str, day: date = DAY, save: bool = False) -> Digest:
    with db.session() as session:
        org = session.get_one(Organization, org_id)
        member = session.scalars(select(Member).where(Member.role == role)).one()
        digest, seen = build_digest(session, org, member, day, now=NOW)
        if save:
            save_digest(session, org, member, digest, seen)
        return digest


def test_items_are_ranked_merged_and_framed_for_each_role(db: Database, book: int) -> None:
    add_signal(db, book, "A1", "usage_drop", 2)
    add_signal(db, book, "A1", "renewal_risk", 3, value_at_stake=Decimal(20000))
    add_signal(db, book, "A8", "expansion", 2, value_at_stake=Decimal(30000))
    add_signal(db, book, "A3", "billing_risk", 3, value_at_stake=Decimal(1000))
    am = digest_for(db, book, "am")
    assert [i.account_external_id for i in am.items] == ["A1", "A3", "A8"]
    top = am.items[0]
    assert top.kinds == ["renewal_risk", "usage_drop"]  # two signals, one item
    assert top.headline == "renewal_risk on Account 01" and "Also: usage_drop on Account 01" in top.reasons
    assert top.next_step == "AM: act on renewal_risk" and top.change == "new"
    csm = digest_for(db, book, "csm")
    assert csm.items[0].next_step == "CSM: act on renewal_risk"
    assert [i.headline for i in csm.items] == [i.headline for i in am.items]  # same facts, both roles
    assert am.figures.accounts == 9 and am.figures.arr_at_risk == 20000.0
    assert am.figures.expansion_pipeline == 30000.0
    assert am.figures.renewals_90d == 3  # renewals in 10, 40 and 70 days


def test_the_budget_holds_except_for_critical_items(db: Database, book: int) -> None:
    for i in range(8):
        add_signal(db, book, f"A{i}", "usage_drop", 2)
    add_signal(db, book, "A0", "stakeholder_left", 4, key="C1")
    add_signal(db, book, "A8", "stakeholder_left", 4, key="C2")
    with db.session() as session:
        session.execute(update(Member).values(digest_budget=1))
    digest = digest_for(db, book, "am")
    assert [i.severity for i in digest.items] == [4, 4]  # both critical, over a budget of one
    assert digest.more_count == 7


def test_change_since_the_last_digest(db: Database, book: int) -> None:
    drop = add_signal(db, book, "A1", "usage_drop", 2)
    add_signal(db, book, "A2", "billing_risk", 2)
    first = digest_for(db, book, "am", save=True)
    assert {i.change for i in first.items} == {"new"}
    assert digest_for(db, book, "am", save=True).items == first.items  # same day again: same digest
    with db.session() as session:
        session.get_one(Signal, drop).severity = 3
    add_signal(db, book, "A5", "expansion", 2)
    nxt = digest_for(db, book, "am", day=DAY + timedelta(days=1))
    changes = {i.account_external_id: i.change for i in nxt.items}
    assert changes == {"A1": "worse", "A2": "ongoing", "A5": "new"}
    assert [i.account_external_id for i in nxt.items][-1] == "A2"  # ongoing after new and worse


def test_snoozed_and_done_items_stay_quiet_until_they_worsen(db: Database, book: int) -> None:
    snoozed = add_signal(db, book, "A1", "usage_drop", 2, snoozed_until=NOW + timedelta(days=3), announced_severity=2)
    add_signal(db, book, "A2", "billing_risk", 2, handled_at=NOW, announced_severity=2)
    assert digest_for(db, book, "am").items == []
    with db.session() as session:
        session.get_one(Signal, snoozed).severity = 3
    assert [i.account_external_id for i in digest_for(db, book, "am").items] == ["A1"]


def test_handoffs_waiting_and_coverage_are_in_the_header(db: Database, book: int) -> None:
    with db.session() as session:
        am = session.scalars(select(Member).where(Member.role == "am")).one()
        csm = session.scalars(select(Member).where(Member.role == "csm")).one()
        account = session.scalars(select(Account).where(Account.external_id == "A4")).one()
        session.add(
            Handoff(
                org_id=book,
                account_id=account.id,
                from_member_id=csm.id,
                to_member_id=am.id,
                topic="risk",
                note="Their CFO wants to talk price",
            )
        )
        session.add(Note(org_id=book, account_id=account.id, external_id="N1", created_at=NOW - timedelta(days=3)))
    digest = digest_for(db, book, "am")
    assert [(h.account_name, h.note) for h in digest.handoffs] == [("Account 04", "Their CFO wants to talk price")]
    sender = digest_for(db, book, "csm")
    assert sender.handoffs == []  # nothing waits on the sender...
    assert [(h.account_name, h.to_name) for h in sender.handoffs_sent] == [("Account 04", am.name)]  # ...until done
    with db.session() as session:
        session.execute(update(Handoff).values(status="done"))
    assert digest_for(db, book, "csm").handoffs_sent == digest_for(db, book, "am").handoffs == []
    assert digest.figures.coverage_30d == round(1 / 9, 3)
    assert digest.opening.startswith("Good morning Ada: nothing in your book needs you today")


def test_only_a_departure_or_a_renewal_at_risk_within_30_days_breaks_the_budget(db: Database, book: int) -> None:
    add_signal(db, book, "A3", "usage_drop", 2)
    add_signal(db, book, "A4", "support_escalation", 4)  # critical, and still it waits its turn
    add_signal(db, book, "A5", "stakeholder_left", 3, key="C1")  # high, but a key contact is gone
    add_signal(db, book, "A0", "renewal_risk", 3)  # renews in 10 days
    add_signal(db, book, "A2", "renewal_risk", 4)  # renews in 70 days
    with db.session() as session:
        session.execute(update(Member).values(digest_budget=0))
    digest = digest_for(db, book, "am")
    assert sorted(i.account_external_id for i in digest.items) == ["A0", "A5"]
    assert digest.more_count == 3
    assert digest.more_accounts == ["Account 04", "Account 02", "Account 03"]  # named, most pressing first


def _shown(digest: Digest) -> set[int]:
    return {signal_id for item in digest.items for signal_id in item.signal_ids}


def test_a_signal_that_ended_and_came_back_is_not_silenced_by_an_old_done(
    db: Database, book: int, tmp_path: Path
) -> None:
    from bot.item_actions import mark_handled
    from bot.rescore import rescore

    invoices = [  # overdue on DAY and paid two days later; then a new invoice goes unpaid
        {"invoice_id": "I1", "account_id": "A1", "issued_at": "2026-10-01", "due_at": "2026-11-17",
         "paid_at": "2026-11-24", "amount": "5000", "status": "paid"},
        {"invoice_id": "I2", "account_id": "A1", "issued_at": "2026-11-25", "due_at": "2026-11-27",
         "amount": "5000", "status": "open"},
    ]  # fmt: skip
    batch = FileSource(write_book(tmp_path / "billing", accounts=_accounts(9), contacts=[], invoices=invoices)).load()
    with db.session() as session:
        org = session.get_one(Organization, book)
        Ingestor(session, book, "files").ingest(batch)
        rescore(session, org, DAY)
        risk = session.scalars(select(Signal).where(Signal.kind == "billing_risk")).one()
        am = session.scalars(select(Member).where(Member.role == "am")).one()
        am.digest_budget = 20  # every item in view: only quiet ones are missing
        assert mark_handled(session, am, [risk.id]) == 1
    assert risk.id not in _shown(digest_for(db, book, "am"))  # Done: quiet
    with db.session() as session:
        org = session.get_one(Organization, book)
        assert risk.id in rescore(session, org, DAY + timedelta(days=3)).resolved  # paid
        assert risk.id in rescore(session, org, DAY + timedelta(days=10)).new  # a new invoice is overdue
    assert risk.id in _shown(digest_for(db, book, "am", day=DAY + timedelta(days=10)))  # a new window: shown


def test_arr_at_risk_counts_every_account_with_a_critical_item(db: Database, book: int) -> None:
    """A champion gone on an account is ARR at risk, even with no renewal_risk signal on it."""
    add_signal(db, book, "A2", "stakeholder_left", 4, key="C9")
    add_signal(db, book, "A1", "renewal_risk", 3)
    add_signal(db, book, "A3", "usage_drop", 2)  # not critical, no renewal risk: not counted
    with db.session() as session:
        arr = {a.external_id: float(a.arr or 0) for a in session.scalars(select(Account))}
    figures = digest_for(db, book, "am").figures
    assert figures.arr_at_risk == arr["A1"] + arr["A2"] and figures.accounts_at_risk == 2
