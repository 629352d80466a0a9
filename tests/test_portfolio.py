"""ARR history and the portfolio's indicators, on a book whose history is known.

The book's contracts file and its current accounts give each account's ARR over the last two years; the
expected renewal rate, GRR and NRR are worked out by hand below from those changes.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.delivery.routing import outbox_channels
from bot.models import ArrChange
from bot.orgs import get_org
from bot.outcomes import year_before
from bot.pipeline import run_digests, run_sync
from bot.portfolio import organization_portfolio
from bot.render.validate import validate_blocks, validate_card
from integrations.files import FileSource
from tests.csvbook import TEAM, write_book

T = datetime.now(UTC).date()  # the sync dates what it sees today


def ago(days: int) -> str:
    return (T - timedelta(days=days)).isoformat()


def account(ident: str, arr: str, renewal: str, am: str, csm: str = "") -> dict[str, str]:
    return {
        "account_id": ident,
        "name": f"Account {ident}",
        "am_email": am,
        "csm_email": csm,
        "arr": arr,
        "currency": "USD",
        "renewal_date": renewal,
    }


AM, AM2, CSM = "am@us.example", "am2@us.example", "csm@us.example"
ACCOUNTS = [
    account("A1", "120000", ago(-230), AM, CSM),
    account("A2", "0", "", AM, CSM),
    account("A3", "30000", ago(-165), AM2),
    account("A4", "45000", ago(-30), AM2),
    account("A5", "20000", ago(10), AM2),
]
CONTRACTS = [
    # A1: 100k, renewed 135 days ago at 120k (20k expansion at renewal).
    {
        "contract_id": "K1",
        "account_id": "A1",
        "start_date": ago(500),
        "end_date": ago(135),
        "arr": "100000",
        "kind": "new",
    },
    {
        "contract_id": "K2",
        "account_id": "A1",
        "start_date": ago(135),
        "end_date": ago(-230),
        "arr": "120000",
        "kind": "renewal",
    },
    # A2: 60k, churned at its renewal 35 days ago.
    {
        "contract_id": "K3",
        "account_id": "A2",
        "start_date": ago(400),
        "end_date": ago(35),
        "arr": "60000",
        "kind": "new",
    },
    {"contract_id": "K4", "account_id": "A2", "start_date": ago(35), "arr": "60000", "kind": "churn"},
    # A3: a new customer of the period (not in the retention cohort).
    {
        "contract_id": "K5",
        "account_id": "A3",
        "start_date": ago(200),
        "end_date": ago(-165),
        "arr": "30000",
        "kind": "new",
    },
    # A4: 50k, renewed 335 days ago at 40k (contraction), expanded to 45k 100 days ago.
    {
        "contract_id": "K6",
        "account_id": "A4",
        "start_date": ago(700),
        "end_date": ago(335),
        "arr": "50000",
        "kind": "new",
    },
    {
        "contract_id": "K7",
        "account_id": "A4",
        "start_date": ago(335),
        "end_date": ago(-30),
        "arr": "40000",
        "kind": "renewal",
    },
    {
        "contract_id": "K8",
        "account_id": "A4",
        "start_date": ago(100),
        "end_date": ago(-30),
        "arr": "45000",
        "kind": "expansion",
    },
    # A5: due 10 days ago, nothing says whether it renewed (pending: left out of the rate).
    {
        "contract_id": "K9",
        "account_id": "A5",
        "start_date": ago(300),
        "end_date": ago(10),
        "arr": "20000",
        "kind": "new",
    },
]
TEAM_OF_THREE = [*TEAM, {"email": AM2, "name": "Al Two", "role": "am"}]


def book(tmp_path: Path, **files: list[dict[str, Any]]) -> Path:
    return write_book(tmp_path / "book", accounts=ACCOUNTS, contacts=[], team=TEAM_OF_THREE, **files)


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_indicators_of_a_book_with_known_history(db: Database, cli_env: dict[str, str], tmp_path: Path) -> None:
    run_sync(db, "default", FileSource(book(tmp_path, contracts=CONTRACTS)))
    report = json.loads(cli("portfolio", "--json"))
    org = report["organization"]
    # Cohort with ARR a year ago: A1 100k, A2 60k, A4 50k = 210k. Over the year: expansion A1 +20k, A4 +5k;
    # contraction A4 -10k; churn A2 60k. A3 and A5 started within the year.
    assert org["grr"]["figures"] == {
        "starting_arr": 210000.0,
        "expansion": 25000.0,
        "contraction": 10000.0,
        "churn": 60000.0,
        "accounts": 3.0,
    }
    assert org["grr"]["value"] == round((210000 - 10000 - 60000) / 210000, 4)
    assert org["nrr"]["value"] == round((210000 + 25000 - 10000 - 60000) / 210000, 4)
    # Renewals due in the year: A1 100k renewed (counted at what was due), A2 60k lost, A4 50k renewed at
    # 40k, A5 20k with no outcome yet (left out, and said so).
    rate = org["renewal_rate"]
    assert rate["value"] == round((100000 + 40000) / (100000 + 60000 + 50000), 4)
    assert rate["figures"]["arr_pending"] == 20000.0 and rate["figures"]["renewals_due"] == 4.0
    assert "not yet recorded" in rate["basis"]
    for name in ("renewal_rate", "grr", "nrr"):
        assert org[name]["period_start"] == year_before(T).isoformat() and org[name]["period_end"] == T.isoformat()
        assert org[name]["partial"] is False
    for name in ("value_at_risk", "expansion_pipeline", "coverage"):
        assert org[name]["period_end"] == T.isoformat() and org[name]["basis"]
    assert org["coverage"]["period_start"] == (T - timedelta(days=30)).isoformat()
    # The first AM's book is A1 and A2: 160k at the start, +20k, -60k; 100k renewed of 160k due.
    mine = json.loads(cli("portfolio", "--json", "--member", AM))
    assert [m["label"] for m in mine["members"]] == [AM] and [t["label"] for t in mine["teams"]] == ["AM team"]
    member = mine["members"][0]
    assert member["grr"]["value"] == round(100000 / 160000, 4)
    assert member["nrr"]["value"] == round(120000 / 160000, 4)
    assert member["renewal_rate"]["value"] == round(100000 / 160000, 4)
    csm_team = next(t for t in report["teams"] if t["label"] == "CSM team")
    assert csm_team["accounts"] == 2 and csm_team["nrr"]["value"] == member["nrr"]["value"]
    text = cli("portfolio", "--member", AM)
    assert "Net revenue retention: 75%" in text and "Renewal rate: 62%" in text


def test_history_kept_by_syncs_first_sight_and_changes_only(db: Database, tmp_path: Path) -> None:
    path = book(tmp_path)
    run_sync(db, "acme", FileSource(path))
    run_sync(db, "acme", FileSource(path))  # nothing changed: nothing written
    with db.session() as session:
        rows = list(session.scalars(select(ArrChange).order_by(ArrChange.id)))
        assert [r.kind for r in rows] == ["first_seen"] * 5 and {r.effective_on for r in rows} == {T}
        p = organization_portfolio(session, get_org(session, "acme"), T)
    # One day of history: nothing to compare, and it says so rather than showing 100%.
    assert p.nrr.value is None and p.renewal_rate.value is None
    assert f"ARR history begins {T.isoformat()}" in p.nrr.basis and p.history_since == T
    changed = [dict(a, arr="130000") if a["account_id"] == "A1" else a for a in ACCOUNTS]
    run_sync(db, "acme", FileSource(write_book(tmp_path / "book", accounts=changed)))
    with db.session() as session:
        rows = list(session.scalars(select(ArrChange).where(ArrChange.kind == "change")))
        assert [(float(r.arr or 0), r.effective_on) for r in rows] == [(130000.0, T)]


def test_history_shorter_than_the_year_is_shown_as_such(db: Database, tmp_path: Path) -> None:
    contracts = [
        {"account_id": "A1", "start_date": ago(100), "end_date": ago(-230), "arr": "100000", "kind": "new"},
        {"account_id": "A1", "start_date": ago(50), "end_date": ago(-230), "arr": "120000", "kind": "expansion"},
    ]
    run_sync(db, "acme", FileSource(book(tmp_path, contracts=contracts)))
    with db.session() as session:
        p = organization_portfolio(session, get_org(session, "acme"), T)
    assert p.nrr.partial and p.nrr.period_start == date.fromisoformat(ago(100))
    assert p.nrr.value == 1.2 and p.grr.value == 1.0  # A1 alone had ARR at the history's start
    assert "shorter than 12 months" in p.nrr.basis
    # Read again, the same contract terms add nothing (stored once by their key).
    run_sync(db, "acme", FileSource(book(tmp_path, contracts=contracts)))
    with db.session() as session:
        assert len(list(session.scalars(select(ArrChange).where(ArrChange.origin == "contracts")))) == 2


def test_monday_digest_opens_with_the_portfolio_and_other_days_do_not(db: Database, tmp_path: Path) -> None:
    run_sync(db, "acme", FileSource(book(tmp_path, contracts=CONTRACTS)))
    monday = T + timedelta(days=7 - T.weekday())
    out = {day: tmp_path / f"out-{day.isoformat()}" for day in (monday, monday + timedelta(days=1))}
    for day, directory in out.items():
        run_digests(db, "acme", day, outbox_channels(directory))
    for day, directory in out.items():
        sent = {json.loads(p.read_text())["recipient"]: json.loads(p.read_text()) for p in directory.glob("*.json")}
        slack, teams = sent[AM], sent[CSM]
        validate_blocks(slack["blocks"])
        validate_card(teams["card"])
        weekly = "Your portfolio this week" in json.dumps(slack) and "Net revenue retention" in json.dumps(teams)
        assert weekly == (day == monday)
    monday_blocks = json.loads(next(out[monday].glob(f"*{AM}*slack.json")).read_text())["blocks"]
    top = json.dumps(monday_blocks[1])  # right under the header, above the day's figures
    assert "Your portfolio this week" in top and "75%" in top  # the AM's NRR, worked out above


def test_a_bad_contract_row_is_reported_and_the_rest_imports(db: Database, tmp_path: Path) -> None:
    contracts = [
        {"account_id": "A1", "start_date": ago(100), "arr": "100000", "kind": "new"},
        {"account_id": "A1", "start_date": ago(50), "arr": "lots", "kind": "expansion"},
        {"account_id": "A1", "start_date": ago(40), "arr": "1", "kind": "upsell"},
        {"account_id": "NOPE", "start_date": ago(30), "arr": "1", "kind": "new"},
    ]
    report = run_sync(db, "acme", FileSource(book(tmp_path, contracts=contracts)))
    assert [p.split(": ", 1)[0] for p in report.problems] == ["contracts.csv:3", "contracts.csv:4", "contracts.csv:5"]
    assert "arr" in report.problems[0] and "kind" in report.problems[1] and "unknown account_id" in report.problems[2]
    with db.session() as session:
        kept = list(session.scalars(select(ArrChange).where(ArrChange.origin == "contracts")))
        assert [(r.kind, float(r.arr or 0)) for r in kept] == [("new", 100000.0)]
