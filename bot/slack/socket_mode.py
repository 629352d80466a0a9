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
    """Start and stop callbacks for the web application's life cycle. The handler is made in `start`: its
    aiohttp session needs the server's running event loop, which does not exist yet when the app is built."""
    handlers: list[AsyncSocketModeHandler] = []

    async def start() -> None:
        handler = AsyncSocketModeHandler(app, app_token)
        await handler.connect_async()
        handlers.append(handler)
        log.info("Slack Socket Mode connected")

    async def stop() -> None:
        while handlers:
            await handlers.pop().close_async()

    return start, stop
