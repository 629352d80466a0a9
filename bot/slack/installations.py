"""Slack OAuth installations in Tandem's own database, encrypted at rest (tokens never stored in clear).

Follows slack_sdk's installation store interface, so Bolt's OAuth flow and authorization use it unchanged.
The OAuth `state` is signed and time-limited (HMAC with the client secret) and Bolt also binds it to a
browser cookie, so no state table is needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select

from bot.crypto import SecretBox
from bot.db import Database
from bot.models import ChatInstallation, ChatLink
from bot.settings import Settings


def _encode(installation: Installation) -> str:
    data = installation.to_dict()
    return json.dumps(data, default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v))


def _decode(raw: str) -> Installation:
    data: dict[str, Any] = json.loads(raw)
    known = Installation.__init__.__code__.co_varnames
    return Installation(**{k: v for k, v in data.items() if k in known})


class EncryptedInstallationStore(AsyncInstallationStore):
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db, self.box = db, box

    def save_sync(self, installation: Installation) -> None:
        keys = {
            "platform": "slack",
            "enterprise_id": installation.enterprise_id or "",
            "team_id": installation.team_id or "",
        }
        encrypted = self.box.encrypt(_encode(installation))
        with self.db.session() as session:
            # The bot row (user "") always holds the latest bot token; each installing user gets their own.
            for user_id in {"", installation.user_id or ""}:
                row = session.scalar(select(ChatInstallation).filter_by(**keys, user_id=user_id))
                if row is None:
                    session.add(ChatInstallation(**keys, user_id=user_id, encrypted=encrypted))
                else:
                    row.encrypted = encrypted

    def find_sync(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> Installation | None:
        with self.db.session() as session:
            row = session.scalar(
                select(ChatInstallation).filter_by(
                    platform="slack", enterprise_id=enterprise_id or "", team_id=team_id or "", user_id=user_id or ""
                )
            )
            return _decode(self.box.decrypt(row.encrypted)) if row is not None else None

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save_sync, installation)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(self.find_sync, enterprise_id, team_id, user_id)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        installation = await asyncio.to_thread(self.find_sync, enterprise_id, team_id, None)
        return installation.to_bot() if installation is not None and installation.bot_token else None

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        def run() -> None:
            with self.db.session() as session:
                query = delete(ChatInstallation).filter_by(
                    platform="slack", enterprise_id=enterprise_id or "", team_id=team_id or ""
                )
                if user_id is not None:
                    query = query.filter_by(user_id=user_id)
                session.execute(query)

        await asyncio.to_thread(run)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class SignedStateStore(AsyncOAuthStateStore):
    """A state is `<nonce>.<issued>.<hmac>`: valid for `expiration_seconds`, forged ones fail."""

    def __init__(self, secret: str, expiration_seconds: int = 600) -> None:
        self.secret = secret.encode()
        self.expiration_seconds = expiration_seconds

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        body = f"{secrets.token_urlsafe(16)}.{int(time.time())}"
        return f"{body}.{self._sign(body)}"

    async def async_consume(self, state: str) -> bool:
        body, _, signature = state.rpartition(".")
        issued = body.rpartition(".")[2]
        if not issued.isdigit() or not hmac.compare_digest(self._sign(body), signature):
            return False
        return time.time() - int(issued) <= self.expiration_seconds


def bot_token_for_org(db: Database, settings: Settings, org_id: int) -> str | None:
    """The bot token to message an organization's people: the single-workspace token, or its installation's."""
    if settings.slack_client_id is None:
        return settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    with db.session() as session:
        link = session.scalar(select(ChatLink).where(ChatLink.org_id == org_id, ChatLink.platform == "slack"))
    if link is None:
        return None
    installation = EncryptedInstallationStore(db, SecretBox.from_settings(settings)).find_sync(None, link.external_id)
    return installation.bot_token if installation is not None else None
