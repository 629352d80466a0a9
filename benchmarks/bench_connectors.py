"""Full syncs of the HubSpot and Zendesk connectors against a local fake API with per-request latency.

    .venv/bin/python benchmarks/bench_connectors.py [--accounts 10000] [--contacts-per 5] [--tickets 100000]
        [--latency-ms 5] [--postgres [URL]]

A threaded loopback server generates the vendors' page shapes on the fly (nothing is read from the
internet); each source runs the product's whole sync (`sync_source`: its real client library, account
matching across sources, storage, the cursor) into a fresh database (SQLite by default). Prints wall time,
requests, what was stored and peak memory per source. Target: both under 60 s, with bounded memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet

from bot.crypto import SecretBox
from bot.db import Database
from bot.ingest import IngestReport
from bot.settings import Settings
from bot.sources import remember_source, stored_config, sync_source
from integrations import hubspot, zendesk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' fakes, run from anywhere
from tests.fakes.loopback import LoopbackServer, QuietHandler

ORG = "bench"
ROLES = ["DECISION_MAKER", "CHAMPION", "END_USER", "INFLUENCER", ""]
STATUSES = ["new", "open", "pending", "solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent", None]


class FakeApis:
    def __init__(self, accounts: int, contacts_per: int, tickets: int, latency: float) -> None:
        self.accounts, self.contacts_per, self.tickets, self.latency = accounts, contacts_per, tickets, latency
        self.requests = 0
        self.lock = threading.Lock()

    def answer(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.requests += 1
        time.sleep(self.latency)
        after = int(query.get("after", ["0"])[0])
        if path == "/crm/v3/owners/":
            return {"results": [{"id": str(100 + i), "email": f"owner{i}@vendor.example"} for i in range(20)]}
        if path == "/crm/v3/objects/companies":
            return self._page(after, self.accounts, self._company)
        if path == "/crm/v3/objects/deals":
            return {"results": []}
        if path == "/crm/v3/objects/contacts":
            if query.get("archived", ["false"])[0].lower() == "true":
                return {"results": []}
            return self._page(after, self.accounts * self.contacts_per, self._contact)
        if path == "/api/v2/incremental/tickets/cursor.json":
            return self._tickets(int(query.get("cursor", ["0"])[0]), int(query.get("per_page", ["1000"])[0]))
        if path == "/api/v2/organizations/show_many.json":
            ids = [int(i) for i in query["ids"][0].split(",")]
            return {"organizations": [self._org(i) for i in ids], "next_page": None, "count": len(ids)}
        raise KeyError(path)

    def _page(self, after: int, total: int, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        end = min(after + hubspot.PAGE, total)
        page: dict[str, Any] = {"results": [make(i) for i in range(after, end)]}
        if end < total:
            page["paging"] = {"next": {"after": str(end), "link": f"?after={end}"}}
        return page

    def _company(self, i: int) -> dict[str, Any]:
        props = {
            "name": f"Company {i}",
            "domain": f"c{i}.example",
            "hubspot_owner_id": str(100 + i % 10),
            "csm_owner": str(110 + i % 10),
            "arr": str(10000 + i),
            "plan": "Growth",
            "seats": "25",
            "renewal_date": f"2027-{1 + i % 12:02d}-15",
        }
        return {
            "id": str(i + 1),
            "properties": props,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:00:00Z",
            "archived": False,
        }

    def _contact(self, i: int) -> dict[str, Any]:
        company = str(i // self.contacts_per + 1)
        props = {
            "firstname": "Pat",
            "lastname": f"Doe{i}",
            "email": f"pat{i}@c{company}.example",
            "jobtitle": "Director",
            "hs_buying_role": ROLES[i % 5],
            "associatedcompanyid": company,
        }
        return {
            "id": str(1_000_000 + i),
            "properties": props,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:00:00Z",
            "archived": False,
            "associations": {"companies": {"results": [{"id": company, "type": "contact_to_company"}]}},
        }

    def _tickets(self, start: int, per_page: int) -> dict[str, Any]:
        end = min(start + per_page, self.tickets)
        tickets = [
            {
                "id": i + 1,
                "organization_id": 500_000 + i % self.accounts,
                "created_at": "2026-10-01T08:00:00Z",
                "updated_at": "2026-10-02T08:00:00Z",
                "status": STATUSES[i % 5],
                "priority": PRIORITIES[i % 5],
                "subject": f"Ticket {i}",
                "description": "Something broke; call +1 415 555 0100",
                "satisfaction_rating": {"score": "good" if i % 7 else "bad"},
            }
            for i in range(start, end)
        ]
        url = f"https://bench.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={end}"
        return {"tickets": tickets, "after_cursor": str(end), "after_url": url, "end_of_stream": end >= self.tickets}

    def _org(self, org_id: int) -> dict[str, Any]:
        n = org_id - 500_000
        return {"id": org_id, "name": f"Company {n}", "external_id": str(n + 1), "domain_names": [f"c{n}.example"]}


def serve(apis: FakeApis) -> LoopbackServer:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs do

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            payload = json.dumps(apis.answer(parts.path, parse_qs(parts.query), body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

    return LoopbackServer(Handler).start()


def measure(label: str, apis: FakeApis, run: Callable[[], IngestReport]) -> float:
    apis.requests = 0
    started = time.perf_counter()
    report = run()
    elapsed = time.perf_counter() - started
    # Peak resident memory of the process so far (tracemalloc would slow the run down threefold).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stored = ", ".join(f"{k} {v}" for k, v in report.created.items() if v)
    print(
        f"{label:8} {elapsed:6.1f} s  {apis.requests:5} requests  peak RSS {peak / 2**20:6.1f} MiB  "
        f"stored {stored}; {len(report.problems)} problems"
    )
    return elapsed


def database(postgres: str | None) -> tuple[Database, Callable[[], None]]:
    """A fresh database for the run, and how to drop it."""
    if postgres is None:
        folder = tempfile.mkdtemp(prefix="tandem-bench-")
        lite = Database(f"sqlite:///{folder}/bench.db")
        lite.migrate()

        def remove() -> None:
            lite.dispose()
            shutil.rmtree(folder, ignore_errors=True)

        return lite, remove
    import psycopg

    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{postgres.rsplit('/', 1)[0]}/{name}")
    db.migrate()

    def drop() -> None:
        db.dispose()
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return db, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--contacts-per", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument(
        "--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/postgres", default=None,
        help="store into a throwaway PostgreSQL database (admin URL) instead of SQLite",
    )  # fmt: skip
    args = parser.parse_args()
    apis = FakeApis(args.accounts, args.contacts_per, args.tickets, args.latency_ms / 1000)
    server = serve(apis)
    url = server.url
    db, drop = database(args.postgres)
    settings = Settings(database_url=db.url, secret_keys=Fernet.generate_key().decode())
    box = SecretBox.from_settings(settings)
    print(
        f"{args.accounts} accounts x {args.contacts_per} contacts, {args.tickets} tickets, "
        f"{args.latency_ms} ms/request, into {db.dialect}"
    )
    hs = hubspot.Config(access_token="bench", base_url=url)
    zd = zendesk.Config(subdomain="bench", email="bench@vendor.example", api_token="bench", base_url=url)
    remember_source(db, ORG, "crm", stored_config("hubspot", hs, box))
    remember_source(db, ORG, "support", stored_config("zendesk", zd, box))
    try:
        took = measure("hubspot", apis, lambda: sync_source(db, ORG, "crm", settings))
        took += measure("zendesk", apis, lambda: sync_source(db, ORG, "support", settings))
        print(f"total    {took:6.1f} s  (target < 60 s)")
    finally:
        server.stop()
        drop()


if __name__ == "__main__":
    main()
