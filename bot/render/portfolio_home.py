"""Teams' home card: the member's portfolio indicators and their digest settings."""

from __future__ import annotations

from typing import Any

from bot.portfolio_view import Portfolio
from bot.render import format as fmt
from bot.render.cards import card, fact_set, plain, text_block
from bot.render.portfolio import portfolio_card_elements


def home_card(name: str, p: Portfolio, settings: dict[str, str]) -> dict[str, Any]:
    """Teams' home card (the `portfolio` command): the member's indicators and their digest settings."""
    body = [
        text_block(f"Your book · {fmt.long_day(p.as_of)}", size="Large", weight="Bolder"),
        text_block(f"Tandem for {plain(name, fmt.SHORT)}", isSubtle=True, spacing="None"),
        *portfolio_card_elements(p),
        text_block("Your settings", weight="Bolder", separator=True),
        fact_set([(plain(k, fmt.SHORT), plain(v, fmt.SHORT)) for k, v in settings.items()], spacing="Small"),
    ]
    return card(body, [], f"Your portfolio: {p.accounts} accounts")
