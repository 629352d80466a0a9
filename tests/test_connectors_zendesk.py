"""Zendesk connector through zenpy against recorded API responses replayed by `responses`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from integrations import zendesk
from integrations.base import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
API = "https://acme.zendesk.com/api/v2"
EXPORT = f"{API}/incremental/tickets/cursor.json"
ORGS = f"{API}/organizations/show_many.json"
ACCOUNTS = {"5001": "acme.example", "5002": "globex.example", "5003": None}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(ORGS, json=fixture("organizations"))
        yield mock


def source(cursor: dict[str, Any] | None = None, **options: Any) -> zendesk.ZendeskSource:
    config = zendesk.Config(subdomain="acme", email="sam@vendor.example", api_token="tok", retry_backoff=0, **options)
    return zendesk.connector("support", config, cursor, accounts=ACCOUNTS)


def export_pages(api: responses.RequestsMock) -> None:
    api.get(
        EXPORT, json=fixture("tickets_page2"), match=[matchers.query_string_matcher("cursor=MTc2MjI2MjAwMC4wfHwxMDN8")]
    )
    api.get(EXPORT, json=fixture("tickets_page1"))


def queries(api: responses.RequestsMock, url: str) -> list[dict[str, list[str]]]:
    urls = [str(c.request.url) for c in api.calls]
    return [parse_qs(urlsplit(u).query) for u in urls if u.startswith(url)]


def test_a_first_sync_reads_the_export_from_history_days_back(api: responses.RequestsMock) -> None:
    export_pages(api)
    before = time.time()
    batch = source(account_map={"503": "5003"}).load()
    first, second = queries(api, EXPORT)
    assert abs(int(first["start_time"][0]) - (before - 365 * 86400)) < 60 and first["per_page"] == ["1000"]
    assert second["cursor"] == ["MTc2MjI2MjAwMC4wfHwxMDN8"]  # the second page, by the first page's cursor
    tickets = {t.ticket_id: t for t in batch.tickets}
    assert set(tickets) == {"101", "102", "104"}  # 103 has no organization, 105's matches nothing, 106 deleted
    assert tickets["101"].account_id == "5001"  # by external_id
    assert tickets["102"].account_id == "5002" and tickets["102"].csat == 5  # by domain
    assert tickets["104"].account_id == "5003" and tickets["104"].status == "pending"  # by the map; hold
    assert tickets["104"].csat == 1 and tickets["104"].priority == "high"
    assert tickets["102"].closed_at is not None and tickets["101"].closed_at is None
    assert tickets["101"].body and "+1 415 555 0199" in tickets["101"].body
    assert [str(p) for p in batch.problems] == [
        "zendesk organization 504: 'Hooli' matches no account (1 tickets)",
        "zendesk ticket 107: unknown status 'weird'",
    ]
    assert batch.cursor == {"after_cursor": "MTc2MjM0MjAwMC4wfHwxMDd8"} and batch.complete == set()
    assert queries(api, ORGS)[0]["ids"] == ["501,502,503,504"]


def test_an_incremental_sync_resumes_from_the_cursor(api: responses.RequestsMock) -> None:
    api.get(EXPORT, json=fixture("tickets_since"))
    batch = source({"after_cursor": "MTc2MjM0MjAwMC4wfHwxMDd8"}).load()
    assert queries(api, EXPORT) == [{"cursor": ["MTc2MjM0MjAwMC4wfHwxMDd8"]}]
    tickets = {t.ticket_id: t for t in batch.tickets}
    assert tickets["101"].status == "solved"
    assert tickets["106"].status == "closed"  # deleted in Zendesk: no longer open work
    assert batch.cursor == {"after_cursor": "MTc2MzYzNDAwMC4wfHwxMDZ8"}


def test_a_rate_limit_is_waited_out(api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("zenpy.lib.api.sleep", waits.append)
    api.get(EXPORT, status=429, json=fixture("error_429"), headers={"Retry-After": "2"})
    api.get(EXPORT, json=fixture("tickets_since"))
    batch = source({"after_cursor": "c"}).load()
    assert len(batch.tickets) == 2 and waits == [1, 1]  # zenpy waits Retry-After out a second at a time


def test_a_server_error_is_retried(api: responses.RequestsMock) -> None:
    api.get(EXPORT, status=503, body="upstream unavailable")
    api.get(EXPORT, json=fixture("tickets_since"))
    assert len(source({"after_cursor": "c"}).load().tickets) == 2
    assert len(queries(api, EXPORT)) == 2


def test_a_refused_token_says_what_to_check(api: responses.RequestsMock) -> None:
    api.get(EXPORT, status=401, json=fixture("error_401"))
    with pytest.raises(SourceError, match=r"refused the API token \(401\).*sam@vendor\.example"):
        source().load()


def test_connection_test(api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/me.json", json=fixture("me"))
    assert source().test() == "Zendesk acme: signed in as sam@vendor.example (admin)"


def test_base_url_redirects_every_request(api: responses.RequestsMock) -> None:
    export = api.get("http://127.0.0.1:8999/api/v2/incremental/tickets/cursor.json", json=fixture("tickets_since"))
    orgs = api.get("http://127.0.0.1:8999/api/v2/organizations/show_many.json", json=fixture("organizations"))
    batch = source({"after_cursor": "c"}, base_url="http://127.0.0.1:8999").load()
    assert len(batch.tickets) == 2 and (export.call_count, orgs.call_count) == (1, 1)
