"""HubSpot connector against recorded API responses, served over loopback HTTP to the real client library.

hubspot-api-client talks urllib3 directly (not requests), so a small local server stands in for
api.hubapi.com; its retries (429, 5xx) are then urllib3's own, exercised for real.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.ingest import Ingestor
from bot.models import Account, Contact, Member, Signal
from bot.orgs import ensure_org, get_org
from bot.rescore import rescore
from integrations import hubspot
from integrations.base import SourceBatch, SourceError
from tests.fakes.loopback import LoopbackServer, QuietHandler

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
CURSOR = {"since": "2026-11-01T00:00:00+00:00"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeHubSpot:
    """Answers each request from the fixture its route names; `fail` queues error answers first."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
        self.fail: list[tuple[str, int, dict[str, str]]] = []  # (path prefix, status, headers)

    def route(self, method: str, path: str, query: dict[str, Any], body: dict[str, Any]) -> str:
        after = query.get("after", [None])[0]
        archived = query.get("archived", ["false"])[0].lower() == "true"  # the client sends True/False
        if path == "/crm/v3/owners/":
            return "owners"
        if path == "/crm/v3/objects/companies":
            return "companies_page2" if after else "companies_page1"
        if path == "/crm/v3/objects/contacts":
            if archived:
                return "contacts_archived_since" if self.incremental else "contacts_archived"
            return "contacts_page2" if after else "contacts_page1"
        if path == "/crm/v3/objects/deals":
            return "deals"
        if path.endswith("/search"):
            return "search_" + path.split("/")[-2]
        if path.endswith("/batch/read") and path.startswith("/crm/v3/objects/"):
            return path.split("/")[-3] + "_batch_read"
        if path.startswith("/crm/v4/associations/"):
            source, target = path.split("/")[4:6]
            return f"assoc_{source}_{target}"
        raise AssertionError(f"unexpected {method} {path}")

    incremental = False

    def answer(self, method: str, raw_path: str, raw_body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        body = json.loads(raw_body) if raw_body else {}
        self.log.append((method, parts.path, query, body))
        for i, (prefix, status, headers) in enumerate(self.fail):
            if parts.path.startswith(prefix):
                del self.fail[i]
                name = "error_401" if status == 401 else "error_429"
                return status, headers, json.dumps(fixture(name)).encode()
        return 200, {}, json.dumps(fixture(self.route(method, parts.path, query, body))).encode()

    def paths(self) -> list[str]:
        return [p for _m, p, _q, _b in self.log]


@pytest.fixture
def fake() -> Iterator[tuple[FakeHubSpot, str]]:
    state = FakeHubSpot()

    class Handler(QuietHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, payload = state.answer(self.command, self.path, self.rfile.read(length))
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

    with LoopbackServer(Handler) as server:
        yield state, server.url


def source(base_url: str, cursor: dict[str, Any] | None = None, full: bool = False) -> hubspot.HubSpotSource:
    config = hubspot.Config(access_token="pat-na1-test", base_url=base_url, portal_id="424242", retry_backoff=0)
    return hubspot.connector("crm", config, cursor, full)


def test_a_full_sync_pages_through_everything_and_maps_it(fake: tuple[FakeHubSpot, str]) -> None:
    server, url = fake
    batch = source(url).load()
    accounts = {a.account_id: a for a in batch.accounts}
    assert set(accounts) == {"5001", "5002"}  # 5003 has a negative ARR: set aside
    acme, globex = accounts["5001"], accounts["5002"]
    assert (acme.am_email, acme.csm_email, acme.renewal_date) == (
        "alice@vendor.example",
        "bruno@vendor.example",
        date(2026, 12, 31),
    )
    assert (acme.plan, acme.seats_purchased, float(acme.arr or 0)) == ("Enterprise", 50, 120000.0)
    assert acme.crm_url == "https://app.hubspot.com/contacts/424242/company/5001"
    assert globex.renewal_date == date(2027, 2, 15)  # from the open renewal deal; the closed one is ignored
    contacts = {c.contact_id: c for c in batch.contacts}
    assert set(contacts) == {"9001", "9002", "9003", "9005"}  # the lead without a company is skipped
    assert (contacts["9001"].role, contacts["9001"].email) == ("decision_maker", "ann.lee@acme.example")
    assert contacts["9002"].role == "champion" and contacts["9003"].is_key
    assert contacts["9005"].status == "left"  # archived in HubSpot
    assert [p.where for p in batch.problems] == ["hubspot company 5003"]
    assert batch.complete == {"accounts", "contacts"} and batch.cursor and "since" in batch.cursor
    afters = [q.get("after") for _m, p, q, _b in server.log if p == "/crm/v3/objects/contacts"]
    assert afters == [None, ["9003"], None]  # two pages of live contacts, then the archived ones
    auth = server.log[0]
    assert auth[1] == "/crm/v3/owners/"


def test_an_incremental_sync_searches_changes_since_the_cursor(fake: tuple[FakeHubSpot, str]) -> None:
    server, url = fake
    server.incremental = True
    batch = source(url, CURSOR).load()
    searches = [(p, b) for m, p, _q, b in server.log if p.endswith("/search")]
    assert [p.split("/")[-2] for p, _b in searches] == ["companies", "deals", "contacts"]
    for _path, body in searches:
        first = body["filterGroups"][0]["filters"][0]
        assert first["operator"] == "GTE" and first["value"] == "1793491200000"  # 2026-11-01T00:00Z in ms
    accounts = {a.account_id: a for a in batch.accounts}
    assert float(accounts["5002"].arr or 0) == 52000.0 and accounts["5002"].renewal_date == date(2027, 2, 15)
    assert "5001" in accounts  # read by id: Ann's and Eve's company had not changed
    contacts = {c.contact_id: c for c in batch.contacts}
    assert set(contacts) == {"9001", "9006"}  # Dan was archived before the cursor
    assert contacts["9001"].status == "left" and contacts["9006"].status == "left"
    assert batch.complete == set() and batch.problems == []
    assert batch.cursor is not None and batch.cursor["since"] > CURSOR["since"]


def test_a_rate_limit_is_waited_out(fake: tuple[FakeHubSpot, str]) -> None:
    server, url = fake
    server.fail.append(("/crm/v3/owners/", 429, {"Retry-After": "0"}))
    batch = source(url).load()
    assert len(batch.accounts) == 2
    assert server.paths()[:2] == ["/crm/v3/owners/", "/crm/v3/owners/"]


def test_a_refused_token_says_what_to_check(fake: tuple[FakeHubSpot, str]) -> None:
    server, url = fake
    server.fail.append(("/crm/v3/owners/", 401, {}))
    with pytest.raises(SourceError, match=r"refused the access token \(401\).*crm\.objects\.companies\.read"):
        source(url).load()


def test_a_persistent_outage_fails_the_sync(fake: tuple[FakeHubSpot, str]) -> None:
    server, url = fake
    server.fail.extend([("/crm/v3/objects/companies", 429, {"Retry-After": "0"})] * 7)
    with pytest.raises(SourceError, match=r"rate limiting \(429\)"):
        source(url).load()


def test_connection_test(fake: tuple[FakeHubSpot, str]) -> None:
    _server, url = fake
    assert "companies readable" in source(url).test()
    with pytest.raises(SourceError, match="cannot reach HubSpot"):
        source("http://127.0.0.1:9").test()


def ingest(db: Database, batch: SourceBatch) -> list[str]:
    with db.session() as session:
        org = ensure_org(session, "acme")
        return Ingestor(session, org.id, "crm").ingest(batch).departures


def test_end_to_end_a_departed_decision_maker_raises_stakeholder_left(
    db: Database, fake: tuple[FakeHubSpot, str]
) -> None:
    server, url = fake
    assert ingest(db, source(url).load()) == ["9005"]  # archived before Tandem knew them: recorded once
    with db.session() as session:
        names = sorted(a.name for a in session.scalars(select(Account)))
        assert names == ["Acme Robotics", "Globex"]
        assert {c.external_id for c in session.scalars(select(Contact))} == {"9001", "9002", "9003", "9005"}
    server.incremental = True
    assert sorted(ingest(db, source(url, CURSOR).load())) == ["9001", "9006"]
    with db.session() as session:
        rescore(session, get_org(session, "acme"), date(2026, 11, 21))
    with db.session() as session:
        acme = session.scalar(select(Account).where(Account.external_id == "5001"))
        assert acme is not None
        left = session.scalars(select(Signal).where(Signal.kind == "stakeholder_left", Signal.account_id == acme.id))
        assert "9001" in {s.key for s in left}


def test_the_cli_configures_tests_syncs_and_scores_a_hubspot_source(
    db: Database, fake: tuple[FakeHubSpot, str], cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's flow for a SaaS source: `sources add`, `sources test`, `sync --source`, then signals."""
    from cryptography.fernet import Fernet
    from typer.testing import CliRunner

    from bot.cli import app

    server, url = fake
    monkeypatch.setenv("TANDEM_SECRET_KEYS", Fernet.generate_key().decode())

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    added = run("sources", "add", "hubspot", "crm", "--set", "access_token=pat-na1-test", "--set", f"base_url={url}")
    assert "pat-na1-test" not in added
    assert "companies readable" in run("sources", "test", "crm")
    run("sync", "--source", "crm")
    server.incremental = True  # the next sync reads changes since the stored cursor
    run("sync", "--source", "crm")
    assert any("/search" in path for path in server.paths())
    run("score", "--as-of", "2026-11-21")
    rows = json.loads(run("signals", "--json"))
    left = {(r["account_name"], r["key"]) for r in rows if r["kind"] == "stakeholder_left"}
    assert ("Acme Robotics", "9001") in left  # the same signal as from CSV exports
    with db.session() as session:  # the team, as a team file or the admin API would give it
        org_id = get_org(session, "default").id
        session.add(Member(org_id=org_id, email="alice@vendor.example", name="Alice", role="am"))
        session.add(Member(org_id=org_id, email="bruno@vendor.example", name="Bruno", role="csm"))
    digests = run("digest", "--as-of", "2026-11-21")
    alice = digests.split("Digest for Alice", 1)[1].split("Digest for", 1)[0]  # the CLI's banner per member
    assert "Acme Robotics" in alice  # the owner's morning digest, built from HubSpot's records
