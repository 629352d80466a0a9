"""Bot Framework authentication: JWT validation of what reaches /api/messages, credentials for what we send.

Always the SDK's parameterized authentication, with the public cloud's endpoints unless
TANDEM_TEAMS_OPENID_METADATA_URL / TANDEM_TEAMS_TOKEN_ISSUER say otherwise (a sovereign cloud, or the tests'
local identity provider), so production and tests run the same validation code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import (
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
    PasswordServiceClientCredentialFactory,
    ServiceClientCredentialsFactory,
)

from bot.settings import Settings


@dataclass(frozen=True)
class Endpoints:
    openid_metadata_url: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    token_issuer: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    login_url: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL
    oauth_scope: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE

    @classmethod
    def from_env(cls) -> Endpoints:
        default = cls()
        return cls(
            openid_metadata_url=os.environ.get("TANDEM_TEAMS_OPENID_METADATA_URL") or default.openid_metadata_url,
            token_issuer=os.environ.get("TANDEM_TEAMS_TOKEN_ISSUER") or default.token_issuer,
        )


def credential_factory(settings: Settings) -> ServiceClientCredentialsFactory:
    """App id and password (and tenant, for a single-tenant app); no app id means no authentication."""
    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else None
    return PasswordServiceClientCredentialFactory(settings.microsoft_app_id, password, settings.microsoft_app_tenant_id)


def bot_framework_authentication(settings: Settings, endpoints: Endpoints | None = None) -> BotFrameworkAuthentication:
    endpoints = endpoints or Endpoints.from_env()
    login_url = endpoints.login_url
    if settings.microsoft_app_tenant_id:
        login_url = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + settings.microsoft_app_tenant_id
    return BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=login_url,
        to_channel_from_bot_oauth_scope=endpoints.oauth_scope,
        to_bot_from_channel_token_issuer=endpoints.token_issuer,
        oauth_url=AuthenticationConstants.OAUTH_URL,
        to_bot_from_channel_open_id_metadata_url=endpoints.openid_metadata_url,
        to_bot_from_emulator_open_id_metadata_url=AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        caller_id=CallerIdConstants.public_azure_channel,
        credential_factory=credential_factory(settings),
        auth_configuration=AuthenticationConfiguration(),
    )
