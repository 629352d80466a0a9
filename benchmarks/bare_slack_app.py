"""The baseline for bench_slack.py: a bare slack-bolt app on FastAPI that acks and answers a constant."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

bolt = AsyncApp(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
)


@bolt.command("/account")
async def account(ack: AsyncAck, respond: AsyncRespond) -> None:
    await ack()
    await respond(text="constant")


handler = AsyncSlackRequestHandler(bolt)
app = FastAPI()


@app.post("/slack/events")
async def events(request: Request) -> Response:
    return await handler.handle(request)
