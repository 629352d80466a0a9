"""Slack's HTTP endpoints on the FastAPI app: events, commands and interactivity, and the OAuth install."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier

from bot.db import Database
from bot.settings import Settings
from bot.slack.app import TandemSlack
from bot.slack.verified_request import refusal_of

log = logging.getLogger(__name__)


def slack_router(settings: Settings, db: Database) -> APIRouter:
    tandem = TandemSlack(settings, db)
    handler = AsyncSlackRequestHandler(tandem.app)
    router = APIRouter(prefix="/slack", tags=["slack"])
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    verifier = SignatureVerifier(secret) if secret else None

    @router.post("/events", include_in_schema=False)
    async def events(request: Request) -> Response:
        body = await request.body()  # at most the app's max_body_size: FastAPI answers 413 past it
        refusal = refusal_of(verifier, request.headers, body)
        if refusal is not None:
            return Response(status_code=refusal.status)
        return to_starlette_response(await tandem.app.async_dispatch(to_async_bolt_request(request, body)))

    if not tandem.single_workspace:

        @router.get("/install", include_in_schema=False)
        async def install(request: Request) -> Response:
            return await _oauth_step(request)

        @router.get("/oauth_redirect", include_in_schema=False)
        async def oauth_redirect(request: Request) -> Response:
            return await _oauth_step(request)

        async def _oauth_step(request: Request) -> Response:
            if await request.body():  # Bolt would decode it; a browser never sends one
                log.info("Slack OAuth request refused (400): a GET with a body")
                return Response(status_code=400)
            return await handler.handle(request)

    if settings.slack_app_token is not None:
        from bot.slack.socket_mode import socket_mode_hooks

        start, stop = socket_mode_hooks(tandem.app, settings.slack_app_token.get_secret_value())
        router.on_startup.append(start)
        router.on_shutdown.append(stop)
    return router
