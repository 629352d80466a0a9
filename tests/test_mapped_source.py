"""The `mapped` kind: someone else's CSV exports through a YAML mapping, with their quirks reported."""

from __future__ import annotations

import csv
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.models import Account, SourceState, SyncRun, Ticket, UsageDay
from bot.orgs import get_org
from bot.rescore import rescore
from bot.settings import Settings
from bot.sources import remember_source, stored_config, sync_source, validate_config
from integrations.base import SourceError
from integrations.mapping import MappedSource

# A copy of ../shared/datasets/ravenstack (synthetic, by River @ Rivalytics; see its SOURCE.md), so the test runs
# from any checkout.
RAVENSTACK = Path(__file__).resolve().parent / "fixtures" / "ravenstack"


def _add(db: Database, name: str, kind: str, **values: Any) -> None:
    remember_source(db, "default", name, stored_config(kind, validate_config(kind, values), None))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_ravenstack_imports_through_its_mapping_with_its_quirks_reported(db: Database) -> None:
    _add(db, "ravenstack", "mapped", mapping="ravenstack", path=RAVENSTACK)  # the bundled mapping, by name
    report = sync_source(db, "default", "ravenstack", Settings(database_url=db.url))

    assert report.created == {"accounts": 500, "tickets": 2000, "notes": 600, "usage": 24090}
    duplicates = [p for p in report.problems if "duplicate usage_id" in p]
    assert len(duplicates) == 21  # the 24,979 distinct ids of 25,000 rows: each later row is skipped
    assert (
        "ravenstack_feature_usage.csv:7576: duplicate usage_id 'U-25b56c' "
        "(first at ravenstack_feature_usage.csv:24)" in duplicates
    )
    assert not [p for p in report.problems if "kept" in p]  # warnings about kept rows are not skipped rows
    warnings = sorted(p.split(": ", 1) for p in report.warnings)
    assert sorted(reason.split(", kept")[0] for _where, reason in warnings) == [
        "submitted_at before accounts.signup_date in 1077 row(s)",
        "usage_date after subscriptions.end_date in 289 row(s)",
        "usage_date before subscriptions.start_date in 19128 row(s)",
    ]
    assert [where for where, _reason in warnings] == [
        "ravenstack_feature_usage.csv:2",
        "ravenstack_feature_usage.csv:59",
        "ravenstack_support_tickets.csv:2",
    ]  # each at its first row
    assert len(report.problems) == 21 and len(report.warnings) == 3  # 21 rows skipped, 3 warnings

    with db.session() as session:
        org = get_org(session, "default")
        account = session.scalars(select(Account).where(Account.external_id == "A-2e4581")).one()
        # ARR: the sum of the account's running, paying subscriptions (computed from the export directly)
        assert account.arr == Decimal("151236") and account.plan == "Basic" and account.seats_purchased == 9
        assert account.contract_start == date(2024, 10, 16) and account.source == "ravenstack"
        priorities = {p: n for p, n in session.execute(select(Ticket.priority, func.count()).group_by(Ticket.priority))}
        assert priorities == {"low": 485, "normal": 491, "high": 510, "urgent": 514}  # "medium" -> normal
        csat = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.csat.is_not(None)))
        assert csat == 1175  # "4.0" in the export is the integer 4
        assert session.scalar(select(func.sum(UsageDay.events))) == _usage_total_without_duplicates()
        run = session.scalars(select(SyncRun)).one()
        assert run.status == "partial" and len(run.problems) == 24
        state = session.scalars(select(SourceState)).one()
        assert state.last_success_at is not None and state.cursor is None  # full exports: no cursor
        scored = rescore(session, org, date(2025, 1, 1))
        assert scored.accounts == 500 and scored.active > 0

    again = sync_source(db, "default", "ravenstack", Settings(database_url=db.url))
    assert again.created == {} and again.updated == {}  # the same export twice changes nothing


