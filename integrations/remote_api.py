"""What every connector to a remote API accepts about retries and time, declared once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
