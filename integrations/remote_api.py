"""What connectors to remote APIs share: retry and time settings, and matching records to accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class RemoteApiConfig(BaseModel):
    """Transient failures (5xx, dropped connections) are retried with exponential backoff; a connector whose
    service answers slowly or throttles harder sets other defaults by declaring the field again."""

    model_config = ConfigDict(extra="forbid")

    max_retries: int = Field(5, ge=0, le=10)
    retry_backoff: float = Field(1.0, ge=0)  # seconds, doubled at each retry
    timeout_seconds: float = Field(60, gt=0)


class RateLimitedApiConfig(RemoteApiConfig):
    """For services that answer 429 with a Retry-After to wait out rather than a number of retries."""

    rate_limit_budget_seconds: int = Field(600, gt=0)  # the longest total wait on 429 Retry-After


class AccountMatchedSource(Generic[ConfigT]):
    """A source whose records name the customer in its own terms (a support organization, a billing
    customer) and are matched to the book's accounts.

    `accounts` (account id -> domain, from storage) enables domain matching, and records whose customer
    matches no known account are set aside as problems instead of failing the whole batch at storage.
    `cursor` is where the previous sync stopped; `full` ignores it. The class itself is the kind's
    `connector` factory: (name, config, cursor, full, accounts)."""

    def __init__(
        self,
        name: str,
        config: ConfigT,
        cursor: dict[str, Any] | None,
        full: bool = False,
        accounts: Mapping[str, str | None] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.accounts = accounts
        self.by_domain = {d.lower(): a for a, d in (accounts or {}).items() if d}
        self.resume(None if full else cursor)
        self.connect()

    def resume(self, cursor: dict[str, Any] | None) -> None:
        """Read where to start from the stored cursor (None: from the beginning)."""

    def connect(self) -> None:
        """Build the vendor's client from `self.config` (no request is made yet)."""
