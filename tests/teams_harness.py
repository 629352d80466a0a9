"""Tandem's Teams bot over real HTTP: uvicorn on loopback, a local fake Bot Connector and identity provider.

The `teams_env` fixture (test_teams_http.py) loads the demo book (its CSMs live in Teams), starts the fake
connector, points the SDK's JWT validation at the fake's OpenID metadata, and serves `create_app` with
MICROSOFT_APP_ID set. Requests carry tokens signed by the fake; answers and proactive messages land in it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botframework.connector.auth import MicrosoftAppCredentials, PasswordServiceClientCredentialFactory
from sqlalchemy import select

from bot.db import Database
from bot.models import Member
from bot.settings import Settings
from bot.teams import auth
from bot.tenancy import scope_session
from tests.fakes.bot_connector import OUTBOUND_TOKEN, FakeBotConnector
from tests.slack_harness import load_demo

APP_ID = "00000000-0000-4000-8000-000000000001"
TENANT = "tenant-1"
CSM = "29:demo-csm-1"  # Chloé Dubois, CSM (Teams)
CSM_AAD = "aad-chloe"
_ids = itertools.count(1)


class StaticTokenCredentials(MicrosoftAppCredentials):
    """Outbound credentials with a fixed token: the real ones ask login.microsoftonline.com."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


class StaticTokenFactory(PasswordServiceClientCredentialFactory):
    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> MicrosoftAppCredentials:
        if not await self.is_valid_app_id(app_id):
            raise PermissionError("invalid app id")
        return StaticTokenCredentials(app_id, "", None, oauth_scope)


def use_fake_identity(monkeypatch: pytest.MonkeyPatch, fake: FakeBotConnector) -> None:
    monkeypatch.setenv("TANDEM_TEAMS_OPENID_METADATA_URL", fake.metadata_url)
    monkeypatch.setattr(auth, "credential_factory", lambda settings: StaticTokenFactory(settings.microsoft_app_id))


def personal_conversation(user: str) -> str:
    return f"a:personal-{user}"


def activity(
    text: str | None = None,
    user: str = CSM,
    aad: str | None = CSM_AAD,
    service_url: str = "http://127.0.0.1:1/",
    tenant: str = TENANT,
    conversation: str | None = None,
    kind: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """A Teams activity as the Bot Framework posts it (personal chat unless `conversation` says otherwise)."""
    personal = conversation is None
    body: dict[str, Any] = {
        "type": kind,
        "id": f"msg{next(_ids)}",
        "timestamp": "2026-11-22T08:00:00Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user, "name": "Someone", **({"aadObjectId": aad} if aad else {})},
        "recipient": {"id": f"28:{APP_ID}", "name": "Tandem"},
        "conversation": {
            "id": conversation or personal_conversation(user),
            "conversationType": "personal" if personal else "channel",
            "tenantId": tenant,
            **({} if personal else {"isGroup": True}),
        },
        "channelData": {"tenant": {"id": tenant}},
        **extra,
    }
    if text is not None:
        body["text"] = text
    return body


@dataclass
class TeamsEnv:
    db: Database
    fake: FakeBotConnector
    url: str
    settings: Settings
    org_id: int

    def activity(self, text: str | None = None, **kw: Any) -> dict[str, Any]:
        return activity(text, service_url=self.fake.service_url, **kw)

    def post(self, body: dict[str, Any], token: str | None = "valid", **headers: str) -> httpx.Response:
        if token == "valid":
            token = self.fake.token(APP_ID, body.get("serviceUrl"))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.post(f"{self.url}/api/messages", json=body, headers=headers, timeout=20)

    def say(self, text: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        """Send a message as a user; the cards (or texts) the bot answered in that conversation."""
        body = self.activity(text, **kw)
        conversation = body["conversation"]["id"]
        before = len(self.fake.posts(conversation))
        response = self.post(body)
        assert response.status_code in (200, 201), response.text
        answers = []
        for post in self.fake.posts(conversation)[before:]:
            attachments = post.activity.get("attachments") or []
            answers.append(attachments[0]["content"] if attachments else {"text": post.activity.get("text")})
        return answers


def teams_settings(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": "test-password",
        "openai_api_key": None,
        "slack_bot_token": None,
        "slack_client_id": None,
        "org": "default",
        **overrides,
    }
    return Settings(**values)


def load_pairs(db: Database) -> int:
    """The demo book with its real split: AMs in Slack, CSMs in Teams only."""
    org_id = load_demo(db, slack_only=False)
    with db.session() as session:
        scope_session(session, org_id)  # as the app's database role would
        for member in session.scalars(select(Member).where(Member.teams_user_id.is_not(None))):
            member.slack_user_id = None
    return org_id


def teams_members(db: Database) -> dict[str, Member]:
    with db.session() as session:
        return {m.email: m for m in session.scalars(select(Member))}
