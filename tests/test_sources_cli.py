"""Every SaaS kind is configured and checked through the CLI a newcomer uses (`tandem sources add`, then
`tandem sources test`), against the same recorded fakes as the connectors' own tests. HubSpot's whole flow,
to signals and digests, is in tests/test_connectors_hubspot.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import responses
import respx
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from bot.cli import app
from tests.test_connectors_freshdesk import HOST as FRESHDESK
from tests.test_connectors_freshdesk import FakeFreshdesk
from tests.test_connectors_salesforce import API as SALESFORCE
from tests.test_connectors_salesforce import INSTANCE, FakeSalesforce
from tests.test_connectors_zendesk import API as ZENDESK
from tests.test_connectors_zendesk import fixture as zendesk_fixture


@contextmanager
def zendesk_api() -> Iterator[None]:
    with responses.RequestsMock() as mock:
        mock.get(f"{ZENDESK}/users/me.json", json=zendesk_fixture("me"))
        yield


@contextmanager
def stripe_api() -> Iterator[None]:
    with responses.RequestsMock() as mock:
        mock.get("http://stripe.fake/v1/customers", json={"object": "list", "data": [], "has_more": False})
        yield


@contextmanager
def freshdesk_api() -> Iterator[None]:
    with respx.mock(base_url=FRESHDESK, assert_all_called=False) as mock:
        mock.route().mock(side_effect=FakeFreshdesk())
        yield


@contextmanager
def salesforce_api() -> Iterator[None]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.GET, re.compile(rf"{re.escape(SALESFORCE)}/query(All)?/.*"), callback=FakeSalesforce()
        )
        yield


# (kind, its settings, the fake API, what its connection test says, the secret that must never be shown)
KINDS: list[tuple[str, list[str], Callable[[], AbstractContextManager[None]], str, str]] = [
    (
        "zendesk",
        ["subdomain=acme", "email=sam@vendor.example", "api_token=zd-s3cret"],
        zendesk_api,
        "signed in as",
        "zd-s3cret",
    ),
    ("freshdesk", ["domain=acme", "api_key=fd-s3cret"], freshdesk_api, "signed in as", "fd-s3cret"),
    (
        "stripe",
        ["api_key=rk_test_s3cret", "base_url=http://stripe.fake"],
        stripe_api,
        "customers readable",
        "rk_test_s3cret",
    ),
    (
        "salesforce",
        ["session_id=00Dxx!s3cret", f"instance_url={INSTANCE}"],
        salesforce_api,
        "accounts readable",
        "00Dxx!s3cret",
    ),
]


@pytest.mark.parametrize(("kind", "settings", "api", "answer", "secret"), KINDS, ids=[k[0] for k in KINDS])
def test_a_source_is_added_with_its_secret_encrypted_and_tested(
    kind: str,
    settings: list[str],
    api: Callable[[], AbstractContextManager[None]],
    answer: str,
    secret: str,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANDEM_SECRET_KEYS", Fernet.generate_key().decode())
    runner = CliRunner()
    added = runner.invoke(app, ["sources", "add", kind, "src", *(a for s in settings for a in ("--set", s))])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output and json.loads(listed.output)[0]["kind"] == kind  # shown as ***
    with api():
        tested = runner.invoke(app, ["sources", "test", "src"])
    assert tested.exit_code == 0, tested.output
    assert answer in tested.output
