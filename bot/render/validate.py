"""Validators every outgoing payload passes: slack_sdk's Block Kit models, the Adaptive Card 1.5 schema."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
# A copy of Microsoft's schema (MIT licence, AdaptiveCards repository, schemas/1.5.0) ships with the package.
BUNDLED_SCHEMA = Path(__file__).with_name("adaptive-card-1.5.json")


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    """Raise ValueError unless every block parses and serialises within Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks: Slack accepts at most {MAX_BLOCKS} per message")
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                raise ValueError("unknown block type")
            block.to_dict()  # validates nested elements and text lengths
        except (SlackObjectFormationError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"block {index} ({raw.get('type', '?')}): {exc}") from None


@lru_cache(maxsize=1)
def _card_validator() -> Draft6Validator:
    path = Path(os.environ.get("TANDEM_CARD_SCHEMA") or BUNDLED_SCHEMA)
    return Draft6Validator(json.loads(path.read_text(encoding="utf-8")))


def validate_card(card: dict[str, Any]) -> None:
    """Raise ValueError with the most relevant schema error unless the card is a valid Adaptive Card 1.5."""
    error = best_match(_card_validator().iter_errors(card))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "card"
        raise ValueError(f"invalid Adaptive Card at {where}: {error.message[:300]}")
