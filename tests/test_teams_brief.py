"""`account <name>` in Teams with a model: the card answers at once, then is updated with the model's brief."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from botbuilder.schema import Activity

from bot.db import Database
from bot.llm import FALLBACK_NOTE
from bot.render import actions as act
from bot.render.validate import validate_card
from bot.settings import Settings
from bot.teams.bot import TandemTeamsBot
from bot.teams.flows import TeamsFlows
from bot.teams.relay import ChannelRelay
from tests.fakes.openai_server import FakeOpenAI, user_text
from tests.teams_harness import load_pairs
from tests.test_teams_bot import BotEnv, MemoryChannel, send, submit, text_of

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MODEL_SAYS = "The model read the account: renewal needs care."


def _env(db: Database, base_url: str) -> BotEnv:
    org_id = load_pairs(db)
    channels = {"slack": MemoryChannel("slack"), "teams": MemoryChannel("teams")}
    relay = ChannelRelay(db, lambda _org_id: dict(channels))
    settings = Settings(
        database_url=db.url, openai_api_key="sk-test", openai_base_url=base_url, llm_max_retries=0, org="default"
    )
    bot = TandemTeamsBot(TeamsFlows(db, "default", settings), relay, roster=False)
    return BotEnv(db, org_id, bot, channels)


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=lambda body: f"{MODEL_SAYS}\nNext step: call the champion.") as server:
        yield server


async def test_the_card_is_updated_with_the_models_brief(db: Database, model: FakeOpenAI) -> None:
    env = _env(db, model.base_url)
    adapter = env.adapter()
    replies = await send(adapter, "account Northwind Logistics")
    assert "Northwind Logistics" in text_of(replies) and MODEL_SAYS not in text_of(replies)
    assert len(adapter.updated_activities) == 1
    updated: Activity = adapter.updated_activities[0]
    assert updated.id  # the id Teams gave the first answer: that card is replaced, no second message
    card = updated.attachments[0].content
    validate_card(card)
    assert MODEL_SAYS in json.dumps(card, ensure_ascii=False)
    sent = user_text(model.requests[0])
    assert "Northwind Logistics" in sent and not _EMAIL.search(sent)


async def test_a_model_outage_updates_with_the_marked_fallback(db: Database) -> None:
    with FakeOpenAI(status=500) as down:
        env = _env(db, down.base_url)
        adapter = env.adapter()
        await send(adapter, "account Northwind Logistics")
        card = adapter.updated_activities[0].attachments[0].content
        validate_card(card)
        assert FALLBACK_NOTE in json.dumps(card, ensure_ascii=False)


async def test_what_the_model_saw_is_one_button_away(db: Database, model: FakeOpenAI) -> None:
    env = _env(db, model.base_url)
    adapter = env.adapter()
    await send(adapter, "account Northwind Logistics")
    card = adapter.updated_activities[0].attachments[0].content
    button = next(a for a in card["actions"] if a.get("data", {}).get("action") == act.MODEL_INPUT)
    shown = text_of(await send(adapter, submit(button["data"])))
    assert "What the model saw" in shown and "Northwind Logistics" in shown and not _EMAIL.search(shown)
    assert user_text(model.requests[0]).split("\n")[0] in shown  # what was sent, as it was sent
    forged = text_of(await send(adapter, submit({"action": act.MODEL_INPUT, "model_text_id": 10**6})))
    assert "no longer stored" in forged and "What the model saw" not in forged
