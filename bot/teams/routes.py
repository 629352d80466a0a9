"""`POST /api/messages`, the Bot Framework's endpoint, on the FastAPI app.

The request's JWT is validated by the SDK (signature against the Bot Framework's published keys, issuer,
audience = MICROSOFT_APP_ID, service URL) before the bot sees the activity; anything that fails is a 401.
The router is only mounted when MICROSOFT_APP_ID is set: without an app id the SDK would accept anyone
(the emulator's mode), and Tandem never serves its book unauthenticated.
"""

from __future__ import annotations

import json
import logging

from botbuilder.core import CloudAdapterBase, TurnContext, serializer_helper
from botbuilder.schema import Activity
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.db import Database
from bot.delivery.routing import chat_channels
from bot.settings import Settings
from bot.teams import auth
from bot.teams.bot import TandemTeamsBot
from bot.teams.flows import TeamsFlows
from bot.teams.relay import ChannelRelay, HandoffRelay

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


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
    router = APIRouter(tags=["teams"])

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            activity = Activity().deserialize(data) if isinstance(data, dict) else None
        except ValueError:
            activity = None
        if activity is None or not activity.type:
            return Response(status_code=400)
        header = request.headers.get("Authorization") or None
        try:
            result = await authentication.authenticate_request(activity, header)
        except Exception as exc:  # a forged, expired or missing token: the SDK raises various errors
            log.info("Teams request refused: %s", type(exc).__name__)
            return Response(status_code=401)
        invoke = await adapter.process_activity(result, activity, bot.on_turn)
        if invoke is not None:
            return JSONResponse(serializer_helper(invoke.body), status_code=invoke.status)
        return Response(status_code=201)

    return router
