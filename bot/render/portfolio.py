"""The portfolio's indicators rendered: text lines (CLI, fallbacks), Slack blocks, Adaptive Card elements.

Each indicator shows its value, its period and, when the history is shorter than the period, that it is.
"""

from __future__ import annotations

from typing import Any

from bot.portfolio_view import Indicator, Portfolio
from bot.render import format as fmt

LABELS = (
    ("renewal_rate", "Renewal rate"),
    ("grr", "Gross revenue retention"),
    ("nrr", "Net revenue retention"),
    ("value_at_risk", "Value at risk"),
    ("expansion_pipeline", "Expansion pipeline"),
    ("coverage", "Coverage"),
)
BASIS_LIMIT = 400
WEEKLY_TITLE = "Your portfolio this week"


# The digest's renderers (blocks, cards) put these at their top, so this module builds its own elements
# rather than import theirs; the escaping is the same.
def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str | None, limit: int) -> str:
    return fmt.clean(text, limit).replace("](", "] (")


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def fact_set(facts: list[tuple[str, str]], **style: Any) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts], **style}


def value_text(ind: Indicator, currency: str) -> str:
    if ind.value is None:
        return "not known yet"
    return fmt.money(ind.value, currency) if ind.unit == "money" else fmt.percent(ind.value)


def period_text(ind: Indicator) -> str:
    if ind.period_start is None or ind.period_end is None:
        return ""
    if ind.period_start == ind.period_end:
        return f"as of {ind.period_end.isoformat()}"
    short = " (shorter history than 12 months)" if ind.partial else ""
    return f"{ind.period_start.isoformat()} to {ind.period_end.isoformat()}{short}"


def indicator_rows(p: Portfolio) -> list[tuple[str, str, str, str]]:
    """(label, value, period, basis) for each indicator, in reading order."""
    rows = []
    for name, label in LABELS:
        ind: Indicator = getattr(p, name)
        rows.append((label, value_text(ind, p.currency), period_text(ind), ind.basis))
    return rows


def portfolio_text(p: Portfolio) -> str:
    """Plain text for the terminal."""
    head = f"{p.label} ({p.scope}) as of {p.as_of.isoformat()}: {p.accounts} accounts, "
    head += fmt.money(p.arr_total, p.currency) + " ARR"
    lines = [head]
    for label, value, period, basis in indicator_rows(p):
        lines.append(f"  {label}: {value}  [{period}]")
        lines.append(f"      {basis}")
    return "\n".join(lines)


def portfolio_blocks(p: Portfolio, title: str = "Your portfolio") -> list[dict[str, Any]]:
    """Two Slack blocks: the figures as fields, and the periods (and what is not known) as context."""
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{escape(value)}"} for label, value, _period, _basis in indicator_rows(p)
    ]
    notes = [f"{label}: {escape(period)}" for label, _value, period, _basis in indicator_rows(p)[:3] if period]
    unknown = [escape(basis) for _l, value, _p, basis in indicator_rows(p) if value == "not known yet"]
    context = "; ".join(notes) or "no ARR history yet"
    if unknown:
        context += ". " + unknown[0]
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(fmt.clean(title, fmt.SHORT))}* · {p.accounts} accounts"},
            "fields": fields,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": fmt.clip(context, 2000)}]},
    ]


def portfolio_card_elements(p: Portfolio, title: str = "Your portfolio") -> list[dict[str, Any]]:
    """Adaptive Card elements: a title, the figures with their periods, and what is not known."""
    facts = [(label, f"{value} ({period})" if period else value) for label, value, period, _basis in indicator_rows(p)]
    elements = [
        text_block(f"{plain(title, fmt.SHORT)} · {p.accounts} accounts", weight="Bolder"),
        fact_set([(t, plain(v, BASIS_LIMIT)) for t, v in facts], spacing="Small"),
    ]
    unknown = [basis for _l, value, _p, basis in indicator_rows(p) if value == "not known yet"]
    if unknown:
        elements.append(text_block(plain(unknown[0], BASIS_LIMIT), isSubtle=True, size="Small", spacing="None"))
    return elements
