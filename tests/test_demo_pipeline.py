"""The whole pipeline on the demo book, through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR, generate
from bot.models import Alert, Base, Delivery
from bot.render.validate import validate_blocks, validate_card
from integrations.files import FileSource

EXPECTED = {
    "ACC-001": {"renewal_risk", "usage_drop", "support_escalation"},  # renewal in 45 days on falling usage
    "ACC-002": {"expansion"},  # 95% seat use and growing
    "ACC-005": {"support_escalation", "pair_desync"},  # escalation streak while the AM pitches an upsell
    "ACC-023": {"stakeholder_left", "single_threaded"},  # the champion left
    "ACC-024": {"billing_risk"},  # failed invoices
    "ACC-026": {"renewal_prep"},  # healthy renewal in 60 days
    "ACC-027": {"no_contact"},  # nobody talked to them for 80 days
}
DEMO = ["demo", "--data", str(SAMPLE_DIR), "--as-of", SAMPLE_ANCHOR.isoformat()]


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_the_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    fresh = generate(tmp_path / "book", SAMPLE_ANCHOR)
    for csv_file in sorted(SAMPLE_DIR.glob("*.csv")):
        assert (fresh / csv_file.name).read_bytes() == csv_file.read_bytes(), csv_file.name
    batch = FileSource(SAMPLE_DIR).load()
    assert batch.problems == [] and len(batch.accounts) == 40 and len(batch.team) == 4
    free_text = " ".join((t.body or "") for t in batch.tickets) + " ".join((n.body or "") for n in batch.notes)
    assert "@" in free_text and "+44 20 7946" in free_text  # emails and phones for the privacy gate to mask


def test_demo_prints_every_digest_with_the_planted_stories(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = run(*DEMO, "--out", str(tmp_path / "outbox"))
    for member in ("Alice Martin", "Bruno Costa", "Chloé Dubois", "David Okafor"):
        assert f"Digest for {member}" in out
    for story in (
        "Northwind Logistics",
        "Acme Robotics",
        "Umbrella Retail",
        "Globex Health",
        "Initech",
        "Soylent Foods",
        "Hooli Media",
    ):
        assert story in out
    assert "Maria Gonzalez" in out and "Database: " in out
    signals: dict[str, set[str]] = defaultdict(set)
    for row in json.loads(run("signals", "--json")):
        signals[row["account_id"]].add(row["kind"])
        assert row["reasons"] and row["severity"] in {"low", "medium", "high", "critical"}
    assert dict(signals) == EXPECTED  # every story fires, and nothing else does (noise and quiet accounts)
    accounts = {a["id"]: a for a in json.loads(run("accounts", "--json"))}
    assert len(accounts) == 40 and set(accounts["ACC-002"]) == {
        "id",
        "name",
        "arr",
        "renewal_date",
        "health",
        "signals",
    }
    assert accounts["ACC-001"]["health"] < 60 < accounts["ACC-030"]["health"]


def test_outbox_messages_follow_the_contract_and_validate(cli_env: dict[str, str], tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    run(*DEMO, "--out", str(outbox))
    messages = [json.loads(p.read_text()) for p in sorted(outbox.glob("*.json"))]
    kinds = sorted((m["kind"], m["platform"], m["recipient"].split("@")[0]) for m in messages)
    assert kinds == [
        ("alert", "slack", "bruno.costa"),
        ("alert", "teams", "david.okafor"),
        ("digest", "slack", "alice.martin"),
        ("digest", "slack", "bruno.costa"),
        ("digest", "teams", "chloe.dubois"),
        ("digest", "teams", "david.okafor"),
    ]
    for message in messages:
        assert message["text"]
        if message["platform"] == "slack":
            assert set(message) == {"platform", "recipient", "kind", "text", "blocks"}
            validate_blocks(message["blocks"])
        else:
            assert set(message) == {"platform", "recipient", "kind", "text", "card"}
            validate_card(message["card"])


def test_rerunning_the_demo_is_idempotent(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    run(*DEMO, "--out", str(outbox))
    before = row_counts(db)
    second = run(*DEMO, "--out", str(outbox))
    after = row_counts(db)
    assert "No new stakeholder alerts." in second
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert set(changed) == {"sync_runs"} and changed["sync_runs"] == (1, 2)  # only the run log grows
    assert len(list(outbox.glob("*.json"))) == 6
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        assert session.scalar(select(func.count()).select_from(Delivery)) == 6


def test_demo_without_data_generates_todays_book(cli_env: dict[str, str]) -> None:
    out = run("demo")
    assert "Demo book for" in out and "Digest for Alice Martin" in out and "Globex Health" in out


def test_a_broken_directory_is_refused_without_changes(cli_env: dict[str, str], tmp_path: Path) -> None:
    run(*DEMO)
    (tmp_path / "broken").mkdir()
    result = CliRunner().invoke(app, ["sync", "--path", str(tmp_path / "broken")])
    assert result.exit_code == 1 and "accounts.csv: required file is missing" in result.output
    assert "Nothing was changed" in result.output
    assert len(json.loads(run("accounts", "--json"))) == 40


@pytest.mark.parametrize("command", [["score"], ["digest"], ["accounts", "--json"]])
def test_commands_on_an_empty_database_say_what_to_do(cli_env: dict[str, str], command: list[str]) -> None:
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1 and "tandem demo" in result.output
