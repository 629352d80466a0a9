"""The admin API over real HTTP: the token is checked before the body is read, then 400 for what is not JSON."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import create_app
from bot.db import Database
from bot.models import AuditEntry, Organization
from bot.settings import Settings
from tests.slack_harness import ServerThread, wait_for

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
NOT_JSON = {
    "not JSON": b"{not json",
    "not UTF-8": b'{"slug": "\xff\xfe", "name": "x"}',
    "truncated": b'{"slug": "acme", "name": ',
}
WRONG_SHAPE = {"a list": b'[{"slug": "acme"}]', "null": b"null", "a number": b"7"}
ROUTES = [("POST", "/admin/orgs"), ("PUT", "/admin/orgs/acme/settings"), ("PUT", "/admin/orgs/acme/chat-links")]


@pytest.fixture
def admin_url(db: Database) -> Iterator[str]:
    settings = Settings(TANDEM_DATABASE_URL=db.url, TANDEM_ADMIN_TOKEN=SecretStr(TOKEN))
    with ServerThread(create_app(settings, db)) as url:
        httpx.post(f"{url}/admin/orgs", json={"slug": "acme", "name": "Acme"}, headers=AUTH).raise_for_status()
        wait_for(lambda: stored(db)[0] == 1)  # the session commits as the response goes out
        yield url


def stored(db: Database) -> tuple[int, int]:
    with db.session() as session:
        orgs = session.scalar(select(func.count()).select_from(Organization)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return orgs, audits


def test_unauthenticated_is_401_whatever_the_body(admin_url: str, db: Database) -> None:
    before = stored(db)
    for method, path in ROUTES:
        for case, body in (NOT_JSON | WRONG_SHAPE).items():
            for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                headers = {"Content-Type": "application/json"} | auth
                response = httpx.request(method, f"{admin_url}{path}", content=body, headers=headers)
                assert response.status_code == 401, (method, path, case, response.status_code)
                assert "Traceback" not in response.text
    assert stored(db) == before


def test_authenticated_bodies_that_are_not_json_are_400_with_one_log_line(
    admin_url: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    before = stored(db)
    for method, path in ROUTES:
        for case, body in NOT_JSON.items():
            with caplog.at_level(logging.INFO):
                caplog.clear()
                response = httpx.request(method, f"{admin_url}{path}", content=body, headers=AUTH)
            assert response.status_code == 400, (method, path, case, response.status_code, response.text)
            assert "Traceback" not in response.text and len(response.content) < 200
            refusals = [r.getMessage() for r in caplog.records if "Admin request refused" in r.getMessage()]
            assert len(refusals) == 1, (case, refusals)
        for case, body in WRONG_SHAPE.items():  # JSON of the wrong shape: the API's usual validation answer
            response = httpx.request(method, f"{admin_url}{path}", content=body, headers=AUTH)
            assert response.status_code == 422, (method, path, case, response.status_code)
    assert stored(db) == before
