"""Slack Web API clients pointed at SLACK_API_URL, with slack_sdk's own retry handlers.

Rate limits (429 + Retry-After) are always safe to retry: Slack did not process the call. Server errors
are not retried here for posts, since the post may have landed; SlackChannel checks before re-posting.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

RATE_LIMIT_RETRIES = 5
# Proactive delivery runs in the background, where waiting is cheap and a dropped digest is not: Slack's
# per-channel and per-method tiers can answer 429 many times in a row during a morning burst.
DELIVERY_RATE_LIMIT_RETRIES = 20
TIMEOUT_SECONDS = 10


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A synchronous client for proactive delivery (digests, alerts, handoffs)."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return WebClient(
        token=token,
        base_url=api_url(settings),
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=DELIVERY_RATE_LIMIT_RETRIES)],
    )


def async_web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """The Bolt app's client: responses to commands and actions (safe to retry on 429 and lost connections)."""
    return AsyncWebClient(
        token=token,
        base_url=api_url(settings),
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncConnectionErrorRetryHandler(),
        ],
    )
