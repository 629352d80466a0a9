"""/account in Slack with a model: the facts answer at once, the model's brief replaces it after the ack."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.llm import FALLBACK_NOTE
from bot.models import ModelText
from bot.render import actions as act
from bot.render.validate import validate_blocks
from tests.fakes.openai_server import FakeOpenAI, user_text
from tests.slack_harness import SlackEnv, running_slack, wait_for

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _brief(body: dict[str, Any]) -> str:
    phone = re.search(r"<PHONE_\d+>", user_text(body))
    return "The account needs attention, health is falling.\n" + (
        f"Reach the champion at {phone.group(0)}." if phone else "Nothing recent was written."
    )


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=_brief) as server:
        yield server


def _texts(env: SlackEnv, since: int) -> list[dict[str, Any]]:
    return env.responses()[since:]


def test_the_brief_follows_the_ack_and_replaces_the_answer(db: Database, model: FakeOpenAI) -> None:
    overrides = {"openai_api_key": "sk-test", "openai_base_url": model.base_url, "llm_max_retries": 0}
    with running_slack(db, **overrides) as env:
        response = env.command("/account", "Northwind Logistics")
        assert response.status_code == 200 and response.text in ("", "null")  # the ack: empty, at once
        first, second = wait_for(lambda: _texts(env, 0) if len(_texts(env, 0)) >= 2 else None)
        assert "Northwind Logistics" in first["text"] and not first.get("replace_original")
        assert second["replace_original"] is True and second["response_type"] == "ephemeral"
        validate_blocks(second["blocks"])
        shown = json.dumps(second["blocks"], ensure_ascii=False)
        assert "The account needs attention" in shown and "<PHONE_" not in shown  # restored for the team
        assert len(model.requests) == 1
        sent = user_text(model.requests[0])
        assert "Recent notes" in sent and not _EMAIL.search(sent)

        # "What did the model see?": the exact masked input, for the account's team.
        button = next(
            e
            for b in second["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"].split(":")[0] == act.MODEL_INPUT
        )
        before = len(env.responses())
        env.button(button["action_id"], button["value"])
        reply = wait_for(lambda: _texts(env, before))[0]
        seen = reply["text"]
        assert "What the model saw" in seen and not _EMAIL.search(seen)  # the fallback text, clipped at 3000
        validate_blocks(reply["blocks"])  # and the blocks carry all of it, to the character
        whole = "".join(b["text"]["text"][3:-3] for b in reply["blocks"][1:] if b["type"] == "section")
        assert "<PHONE_1>" in html.unescape(whole) and not _EMAIL.search(whole)
        with env.db.session() as session:
            stored = session.scalars(select(ModelText).where(ModelText.purpose == "brief")).one().masked_input
        assert html.unescape(whole) == stored.replace("```", "ˋˋˋ")
        before = len(env.responses())
        env.button(button["action_id"], button["value"], user="U0DEMOAM2")  # an AM of other accounts
        refused = wait_for(lambda: _texts(env, before))[0]
        assert "Only the account's own team" in refused["text"] and not refused.get("blocks")

        # Asked again with unchanged data: the stored brief, no new model call.
        before = len(env.responses())
        env.command("/account", "Northwind Logistics")
        wait_for(lambda: len(_texts(env, before)) >= 2)
        assert len(model.requests) == 1


def test_a_model_outage_keeps_the_facts_and_says_so(db: Database) -> None:
    with FakeOpenAI(status=500) as down:
        overrides = {"openai_api_key": "sk-test", "openai_base_url": down.base_url, "llm_max_retries": 0}
        with running_slack(db, **overrides) as env:
            env.command("/account", "Northwind Logistics")
            _, second = wait_for(lambda: _texts(env, 0) if len(_texts(env, 0)) >= 2 else None)
            shown = json.dumps(second["blocks"], ensure_ascii=False)
            assert "Northwind Logistics" in shown and FALLBACK_NOTE in shown
            assert "The account needs attention" not in shown


def test_without_a_model_the_first_answer_is_final(slack_env: SlackEnv) -> None:
    slack_env.command("/account", "Northwind Logistics")
    wait_for(lambda: _texts(slack_env, 0))
    with pytest.raises(AssertionError):
        wait_for(lambda: len(_texts(slack_env, 0)) >= 2, timeout=1.0)
