"""Multi-workspace mode: a workspace installs Tandem through Slack's OAuth v2 flow, against a fake Slack,
and its bot token is stored encrypted and used for its linked organization."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from bot.app import create_app
from bot.db import Database
from bot.membership import link_workspace
from bot.models import ChatInstallation
from bot.orgs import ensure_org
from bot.settings import Settings
from bot.slack.installations import bot_token_for_org
from tests.fakes.slack_api import FakeSlack
from tests.slack_harness import SIGNING_SECRET, ServerThread


def _state_of(install_page: str) -> str:
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', install_page)
    assert link, install_page
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"] and "chat:write" in query["scope"][0]
    return query["state"][0]


def test_a_workspace_installs_and_its_token_is_stored_encrypted_and_used(db: Database) -> None:
    with FakeSlack(tokens=()) as fake:
        settings = Settings(
            database_url=db.url,
            slack_client_id="111.222",
            slack_client_secret="client-s3cret",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
            secret_keys=Fernet.generate_key().decode(),
            openai_api_key=None,
            microsoft_app_id=None,
        )
        with ServerThread(create_app(settings, db)) as url, httpx.Client(base_url=url) as web:
            install = web.get("/slack/install")
            state = _state_of(install.text)
            # The browser's state cookie (Secure: a browser sends it back over https; here, by hand).
            browser = {"Cookie": install.headers["set-cookie"].split(";")[0]}

            def redirect(state: str, cookie: dict[str, str]) -> httpx.Response:
                params = {"code": fake.authorize(), "state": state}
                return web.get("/slack/oauth_redirect", params=params, headers=cookie)

            assert redirect(state + "x", browser).status_code >= 400  # a state Tandem did not sign installs nothing
            assert redirect(state, {}).status_code >= 400  # nor one begun in another browser (CSRF)
            done = redirect(state, browser)
            assert done.status_code == 200, done.text
    assert [c.method for c in fake.state.calls].count("oauth.v2.access") == 1
    with db.engine.connect() as conn:
        raw = conn.scalar(text("SELECT encrypted FROM chat_installations WHERE team_id = 'T9'"))
    assert raw and "xoxb-installed" not in raw  # encrypted at rest
    with db.session() as session:
        org = ensure_org(session, "acme")
        link_workspace(session, org, "slack", "T9")
        org_id = org.id
        assert session.scalar(select(ChatInstallation.team_id)) == "T9"
    assert (bot_token_for_org(db, settings, org_id) or "").startswith("xoxb-installed-")
