"""Typed settings: environment first, then an optional config file (TANDEM_CONFIG, TOML or YAML)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./tandem.db"


def _read_config_file() -> dict[str, Any]:
    path = os.environ.get("TANDEM_CONFIG")
    if not path:
        return {}
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"TANDEM_CONFIG points to {file}, which is not a file")
    text = file.read_text(encoding="utf-8")
    data = tomllib.loads(text) if file.suffix == ".toml" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{file}: expected a mapping of settings at the top level")
    return {str(k).lower(): v for k, v in data.items()}


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Lowest-priority source: keys of the config file, named like the fields (database_url, ...)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return _read_config_file().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in _read_config_file().items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="TANDEM_DATABASE_URL")
    # PostgreSQL role the application runs as (SET ROLE), bound by row-level security. Unset: the login
    # user, which as table owner bypasses it. Set it in production (see the README's security section).
    database_role: str | None = Field(None, validation_alias="TANDEM_DATABASE_ROLE")
    org: str = Field("default", validation_alias="TANDEM_ORG")
    timezone: str = Field("UTC", validation_alias="TANDEM_TIMEZONE")
    # Encrypts secrets at rest (chat tokens, connector credentials). Fernet keys, comma-separated,
    # newest first; unset means an embedded demo with nothing secret to store.
    secret_keys: SecretStr | None = Field(None, validation_alias="TANDEM_SECRET_KEYS")

    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4o-mini", validation_alias="TANDEM_LLM_MODEL")
    llm_timeout: float = Field(20.0, validation_alias="TANDEM_LLM_TIMEOUT")  # seconds per attempt
    llm_max_retries: int = Field(2, validation_alias="TANDEM_LLM_MAX_RETRIES")  # with the client's backoff
    # Tokens one run (a digest run, one /account answer) may spend; past it, the deterministic text.
    llm_run_token_budget: int = Field(200_000, validation_alias="TANDEM_LLM_RUN_TOKEN_BUDGET")
    # Regions whose national phone formats are recognised (and masked); +country numbers always are.
    phone_regions: str = Field("US,GB,FR,DE,ES,IT,NL", validation_alias="TANDEM_PHONE_REGIONS")

    # A digest whose time passed while no scheduler ran is still sent this long after it (then skipped).
    digest_grace_hours: float = Field(3.0, ge=0, le=24, validation_alias="TANDEM_DIGEST_GRACE_HOURS")

    log_level: str = Field("WARNING", validation_alias="TANDEM_LOG_LEVEL")
    log_format: str = Field("text", pattern="^(text|json)$", validation_alias="TANDEM_LOG_FORMAT")

    admin_token: SecretStr | None = Field(None, validation_alias="TANDEM_ADMIN_TOKEN")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    microsoft_app_id: str | None = Field(None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(None, validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MICROSOFT_APP_TENANT_ID")

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None or self.slack_client_id is not None

    @property
    def teams_configured(self) -> bool:
        return self.microsoft_app_id is not None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, _ConfigFileSource(settings_cls))


def get_settings() -> Settings:
    """Read the settings afresh: the CLI and the app call this once at start-up."""
    return Settings()
