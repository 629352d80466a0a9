"""The admin API: every route refuses without the token, works with it, and never answers 500."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import create_app
from bot.db import Database
from bot.models import AuditEntry, Organization
from bot.settings import Settings

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEMBER = {"name": "Ada", "role": "am", "digest_time": "08:00", "timezone": "Europe/Paris"}

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/admin/orgs", None),
    ("POST", "/admin/orgs", {"slug": "acme", "name": "Acme"}),
    ("GET", "/admin/orgs/acme/members", None),
    ("PUT", "/admin/orgs/acme/members/ada@acme.example", MEMBER),
    ("GET", "/admin/orgs/acme/sources", None),
    ("GET", "/admin/orgs/acme/settings", None),
    ("PUT", "/admin/orgs/acme/settings", {"scoring": {}}),
    ("PUT", "/admin/orgs/acme/chat-links", {"platform": "slack", "external_id": "T0ACME"}),
    ("POST", "/admin/orgs/acme/export", None),
    ("DELETE", "/admin/orgs/acme", None),
]


@pytest.fixture
def api(db: Database) -> FastAPI:
    settings = Settings(TANDEM_DATABASE_URL=db.url, TANDEM_ADMIN_TOKEN=SecretStr(TOKEN))
    return create_app(settings, db)


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_without_the_token(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)


def test_every_route_works_with_the_token(client: TestClient, db: Database) -> None:
    results = {}
    for method, path, body in ROUTES:
        response = client.request(method, path, json=body, headers=AUTH)
        results[(method, path)] = response
        assert response.status_code < 300, (method, path, response.text)
    assert results[("GET", "/admin/orgs/acme/members")].json() == []
    export = results[("POST", "/admin/orgs/acme/export")]
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        members = json.loads(archive.read("members.json"))
    assert [m["email"] for m in members] == ["ada@acme.example"]
    assert client.get("/admin/orgs", headers=AUTH).json() == []  # deleted
    with db.session() as session:  # the org's audit rows went with it
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_exports_and_settings_changes_are_audited_and_a_deletion_is_logged(
    client: TestClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.post("/admin/orgs", json={"slug": "kept", "name": "Kept"}, headers=AUTH).status_code == 201
    assert client.post("/admin/orgs/kept/export", headers=AUTH).status_code == 200
    settings = {"scoring": {"renewal_window_days": 100}}
    assert client.put("/admin/orgs/kept/settings", json=settings, headers=AUTH).status_code < 300
    with db.session() as session:
        entries = [(a.actor, a.action) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert ("admin-api", "org.export") in entries and ("admin-api", "settings.update") in entries
    with caplog.at_level(logging.WARNING, logger="bot.gdpr"):
        assert client.delete("/admin/orgs/kept", headers=AUTH).status_code < 300
    assert any("'kept'" in r.getMessage() and "deleted" in r.getMessage() for r in caplog.records)


def test_bad_bodies_get_422_and_unknown_orgs_404(client: TestClient) -> None:
    assert client.post("/admin/orgs", json={"slug": "Bad Slug!", "name": "x"}, headers=AUTH).status_code == 422
    assert (
        client.post("/admin/orgs", json={"slug": "ok", "name": "x", "timezone": "Mars/Base"}, headers=AUTH).status_code
        == 422
    )
    assert client.post("/admin/orgs", content=b"{not json", headers=AUTH).status_code == 422
    assert client.post("/admin/orgs", json={"slug": "ok", "name": "ok"}, headers=AUTH).status_code == 201
    assert client.post("/admin/orgs", json={"slug": "ok", "name": "ok"}, headers=AUTH).status_code == 409
    assert (
        client.put("/admin/orgs/ok/members/x@y.example", json={**MEMBER, "role": "boss"}, headers=AUTH).status_code
        == 422
    )
    assert client.put("/admin/orgs/ok/members/not-an-email", json=MEMBER, headers=AUTH).status_code == 422
    bad = client.put("/admin/orgs/ok/settings", json={"scoring": {"no_such_threshold": 1}}, headers=AUTH)
    assert bad.status_code == 422 and "no_such_threshold" in bad.text
    assert client.get("/admin/orgs/nope/members", headers=AUTH).status_code == 404


def test_a_workspace_links_to_one_organization_only(client: TestClient) -> None:
    for slug in ("one", "two"):
        assert client.post("/admin/orgs", json={"slug": slug, "name": slug}, headers=AUTH).status_code == 201
    link = {"platform": "slack", "external_id": "T0SHARED"}
    assert client.put("/admin/orgs/one/chat-links", json=link, headers=AUTH).status_code == 200
    assert client.put("/admin/orgs/one/chat-links", json=link, headers=AUTH).status_code == 200  # idempotent
    assert client.put("/admin/orgs/two/chat-links", json=link, headers=AUTH).status_code == 409
    bad = {"platform": "irc", "external_id": "x"}
    assert client.put("/admin/orgs/one/chat-links", json=bad, headers=AUTH).status_code == 422


def test_the_admin_token_is_required_even_when_unset(db: Database) -> None:
    app = create_app(Settings(TANDEM_DATABASE_URL=db.url), db)
    with TestClient(app) as c:
        assert c.get("/admin/orgs", headers={"Authorization": "Bearer "}).status_code == 401


def test_no_input_makes_the_admin_api_fail(api: FastAPI) -> None:
    """Schemathesis generates bodies and parameters from the OpenAPI spec: none may cause a 500."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api).include(path_regex="^/admin")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: Any) -> None:
            response = case.call(headers=AUTH)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"

        no_server_error()


def test_the_nightly_schedule_is_a_validated_setting_the_scheduler_plans(client: TestClient, db: Database) -> None:
    from bot.scheduler.plan import plan

    assert client.post("/admin/orgs", json={"slug": "sched", "name": "Sched"}, headers=AUTH).status_code == 201
    assert client.get("/admin/orgs/sched/settings", headers=AUTH).json()["schedule"] == {"nightly_cron": "0 2 * * *"}
    bad = client.put("/admin/orgs/sched/settings", json={"schedule": {"nightly_cron": "99 * * * *"}}, headers=AUTH)
    assert bad.status_code == 422
    good = client.put("/admin/orgs/sched/settings", json={"schedule": {"nightly_cron": "30 3 * * 1-5"}}, headers=AUTH)
    assert good.status_code == 200 and good.json()["schedule"]["nightly_cron"] == "30 3 * * 1-5"
    # A later settings update without a schedule keeps it.
    assert client.put("/admin/orgs/sched/settings", json={"scoring": {}}, headers=AUTH).status_code == 200
    with db.session() as session:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == "sched"))
    nightly = next(spec for spec in plan(db) if spec.id == f"nightly:{org_id}")
    assert "hour='3'" in str(nightly.trigger) and "minute='30'" in str(nightly.trigger)
    assert "day_of_week='mon,tue,wed,thu,fri'" in str(nightly.trigger)  # crontab's 1-5, not APScheduler's


def test_a_name_with_a_control_character_is_bad_input_not_a_server_error(client: TestClient) -> None:
    """PostgreSQL refuses NUL in text: the API refuses it first, with 422, for organizations and members."""
    bad = client.post("/admin/orgs", json={"slug": "nul", "name": "Acme\x00Corp"}, headers=AUTH)
    assert bad.status_code == 422
    assert client.post("/admin/orgs", json={"slug": "nul", "name": "Acme Corp"}, headers=AUTH).status_code == 201
    member = client.put("/admin/orgs/nul/members/a@x.io", json={"name": "A\x00", "role": "am"}, headers=AUTH)
    assert member.status_code == 422
