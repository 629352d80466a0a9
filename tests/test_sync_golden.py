"""The bulk, streaming sync stores exactly what the row-by-row sync it replaced stored.

tests/fixtures/golden_sync/demo_book.json was captured from the row-by-row implementation
(`python -m tests.golden_sync`) before the rewrite: the demo book, a changed re-sync of it (updates, new
rows, refused rows, a vanished, a departed and a returning contact) and the same again.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.alerts import raise_new_alerts
from bot.db import Database
from bot.models import utcnow
from bot.orgs import get_org
from bot.pipeline import run_score
from tests.golden_sync import FIXTURE, ORG, digest, run_scenario


def test_stored_rows_match_the_golden_capture(db: Database, tmp_path: Path) -> None:
    expected = json.loads(FIXTURE.read_text())
    dumps = run_scenario(db, tmp_path)
    for step, (dump, want) in enumerate(zip(dumps, expected, strict=True), 1):
        assert dump["sync_runs"] == want["sync_runs"], f"sync runs after step {step}"
        assert dump["change_events"] == want["change_events"], f"change events after step {step}"
        assert digest(dump) == want["tables"], f"stored rows after step {step}"


def test_the_vanished_key_contact_alerts_once(db: Database, tmp_path: Path) -> None:
    day = utcnow().date()  # a vanished contact left "now", as the sync saw it
    raised: list[str] = []
    syncs = iter(range(3))

    def after_each_sync() -> None:
        next(syncs)
        run_score(db, ORG, day)
        with db.session() as session:
            raised.extend(a.subject_key for a, _view in raise_new_alerts(session, get_org(session, ORG), day))

    run_scenario(db, tmp_path, after_each_sync)
    assert raised.count("contact:CON-0001") == 1  # vanished in the changed re-sync, not again after
    assert raised.count("contact:CON-0002") == 1  # marked left in the changed re-sync
    assert len(raised) == len(set(raised))
