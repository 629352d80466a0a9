"""Socket Mode for local development: Slack pushes events over a WebSocket, so no public URL is needed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


def socket_mode_hooks(
    app: AsyncApp, app_token: str
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """Start and stop callbacks for the web application's life cycle."""
    handler = AsyncSocketModeHandler(app, app_token)

    async def start() -> None:
        await handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def stop() -> None:
        await handler.close_async()

    return start, stop
