"""The shared read of one account (what `/account` answers), built from the demo book."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.account_view import build_account_answer
from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR
from bot.handoffs import HandoffDraft, start_handoff
from bot.models import Account, Member
from bot.orgs import ensure_org
from bot.pipeline import run_score, run_sync
from integrations.files import FileSource


def test_the_answer_carries_signals_stakeholders_usage_and_handoffs(db: Database) -> None:
    run_sync(db, "demo", FileSource(SAMPLE_DIR))
    run_score(db, "demo", SAMPLE_ANCHOR)
    with db.session() as session:
        org = ensure_org(session, "demo")
        globex = session.scalars(select(Account).where(Account.external_id == "ACC-023")).one()
        bruno = session.scalars(select(Member).where(Member.email.startswith("bruno"))).one()
        start_handoff(session, globex, bruno, HandoffDraft("risk", "Maria left: can you meet Li Wei?"))
        answer = build_account_answer(session, org.id, globex.id, SAMPLE_ANCHOR)
        other = ensure_org(session, "other")
        with pytest.raises(LookupError):
            build_account_answer(session, other.id, globex.id, SAMPLE_ANCHOR)
    assert answer.name == "Globex Health" and answer.arr == 140_000 and answer.days_to_renewal == 100
    assert answer.am == "Bruno Costa" and answer.csm == "David Okafor"
    assert [s.kind for s in answer.signals][:1] == ["stakeholder_left"]
    maria = next(s for s in answer.stakeholders if s.name == "Maria Gonzalez")
    assert maria.status == "left" and maria.is_key
    assert answer.stakeholders[0].is_key  # key stakeholders first
    assert answer.recent_tickets[0].subject.startswith("Automatic reply")
    assert [h.note for h in answer.handoffs] == ["Maria left: can you meet Li Wei?"]
    assert answer.seat_utilisation is not None and answer.health is not None
    assert answer.brief.startswith("Globex Health: health") and answer.signals[0].title in answer.brief
