"""Salesforce connector through simple-salesforce against recorded REST payloads replayed by `responses`.

One callback stands in for the instance's query endpoints and picks the fixture a SOQL statement (or a
nextRecordsUrl) names, as FakeHubSpot does for HubSpot; `fail` queues error answers first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from sqlalchemy import select

from bot.db import Database
from bot.ingest import Ingestor
from bot.models import Account, Contact, Signal
from bot.orgs import ensure_org, get_org
from bot.rescore import rescore
from integrations import salesforce
from integrations.base import SourceBatch, SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
INSTANCE = "https://acme.my.salesforce.com"
LOGIN = "https://login.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
CURSOR = {"since": "2026-11-01T00:00:00+00:00"}
ACME, GLOBEX = "0015g00000AcmeXAAA", "0015g00000GlobxAAA"
ANN, DAN, EVE, FAY = "0035g00000AnnLeAAA", "0035g00000DanRoAAA", "0035g00000EveDeAAA", "0035g00000FayDeAAA"
OPTIONS: dict[str, Any] = {
    "csm_field": "CSM__c",
    "renewal_field": "Renewal_Date__c",
    "plan_field": "Plan__c",
    "seats_field": "Seats__c",
    "segment_field": "Segment__c",
    "role_field": "Buying_Role__c",
    "key_field": "Key_Contact__c",
    "left_field": "No_Longer_At_Company__c",
    "currency": "usd",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def object_of(soql: str) -> str:
    found = re.search(r"FROM (\w+)", soql)
    assert found, soql
    return found[1]


class FakeSalesforce:
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []  # (endpoint, SOQL or next path)
        self.fail: list[tuple[int, str, dict[str, str]]] = []  # (status, fixture, headers)

    def route(self, endpoint: str, soql: str) -> str:
        if endpoint.endswith("-2"):  # a nextRecordsUrl: /query/<locator>-2
            return "accounts_page2" if "ACCOUNTS" in endpoint else "contacts_page2"
        kind = object_of(soql)
        since, deleted = "SystemModstamp >" in soql, endpoint == "queryAll"
        if kind == "User":
            return "users"
        if kind == "Account":
            return "accounts_since" if since else "accounts_by_id" if "Id IN" in soql else "accounts_page1"
        if kind == "Opportunity":
            return "opportunities_since" if since else "opportunities"
        if deleted:
            assert "IsDeleted = true" in soql
            return "contacts_deleted_since" if since else "contacts_deleted"
        return "contacts_since" if since else "contacts_page1"

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(str(request.url))
        endpoint = parts.path.removeprefix("/services/data/v59.0/").rstrip("/")
        soql = parse_qs(parts.query).get("q", [""])[0]
        self.log.append((endpoint, soql))
        if self.fail:
            status, name, headers = self.fail.pop(0)
            return status, headers, json.dumps(fixture(name))
        return 200, {"Sforce-Limit-Info": "api-usage=25/15000"}, json.dumps(fixture(self.route(endpoint, soql)))

    def queries(self) -> list[str]:
        return [q for _e, q in self.log]


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    state = FakeSalesforce()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(rf"{re.escape(API)}/query(All)?/.*"), callback=state)
        yield state


def source(cursor: dict[str, Any] | None = None, full: bool = False, **options: Any) -> salesforce.SalesforceSource:
    settings = {"session_id": "00Dxx0000001gEH!AQ4AQtest", "instance_url": INSTANCE, "retry_backoff": 0}
    config = salesforce.Config(**{**settings, **OPTIONS, **options})
    return salesforce.connector("crm", config, cursor, full)


def test_a_full_sync_pages_through_everything_and_maps_it(fake: FakeSalesforce) -> None:
    batch = source().load()
    accounts = {a.account_id: a for a in batch.accounts}
    assert set(accounts) == {ACME, GLOBEX}  # Initech has a negative ARR: set aside
    acme, globex = accounts[ACME], accounts[GLOBEX]
    assert (acme.name, acme.domain, acme.am_email, acme.csm_email) == (
        "Acme Robotics",
        "acme.example",
        "alice@vendor.example",
        "bruno@vendor.example",
    )
    assert acme.renewal_date == date(2026, 12, 31)  # the account's own field beats its renewal opportunity
    assert (acme.plan, acme.seats_purchased, float(acme.arr or 0), acme.currency) == ("Enterprise", 50, 120000.0, "USD")
    assert acme.crm_url == f"{INSTANCE}/lightning/r/Account/{ACME}/view"
    assert (globex.domain, globex.am_email, globex.csm_email) == ("globex.example", "carla@vendor.example", None)
    assert globex.renewal_date == date(2027, 2, 15)  # the earliest of its open renewal opportunities
    contacts = {c.contact_id: c for c in batch.contacts}
    assert set(contacts) == {ANN, "0035g00000BenOkAAA", "0035g00000CaraMAAA", DAN, EVE}
    assert (contacts[ANN].role, contacts[ANN].email, contacts[ANN].name) == (
        "decision_maker",
        "ann.lee@acme.example",
        "Ann Lee",
    )
    assert contacts["0035g00000BenOkAAA"].role == "influencer"  # a multi-select: the first value that maps
    assert contacts["0035g00000CaraMAAA"].is_key and contacts["0035g00000CaraMAAA"].status == "active"
    assert contacts[DAN].status == "left"  # flagged "no longer at company"
    assert contacts[EVE].status == "left"  # deleted: read from the recycle bin through queryAll
    assert [str(p) for p in batch.problems] == [
        "salesforce account 0015g00000InitcAAA: arr: Input should be greater than or equal to 0",
        "salesforce contact 0035g00000BadEmAAA: its account 0015g00000GoneXAAA is not readable (deleted?)",
    ]
    assert batch.complete == {"accounts", "contacts"} and batch.cursor and "since" in batch.cursor
    endpoints = [e for e, _q in fake.log]
    assert "query/0r8xx3NACCOUNTS-2" in endpoints and "query/0r8xx3NCONTACTS-2" in endpoints  # page two of each
    assert endpoints.count("queryAll") == 1
    assert not any("SystemModstamp >" in q for q in fake.queries())


def test_an_incremental_sync_asks_for_changes_since_the_cursor(fake: FakeSalesforce) -> None:
    batch = source(CURSOR).load()
    changed = [q for q in fake.queries() if "SystemModstamp > 2026-11-01T00:00:00Z" in q]
    assert [object_of(q) for q in changed] == ["Account", "Opportunity", "Contact", "Contact"]
    by_id = next(q for q in fake.queries() if "Id IN" in q)
    assert f"Id IN ('{ACME}')" in by_id  # Ann's account had not changed: read by id
    renewals = next(q for q in fake.queries() if "IsClosed = false" in q)
    assert f"AccountId IN ('{ACME}', '{GLOBEX}')" in renewals and "Type IN ('Renewal', 'Existing Business')" in renewals
    accounts = {a.account_id: a for a in batch.accounts}
    assert float(accounts[GLOBEX].arr or 0) == 60000.0 and accounts[GLOBEX].renewal_date == date(2027, 2, 15)
    contacts = {c.contact_id: c for c in batch.contacts}
    assert set(contacts) == {ANN, FAY}
    assert contacts[ANN].status == "left" and contacts[FAY].status == "left"
    assert batch.complete == set() and batch.problems == []
    assert batch.cursor is not None and batch.cursor["since"] > CURSOR["since"]


def test_the_request_limit_is_retried_then_succeeds(fake: FakeSalesforce) -> None:
    fake.fail.append((403, "error_request_limit", {}))
    fake.fail.append((429, "error_request_limit", {"Retry-After": "0"}))
    batch = source().load()
    assert len(batch.accounts) == 2
    assert fake.log[0] == fake.log[1] == fake.log[2]  # the users query, three times


def test_a_persistent_request_limit_fails_the_sync(fake: FakeSalesforce) -> None:
    fake.fail.extend([(403, "error_request_limit", {})] * 5)
    with pytest.raises(SourceError, match=r"REQUEST_LIMIT_EXCEEDED after 4 retries"):
        source().load()
    assert len(fake.log) == 5


def test_an_expired_session_says_what_to_do(fake: FakeSalesforce) -> None:
    fake.fail.append((401, "error_401", {}))
    with pytest.raises(SourceError, match=r"refused the session \(401 INVALID_SESSION_ID\).*new session id"):
        source().load()


def test_a_wrong_field_name_is_named(fake: FakeSalesforce) -> None:
    fake.fail.extend([(200, "users", {}), (400, "error_invalid_field", {})])
    with pytest.raises(SourceError, match=r"rejected a configured field name.*No such column 'ARR__c'"):
        source(arr_field="ARR__c").load()


def test_a_refused_password_login_says_what_to_check() -> None:
    with responses.RequestsMock() as mock:
        fault = (FIXTURES / "login_fault.xml").read_text()
        mock.post("https://test.salesforce.com/services/Soap/u/59.0", status=500, body=fault)
        config = salesforce.Config(
            username="sync@acme.example", password="pw", security_token="tok", domain="test", retry_backoff=0
        )
        with pytest.raises(SourceError, match=r"refused the login \(INVALID_LOGIN: .*security token.*'test'"):
            salesforce.connector("crm", config, None).load()


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="session_id \\+ instance_url"):
        salesforce.Config(username="sync@acme.example")
    with pytest.raises(ValueError, match="not a Salesforce field API name"):
        salesforce.Config(consumer_key="k", consumer_secret="s", csm_field="CSM__c FROM User --")


def test_connection_test(fake: FakeSalesforce) -> None:
    assert source().test() == "Salesforce at acme.my.salesforce.com: accounts readable (some), 3 users visible"
    fake.fail.append((401, "error_401", {}))
    with pytest.raises(SourceError, match="refused the session"):
        source().test()


def ingest(db: Database, batch: SourceBatch) -> list[str]:
    with db.session() as session:
        org = ensure_org(session, "acme")
        return Ingestor(session, org.id, "crm").ingest(batch).departures


def test_end_to_end_a_departed_decision_maker_raises_stakeholder_left(db: Database, fake: FakeSalesforce) -> None:
    assert sorted(ingest(db, source().load())) == [DAN, EVE]  # gone before Tandem knew them: recorded once
    with db.session() as session:
        assert sorted(a.name for a in session.scalars(select(Account))) == ["Acme Robotics", "Globex"]
        assert len(list(session.scalars(select(Contact)))) == 5
    assert sorted(ingest(db, source(CURSOR).load())) == [ANN, FAY]
    with db.session() as session:
        rescore(session, get_org(session, "acme"), date(2026, 11, 21))
    with db.session() as session:
        acme = session.scalar(select(Account).where(Account.external_id == ACME))
        assert acme is not None
        left = session.scalars(select(Signal).where(Signal.kind == "stakeholder_left", Signal.account_id == acme.id))
        assert ANN in {s.key for s in left}


def test_a_jwt_bearer_login_signs_in_without_a_password() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assertions: list[dict[str, Any]] = []

    def token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        form = parse_qs(str(request.body))
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        # Salesforce checks the signature with the certificate uploaded to the connected app.
        claims = jwt.decode(form["assertion"][0], key.public_key(), algorithms=["RS256"], audience=LOGIN)
        assertions.append(claims)
        return 200, {}, json.dumps({"access_token": "00Dxx!jwt", "instance_url": INSTANCE, "token_type": "Bearer"})

    instance = FakeSalesforce()

    def query(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        assert request.headers["Authorization"] == "Bearer 00Dxx!jwt"  # the session the login gave
        return instance(request)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, f"{LOGIN}/services/oauth2/token", callback=token)
        mock.add_callback(responses.GET, re.compile(rf"{re.escape(API)}/query/.*"), callback=query)
        config = salesforce.Config(
            username="sync@acme.example", consumer_key="3MVG9.app", private_key=pem, retry_backoff=0, **OPTIONS
        )
        assert "3 users visible" in salesforce.connector("crm", config, None).test()
    assert [(c["iss"], c["sub"]) for c in assertions] == [("3MVG9.app", "sync@acme.example")]
    with pytest.raises(ValueError, match="PEM text"):
        salesforce.Config(username="sync@acme.example", consumer_key="3MVG9.app", private_key="not a key")
