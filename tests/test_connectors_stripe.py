"""Stripe connector through the `stripe` package against recorded API responses replayed by `responses`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from integrations import stripe_billing
from integrations.base import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
API = "http://stripe.fake/v1"  # base_url points the client here; nothing reaches api.stripe.com
ACCOUNTS = {"5001": "acme.example", "5002": "globex.example"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def source(cursor: dict[str, Any] | None = None, **options: Any) -> stripe_billing.StripeSource:
    config = stripe_billing.Config(api_key="rk_test_123", base_url="http://stripe.fake", retry_backoff=0, **options)
    return stripe_billing.connector("billing", config, cursor, accounts=ACCOUNTS)


def queries(api: responses.RequestsMock, path: str) -> list[dict[str, list[str]]]:
    calls = [urlsplit(c.request.url or "") for c in api.calls]
    return [parse_qs(u.query) for u in calls if u.path == path]


def invoice_pages(api: responses.RequestsMock) -> None:
    api.get(
        f"{API}/invoices",
        json=fixture("invoices_page2"),
        match=[matchers.query_param_matcher({"starting_after": "in_0003"}, strict_match=False)],
    )
    api.get(f"{API}/invoices", json=fixture("invoices_page1"))


def test_a_full_sync_pages_through_invoices_and_maps_statuses(api: responses.RequestsMock) -> None:
    invoice_pages(api)
    batch = source().load()
    first, second = queries(api, "/v1/invoices")
    assert first["expand[0]"] == ["data.customer"] and "created[gte]" in first
    assert second["starting_after"] == ["in_0003"]  # auto-pagination from the last id of page one
    invoices = {i.invoice_id: i for i in batch.invoices}
    assert set(invoices) == {"in_0001", "in_0002", "in_0003", "in_0004", "in_0007"}  # draft skipped, Hooli unmatched
    assert (invoices["in_0001"].status, invoices["in_0001"].amount) == ("paid", Decimal("10000"))
    assert invoices["in_0001"].paid_at == date(2026, 9, 21) and invoices["in_0001"].account_id == "5001"
    assert invoices["in_0002"].status == "overdue"  # open past its due date
    assert invoices["in_0003"].status == "failed" and invoices["in_0003"].account_id == "5002"  # by metadata.domain
    assert invoices["in_0004"].status == "failed"  # the automatic charge was declined twice
    assert invoices["in_0007"].status == "open" and invoices["in_0007"].amount == Decimal(1200000)  # JPY
    assert [str(p) for p in batch.problems] == ["stripe customer cus_Unknown03: matches no account (1 records)"]
    assert batch.accounts == [] and batch.cursor and batch.cursor["created"] > 1793491200


def test_subscriptions_give_seats_plan_renewal_and_arr_when_enabled(api: responses.RequestsMock) -> None:
    invoice_pages(api)
    api.get(f"{API}/subscriptions", json=fixture("subscriptions"))
    batch = source(accounts_from_subscriptions=True).load()
    assert queries(api, "/v1/subscriptions")[0]["status"] == ["all"]
    accounts = {a.account_id: a for a in batch.accounts}
    acme, globex = accounts["5001"], accounts["5002"]
    assert (acme.plan, acme.seats_purchased, acme.arr, acme.currency) == ("Enterprise", 50, Decimal(10000), "USD")
    assert acme.renewal_date == date(2026, 12, 31)  # the item's current_period_end (API 2025-03-31 and later)
    assert (globex.seats_purchased, globex.arr, globex.domain) == (20, Decimal("40003.20"), "globex.example")


def test_an_incremental_sync_reads_events_since_the_cursor(api: responses.RequestsMock) -> None:
    api.get(f"{API}/events", json=fixture("events"))
    api.get(f"{API}/customers/cus_Acme0001", json=fixture("customer_acme"))
    api.get(f"{API}/customers/cus_Globex002", json=fixture("customer_globex"))
    batch = source({"created": 1793491200}).load()
    (events,) = queries(api, "/v1/events")
    assert events["created[gte]"] == ["1793491200"] and events["types[0]"] == ["invoice.*"]
    invoices = {i.invoice_id: i for i in batch.invoices}
    assert invoices["in_0002"].status == "paid"  # the newest event wins over the older "open" one
    assert invoices["in_0008"].status == "open" and invoices["in_0008"].account_id == "5002"
    assert batch.cursor == {"created": 1794000000}
    assert len(queries(api, "/v1/customers/cus_Acme0001")) == 1  # each customer read once


def test_a_rate_limit_is_waited_out(api: responses.RequestsMock) -> None:
    api.get(f"{API}/events", status=429, json=fixture("error_429"), headers={"Retry-After": "0"})
    api.get(f"{API}/events", json={"object": "list", "url": "/v1/events", "has_more": False, "data": []})
    batch = source({"created": 1793491200}).load()
    assert batch.invoices == [] and len(queries(api, "/v1/events")) == 2


def test_a_refused_key_says_what_to_check(api: responses.RequestsMock) -> None:
    api.get(f"{API}/invoices", status=401, json=fixture("error_401"))
    with pytest.raises(SourceError, match=r"refused the API key \(401\).*read access to Customers"):
        source().load()


def test_connection_test(api: responses.RequestsMock) -> None:
    api.get(f"{API}/customers", json={"object": "list", "url": "/v1/customers", "has_more": False, "data": []})
    assert source().test() == "Stripe: customers readable (none yet)"


def test_a_deleted_customers_invoices_are_set_aside_and_the_rest_go_through(api: responses.RequestsMock) -> None:
    api.get(f"{API}/events", json=fixture("events"))
    api.get(f"{API}/customers/cus_Acme0001", json=fixture("customer_acme"))
    api.get(f"{API}/customers/cus_Globex002", json={"id": "cus_Globex002", "object": "customer", "deleted": True})
    batch = source({"created": 1793491200}).load()
    assert {i.account_id for i in batch.invoices} == {"5001"}  # Acme's still come in
    assert "in_0008" not in {i.invoice_id for i in batch.invoices}  # Globex's are no one's now
    assert any("cus_Globex002" in str(p) for p in batch.problems)
