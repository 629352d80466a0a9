"""Validators every outgoing payload passes: slack_sdk's Block Kit models and the Adaptive Card 1.5 schema.

Also the size rules both renderers budget against, so a payload that renders is a payload that posts.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a card is first validated, not at start-up
    from jsonschema import Draft6Validator

MAX_BLOCKS = 50  # Slack's blocks per message
# Slack also rejects a message whose blocks hold more than about 12,000 characters of text in all
# (msg_blocks_too_long, undocumented); we stay under it.
MAX_TEXT_CHARS = 12_000
CARD_LIMIT = 28_000  # bytes: Teams refuses a message over ~28 KB

# A copy of Microsoft's Adaptive Card 1.5 schema (AdaptiveCards repository, schemas/1.5.0, MIT licence,
# notice in its "$comment") ships with the package; shared/schemas/ is the fallback in a source checkout.
BUNDLED_SCHEMA = Path(__file__).with_name("adaptive-card-1.5.json")
SHARED_SCHEMA = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "adaptive-card-1.5.json"


def slack_text_length(node: Any) -> int:
    """Characters of text in blocks, the way Slack's cumulative limit counts them (every "text" string)."""
    if isinstance(node, list):
        return sum(slack_text_length(x) for x in node)
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else slack_text_length(v) for k, v in node.items())
    return 0


def card_size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    """Raise ValueError unless Slack would accept these blocks as one message."""
    # Imported here: slack_sdk's models cost start-up time to every command, and only sending needs them.
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(blocks, list):
        raise ValueError("blocks must be a list")
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks: Slack accepts at most {MAX_BLOCKS} per message")
    if (chars := slack_text_length(blocks)) > MAX_TEXT_CHARS:
        raise ValueError(f"{chars} characters of text: Slack accepts about {MAX_TEXT_CHARS} per message")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            raise ValueError(f"block {index}: not an object")
        try:
            block = Block.parse(raw)
            if block is None:
                raise ValueError(f"unknown block type {str(raw.get('type'))[:40]!r}")
            block.to_dict()  # runs slack_sdk's checks on nested elements and text lengths
        except (SlackObjectFormationError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"block {index} ({str(raw.get('type', '?'))[:40]}): {exc}") from None
        if (block_id := raw.get("block_id")) is not None:
            if block_id in block_ids:
                raise ValueError(f"block {index}: duplicate block_id {block_id!r}")
            block_ids.add(block_id)
        for element in raw.get("elements", []) if raw.get("type") == "actions" else []:
            if (action_id := element.get("action_id")) is not None:
                if action_id in action_ids:
                    raise ValueError(f"block {index}: duplicate action_id {action_id!r} in the message")
                action_ids.add(action_id)


def schema_path() -> Path:
    """TANDEM_CARD_SCHEMA if set, else the bundled copy, else shared/schemas/ beside the repository."""
    if env := os.environ.get("TANDEM_CARD_SCHEMA"):
        return Path(env)
    return BUNDLED_SCHEMA if BUNDLED_SCHEMA.exists() else SHARED_SCHEMA


@lru_cache(maxsize=4)
def _card_validator(path: Path) -> Draft6Validator:
    from jsonschema import Draft6Validator

    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def validate_card(card: dict[str, Any]) -> None:
    """Raise ValueError with the most relevant error unless the card is a valid Adaptive Card 1.5 for Teams."""
    from jsonschema.exceptions import best_match

    error = best_match(_card_validator(schema_path()).iter_errors(card))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "card"
        raise ValueError(f"invalid Adaptive Card at {where}: {error.message[:300]}")
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard" or card.get("version") != "1.5":
        raise ValueError("invalid Adaptive Card: not an AdaptiveCard of version 1.5")
    if (size := card_size(card)) > CARD_LIMIT:
        raise ValueError(f"Adaptive Card of {size} bytes: Teams accepts about {CARD_LIMIT}")
