"""Freshdesk connector (httpx) against recorded API v2 payloads replayed by `respx`.

One side effect stands in for acme.freshdesk.com and picks the fixture each request names; `fail`
queues error answers first. Pages link to each other through the Link header, as Freshdesk's do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from integrations import freshdesk
from integrations.base import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "freshdesk"
HOST = "https://acme.freshdesk.com"
ACCOUNTS = {"5001": "acme.example", "5002": "globex.example", "5003": None}
CURSOR = {"updated_since": "2026-11-15T00:00:00Z"}
WINDOW = "2026-11-04T12:30:00Z"  # the last update on the first page of tickets


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeFreshdesk:
    def __init__(self) -> None:
        self.log: list[httpx.Request] = []
        self.fail: list[tuple[str, int, dict[str, str]]] = []  # (path, status, headers)

    def route(self, request: httpx.Request) -> tuple[str, dict[str, str]]:
        path, params = request.url.path, request.url.params
        if path == "/api/v2/tickets":
            if params.get("filter") == "deleted":
                return "tickets_deleted", {}
            if params.get("updated_since") == CURSOR["updated_since"]:
                return "tickets_since", {}
            if params.get("page") == "2" or params.get("updated_since") == WINDOW:
                return "tickets_page2", {}
            # Freshdesk's next link repeats the query with the next page number.
            nxt = request.url.copy_merge_params({"page": "2"})
            return "tickets_page1", {"Link": f'<{nxt}>; rel="next"'}
        if path == "/api/v2/tickets/110":
            return "ticket_110", {}
        if path == "/api/v2/companies":
            return "companies", {}
        if path == "/api/v2/surveys/satisfaction_ratings":
            since = params.get("created_since") == CURSOR["updated_since"]
            return "satisfaction_ratings_since" if since else "satisfaction_ratings", {}
        if path == "/api/v2/agents/me":
            return "agents_me", {}
        raise AssertionError(f"unexpected {request.url}")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        for i, (path, status, headers) in enumerate(self.fail):
            if request.url.path == path:
                del self.fail[i]
                return httpx.Response(status, headers=headers, json=fixture(f"error_{status}"))
        if request.url.path == "/api/v2/tickets/111":
            return httpx.Response(404, json=fixture("error_404"))
        name, headers = self.route(request)
        return httpx.Response(200, headers=headers, json=fixture(name))

    def calls(self, path: str) -> list[httpx.QueryParams]:
        return [r.url.params for r in self.log if r.url.path == path]


@pytest.fixture
def fake() -> Iterator[FakeFreshdesk]:
    state = FakeFreshdesk()
    with respx.mock(base_url=HOST, assert_all_called=False) as mock:
        mock.route().mock(side_effect=state)
        yield state


def source(cursor: dict[str, Any] | None = None, **options: Any) -> freshdesk.FreshdeskSource:
    config = freshdesk.Config(
        domain="acme", api_key="fd-key", account_map={"5000000503": "5003"}, retry_backoff=0, **options
    )
    return freshdesk.connector("support", config, cursor, accounts=ACCOUNTS)


def test_a_first_sync_pages_through_tickets_from_history_days_back(fake: FakeFreshdesk) -> None:
    before = datetime.now(UTC)
    batch = source().load()
    first, second = fake.calls("/api/v2/tickets")
    since = datetime.fromisoformat(first["updated_since"].replace("Z", "+00:00"))
    assert abs((before - since).days - 365) <= 1
    assert (first["include"], first["per_page"], first["order_by"]) == (
        "requester,stats,description",
        "100",
        "updated_at",
    )
    assert second["page"] == "2"  # followed the Link header
    assert "filter" not in first  # a first sync has no stored copy of a deleted ticket to close
    tickets = {t.ticket_id: t for t in batch.tickets}
    assert set(tickets) == {"101", "102", "104", "106", "110"}  # 103 has no company, 105's matches nothing
    assert tickets["101"].account_id == "5001" and tickets["101"].priority == "urgent"  # by the custom field
    assert tickets["101"].status == "open" and tickets["101"].closed_at is None
    assert tickets["101"].body and "+1 415 555 0199" in tickets["101"].body
    assert tickets["102"].account_id == "5002" and tickets["102"].status == "solved"  # by the company's domain
    assert tickets["102"].csat == 5 and tickets["102"].priority == "normal"  # the latest of two ratings
    assert tickets["102"].closed_at == datetime(2026, 11, 4, 11, tzinfo=UTC)
    assert tickets["104"].account_id == "5003" and tickets["104"].status == "pending"  # by the map
    assert tickets["104"].csat == 1 and tickets["104"].priority == "high"
    assert tickets["106"].account_id == "5002" and tickets["106"].status == "closed"  # by the requester's domain
    assert tickets["106"].closed_at == datetime(2026, 11, 7, 8, tzinfo=UTC)
    assert tickets["110"].csat == 4  # rated since, though not updated: read by id (111 is gone: skipped)
    assert [str(p) for p in batch.problems] == [
        "freshdesk company 5000000504: 'Hooli' matches no account (1 tickets)",
        "freshdesk ticket 107: unknown status 9 (a custom status: map it with status_map)",
    ]
    assert batch.cursor is not None and batch.cursor["updated_since"] > CURSOR["updated_since"]
    assert batch.complete == set()
    assert all(r.headers["Authorization"] == "Basic ZmQta2V5Olg=" for r in fake.log)  # fd-key:X


def test_a_custom_status_can_be_mapped(fake: FakeFreshdesk) -> None:
    batch = source(status_map={"9": "pending"}).load()
    assert {t.ticket_id: t.status for t in batch.tickets}["107"] == "pending"


def test_an_incremental_sync_reads_changes_and_deletions_since_the_cursor(fake: FakeFreshdesk) -> None:
    batch = source(CURSOR).load()
    listed = fake.calls("/api/v2/tickets")
    assert [p.get("filter") for p in listed] == [None, "deleted"]
    assert all(p["updated_since"] == CURSOR["updated_since"] for p in listed)
    assert fake.calls("/api/v2/surveys/satisfaction_ratings")[0]["created_since"] == CURSOR["updated_since"]
    tickets = {t.ticket_id: t for t in batch.tickets}
    assert tickets["101"].status == "solved" and tickets["101"].closed_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert tickets["101"].csat == 4
    assert tickets["104"].status == "closed"  # deleted in Freshdesk: no longer open work
    assert batch.cursor is not None and batch.cursor["updated_since"] > CURSOR["updated_since"]


def test_a_long_history_restarts_its_window_at_the_page_limit(
    fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshdesk, "MAX_PAGE", 1)
    source(satisfaction=False).load()
    windows = [p["updated_since"] for p in fake.calls("/api/v2/tickets")]
    assert windows[1:] == [WINDOW]  # a new window from the last update seen, not page 2
    assert all("page" not in p for p in fake.calls("/api/v2/tickets"))


def test_a_rate_limit_is_waited_out(fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    fake.fail.append(("/api/v2/tickets", 429, {"Retry-After": "7"}))
    batch = source(CURSOR).load()
    assert waits == [7.0] and len(batch.tickets) == 2
    assert len(fake.calls("/api/v2/tickets")) == 3  # the refused call again, then the deleted ones


def test_rate_limiting_beyond_the_budget_fails_the_sync(fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda _s: None)
    fake.fail.extend([("/api/v2/tickets", 429, {"Retry-After": "40"})] * 3)
    with pytest.raises(SourceError, match=r"rate limiting \(429\) beyond 100s"):
        source(rate_limit_budget_seconds=100).load()


def test_a_refused_key_says_what_to_check(fake: FakeFreshdesk) -> None:
    fake.fail.append(("/api/v2/tickets", 401, {}))
    with pytest.raises(SourceError, match=r"refused the API key \(401\).*Profile settings.*'acme'"):
        source().load()


def test_missing_surveys_are_a_problem_not_a_failure(fake: FakeFreshdesk) -> None:
    fake.fail.append(("/api/v2/surveys/satisfaction_ratings", 404, {}))
    batch = source(CURSOR).load()
    assert len(batch.tickets) == 2
    assert [str(p) for p in batch.problems] == ["freshdesk satisfaction ratings: not readable (404)"]


def test_connection_test(fake: FakeFreshdesk) -> None:
    assert source().test() == "Freshdesk acme: signed in as sam@vendor.example"
    fake.fail.append(("/api/v2/agents/me", 401, {}))
    with pytest.raises(SourceError, match=r"refused the API key \(401\)"):
        source().test()


def test_an_unreachable_host_is_a_source_error() -> None:
    config = freshdesk.Config(domain="acme", api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(SourceError, match=r"cannot reach Freshdesk at http://127\.0\.0\.1:9"):
        freshdesk.connector("support", config, None).test()
