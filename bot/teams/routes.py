"""`POST /api/messages`, the Bot Framework's endpoint, on the FastAPI app.

The request's JWT is validated by the SDK (signature against the Bot Framework's published keys, issuer,
audience = MICROSOFT_APP_ID, service URL) before the bot sees the activity; anything that fails is a 401.
The router is only mounted when MICROSOFT_APP_ID is set: without an app id the SDK would accept anyone
(the emulator's mode), and Tandem never serves its book unauthenticated.
"""

from __future__ import annotations

import logging

from botbuilder.core import CloudAdapterBase, TurnContext, serializer_helper
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.db import Database
from bot.delivery.routing import chat_channels
from bot.settings import Settings
from bot.teams import auth
from bot.teams.activity_shape import read_activity
from bot.teams.bot import TandemTeamsBot
from bot.teams.flows import TeamsFlows
from bot.teams.relay import ChannelRelay, HandoffRelay

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def refused(status: int, reason: str) -> Response:
    """One log line (the reason names no value from the request) and an empty answer."""
    log.info("Teams request refused (%d): %s", status, reason)
    return Response(status_code=status)


def build_bot(settings: Settings, db: Database, relay: HandoffRelay | None = None) -> TandemTeamsBot:
    relay = relay or ChannelRelay(db, lambda org_id: chat_channels(settings, db, org_id))
    return TandemTeamsBot(TeamsFlows(db, settings.org, settings), relay)


def teams_router(
    settings: Settings, db: Database, relay: HandoffRelay | None = None, allow_anonymous: bool = False
) -> APIRouter:
    """The endpoint; `allow_anonymous` (no app id, the emulator's mode) is for local experiments only."""
    if not settings.microsoft_app_id and not allow_anonymous:
        raise ValueError("MICROSOFT_APP_ID is not set: /api/messages would accept unauthenticated requests")
    authentication = auth.bot_framework_authentication(settings)
    adapter = CloudAdapterBase(authentication)
    bot = build_bot(settings, db, relay)

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.exception("Teams turn failed", exc_info=error)
        await context.send_activity("Sorry, something went wrong on Tandem's side. Please try again.")

    adapter.on_turn_error = on_error
    router = APIRouter(tags=["teams"], max_body_size=MAX_BODY)  # an activity is a few kilobytes

    async def authenticated(activity: Activity, header: str | None) -> AuthenticateRequestResult | str:
        """The SDK's verdict on the token for `activity`, or why it refused it."""
        try:
            return await authentication.authenticate_request(activity, header)
        except Exception as exc:  # a forged, expired or missing token: the SDK raises various errors
            return f"token refused ({type(exc).__name__})"

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        body = await request.body()  # at most MAX_BODY: FastAPI answers 413 past it
        header = request.headers.get("Authorization") or None
        # Verify before parsing: the token alone first (signature, issuer, audience: an activity without a
        # channel or service URL binds it to neither), then the body, then the token against the activity.
        if isinstance(unbound := await authenticated(Activity(), header), str):
            return refused(401, unbound)
        activity = read_activity(body)
        if isinstance(activity, str):
            return refused(400, activity)
        if isinstance(result := await authenticated(activity, header), str):
            return refused(401, result)
        invoke = await adapter.process_activity(result, activity, bot.on_turn)
        if invoke is not None:
            return JSONResponse(serializer_helper(invoke.body), status_code=invoke.status)
        return Response(status_code=201)

    return router
