"""Pure renderers: platform-neutral views (bot/views.py) to Slack Block Kit, Teams Adaptive Cards and text.

Each renderer is a pure function of one view, so every platform states the same facts; validate.py checks
that what they produce is what Slack and Teams accept.
"""

from bot.render.blocks import alert_blocks, alert_fallback_text, digest_blocks, digest_fallback_text
from bot.render.cards import alert_card, digest_card
from bot.render.text import alert_text, digest_text
from bot.render.validate import validate_blocks, validate_card

__all__ = [
    "alert_blocks",
    "alert_card",
    "alert_fallback_text",
    "alert_text",
    "digest_blocks",
    "digest_card",
    "digest_fallback_text",
    "digest_text",
    "validate_blocks",
    "validate_card",
]