def _usage_total_without_duplicates() -> int:
    """Every feature-usage row's count but the 21 later duplicates', read from the file itself."""
    total, seen = 0, set()
    with (RAVENSTACK / "ravenstack_feature_usage.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["usage_id"] not in seen:
                total += int(row["usage_count"])
            seen.add(row["usage_id"])
    return total


MAPPING = """
tables:
  customers: {file: customers.csv, key: id, dates: {since: "%d/%m/%Y"}}
  events: {file: "events_*.csv", dates: {day: "%d/%m/%Y"}}
  tickets: {file: tickets.csv, key: id}
entities:
  accounts:
    from: customers
    columns: {account_id: id, name: company, domain: website}
  usage:
    from: events
    join: [{table: customers, by: customer}]
    columns: {account_id: customer, date: day, events: clicks, active_users: users}
    group_by: [account_id, date]
    aggregate: {events: sum, active_users: max}
  tickets:
    from: tickets
    where: {kind: [incident, question]}
    columns: {ticket_id: id, account_id: customer, opened_at: opened, priority: prio}
    values: {priority: {P1: urgent, P2: high, P3: normal}}
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (tmp_path / "map.yml").write_text(MAPPING, encoding="utf-8")
    _write(
        tmp_path / "customers.csv",
        [
            {"id": "C1", "company": "One", "website": "https://www.one.example/", "since": "01/02/2024"},
            {"id": "C2", "company": "Two", "website": "two.example", "since": "31/02/2024"},  # no such day
            {"id": "C3", "company": "", "website": "", "since": ""},  # a nameless account
        ],
    )
    _write(
        tmp_path / "events_1.csv",
        [
            {"customer": "C1", "day": "03/02/2024", "clicks": "5", "users": "2"},
            {"customer": "C1", "day": "03/02/2024", "clicks": "7", "users": "3"},
            {"customer": "C1", "day": "2024-02-04", "clicks": "1", "users": "1"},  # another format
            {"customer": "C9", "day": "04/02/2024", "clicks": "1", "users": "1"},  # nobody's
        ],
    )
    _write(tmp_path / "events_2.csv", [{"customer": "C1", "day": "05/02/2024", "clicks": "lots", "users": "1"}])
    _write(
        tmp_path / "tickets.csv",
        [
            {"id": "T1", "customer": "C1", "opened": "2024-02-03T09:00:00", "prio": "p1", "kind": "incident"},
            {"id": "T2", "customer": "C1", "opened": "yesterday", "prio": "P2", "kind": "question"},
            {"id": "T3", "customer": "C1", "opened": "2024-02-04", "prio": "P3", "kind": "spam"},
            {"id": "T1", "customer": "C1", "opened": "2024-02-05", "prio": "P3", "kind": "incident"},
        ],
    )
    return tmp_path


def test_bad_rows_are_reported_at_their_line_and_the_rest_is_taken(export: Path) -> None:
    batch = MappedSource("export", export / "map.yml", export).load()
    assert [a.account_id for a in batch.accounts] == ["C1"]
    assert batch.accounts[0].domain == "https://www.one.example/"
    assert [(u.date, u.events, u.active_users) for u in batch.usage] == [(date(2024, 2, 3), 12, 3)]
    assert [(t.ticket_id, t.priority) for t in batch.tickets] == [("T1", "urgent")]  # T3 is filtered out
    assert sorted(str(p) for p in batch.problems) == sorted(
        [
            "customers.csv:3: since: '31/02/2024' is not a date (%d/%m/%Y)",
            "customers.csv:4: name: required value is missing",
            "events_1.csv:4: day: '2024-02-04' is not a date (%d/%m/%Y)",
            "events_1.csv:5: customer 'C9' is not in customers",
            "events_2.csv:2: 'lots' is not a number",
            "tickets.csv:3: opened_at: Input should be a valid datetime or date, input is too short (got 'yesterday')",
            "tickets.csv:5: duplicate id 'T1' (first at tickets.csv:2)",
        ]
    )
    assert batch.complete == {"accounts"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "name: company",
            "name: company_name",
            "mapping map.yml: entities.accounts.columns.name: no column 'company_name' in table 'customers' "
            "(has: company, id, since, website)",
        ),
        ("account_id: customer, date", "account_id: customerid, date", "no column 'customerid' in table 'events'"),
        ("events: clicks", "events: clicks, clicks_total: clicks", "usage has no column 'clicks_total'"),
        ("{file: customers.csv", "{file: customers_v2.csv", "customers_v2.csv: no such file"),
        ("by: customer", "by: cust", "entities.usage.join[0].by: no column 'cust' in table 'events'"),
        ("opened_at: opened, ", "", "entities.tickets: required column(s) not mapped: ['opened_at']"),
    ],
)
def test_a_mapping_that_does_not_fit_the_files_is_a_clear_source_error(
    export: Path, old: str, new: str, message: str
) -> None:
    (export / "map.yml").write_text((export / "map.yml").read_text().replace(old, new, 1))
    with pytest.raises(SourceError) as raised:
        MappedSource("export", export / "map.yml", export).load()
    assert message in str(raised.value)


def test_an_invalid_mapping_file_names_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "map.yml").write_text(
        textwrap.dedent("""
        tables: {t: {file: t.csv}}
        entities:
          tickets: {from: t, join: [{table: t, on: x}]}
        """)
    )
    with pytest.raises(SourceError, match=r"entities\.tickets\.join\.0\.by: Field required"):
        MappedSource("x", tmp_path / "map.yml", tmp_path).load()
    (tmp_path / "map.yml").write_text("entities: {widgets: {from: t}}\ntables: {}")
    with pytest.raises(SourceError, match=r"entities\.widgets"):
        MappedSource("x", tmp_path / "map.yml", tmp_path).load()


def test_records_of_another_source_match_accounts_by_id_or_domain_and_the_rest_is_reported(
    db: Database, export: Path, tmp_path: Path
) -> None:
    _add(db, "crm", "mapped", mapping=export / "map.yml", path=export)
    sync_source(db, "default", "crm", Settings(database_url=db.url))
    support = tmp_path / "support"
    support.mkdir()
    (support / "map.yml").write_text(
        textwrap.dedent("""
        tables: {tickets: {file: tickets.csv, key: id}}
        entities:
          tickets:
            from: tickets
            columns: {ticket_id: id, account_id: account, opened_at: opened}
        """)
    )
    _write(
        support / "tickets.csv",
        [
            {"id": "Z1", "account": "C1", "opened": "2024-03-01"},  # the CRM's id, given explicitly
            {"id": "Z2", "account": "domain:one.example", "opened": "2024-03-02"},
            {"id": "Z3", "account": "domain:nobody.example", "opened": "2024-03-03"},
            {"id": "Z4", "account": "C7", "opened": "2024-03-04"},
        ],
    )
    _add(db, "support", "mapped", mapping=support / "map.yml", path=support)
    report = sync_source(db, "default", "support", Settings(database_url=db.url))
    assert report.created == {"tickets": 2}
    assert report.problems == [
        "tickets Z3: no account has the domain 'nobody.example'",
        "tickets Z4: unknown account 'C7'",
    ]
    with db.session() as session:
        owners = {t: a for t, a in session.execute(select(Ticket.external_id, Account.external_id).join(Account))}
    assert owners["Z1"] == "C1" and owners["Z2"] == "C1"


def test_the_cli_adds_lists_syncs_and_removes_a_mapped_source(cli_env: dict[str, str], export: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app, ["sources", "add", "mapped", "crm", "--set", f"mapping={export / 'map.yml'}", "--set", f"path={export}"]
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["sources", "add", "mapped", "crm", "--set", "path=x"]).exit_code == 1
    invalid = runner.invoke(app, ["sources", "add", "mapped", "other", "--set", "path=x"])
    assert invalid.exit_code == 1 and "invalid mapped source settings: mapping: Field required" in invalid.output
    tested = runner.invoke(app, ["sources", "test", "crm"])
    assert tested.exit_code == 0 and "maps accounts, usage, tickets" in tested.output
    synced = runner.invoke(app, ["sync", "--source", "crm"])
    assert synced.exit_code == 0 and "created 1 accounts, 1 tickets, 1 usage" in synced.output
    assert "events_2.csv:2: 'lots' is not a number" in synced.output
    listed = runner.invoke(app, ["sources", "list"])
    assert "crm (mapped)" in listed.output and f"path: {export}" in listed.output
    (export / "crm2.yml").write_text(f"mapping: {export / 'map.yml'}\npath: {export}\n")
    from_file = runner.invoke(app, ["sources", "add", "mapped", "crm2", "--config", str(export / "crm2.yml")])
    assert from_file.exit_code == 0 and runner.invoke(app, ["sources", "test", "crm2"]).exit_code == 0
    assert runner.invoke(app, ["sources", "remove", "crm"]).exit_code == 0
    gone = runner.invoke(app, ["sync", "--source", "crm"])
    assert gone.exit_code == 1 and "unknown source 'crm'" in gone.output
