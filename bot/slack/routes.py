"""Slack's HTTP endpoints on the FastAPI app: events, commands and interactivity, and the OAuth install."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from bot.db import Database
from bot.settings import Settings
from bot.slack.app import TandemSlack


def slack_router(settings: Settings, db: Database) -> APIRouter:
    tandem = TandemSlack(settings, db)
    handler = AsyncSlackRequestHandler(tandem.app)
    router = APIRouter(prefix="/slack", tags=["slack"])

    @router.post("/events", include_in_schema=False)
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    if not tandem.single_workspace:

        @router.get("/install", include_in_schema=False)
        async def install(request: Request) -> Response:
            return await handler.handle(request)

        @router.get("/oauth_redirect", include_in_schema=False)
        async def oauth_redirect(request: Request) -> Response:
            return await handler.handle(request)

    if settings.slack_app_token is not None:
        from bot.slack.socket_mode import socket_mode_hooks

        start, stop = socket_mode_hooks(tandem.app, settings.slack_app_token.get_secret_value())
        router.on_startup.append(start)
        router.on_shutdown.append(stop)
    return router
