"""Plain text for the terminal: the same facts as the chat messages, readable without any chat client.

No markup of any kind, and data is cleaned of control characters, so printing it (through rich with
markup=False, or plain print) can neither style nor move the cursor.
"""

from __future__ import annotations

from bot.render import format as fmt
from bot.render import items
from bot.render.blocks import alert_figures
from bot.render.portfolio import portfolio_text
from bot.views import Digest, DigestItem, HandoffSummary, StakeholderAlert

INDENT = "   "


def _item(number: int, item: DigestItem, d: Digest) -> list[str]:
    badge = items.badge(item, d)
    lines = [
        f"{number}. {fmt.severity(item.severity)} · {fmt.clean(item.account_name, fmt.NAME)}"
        + (f" ({badge})" if badge else ""),
        INDENT + fmt.clean(item.headline, fmt.HEADLINE),
        INDENT + items.figures_line(item, d.figures.currency),
        *(f"{INDENT}• {fmt.clean(r, fmt.REASON)}" for r in items.reasons(item)),
    ]
    if item.next_step.strip():
        lines.append(f"{INDENT}Next step: {fmt.clean(item.next_step, fmt.NEXT_STEP)}")
    if url := fmt.safe_url(item.crm_url):
        lines.append(f"{INDENT}Open in CRM: {url}")
    return lines


def _handoff(h: HandoffSummary, sent: bool) -> list[str]:
    details = [fmt.clean(h.topic, fmt.SHORT), fmt.clean(h.status, fmt.SHORT)]
    if h.due_date:
        details.append(f"due {fmt.day_label(h.due_date)}")
    who = f"to {fmt.clean(h.to_name, fmt.SHORT)}" if sent else f"from {fmt.clean(h.from_name, fmt.SHORT)}"
    line = f"• {fmt.clean(h.account_name, fmt.NAME)} {who} · {' · '.join(details)}"
    return [line] + ([f"  {fmt.clean(h.note, fmt.NOTE)}"] if h.note.strip() else [])


def digest_text(d: Digest) -> str:
    """The digest as the chat messages show it: the same items, cut at the same place."""
    lines = [
        f"Your accounts today · {fmt.long_day(d.day)}",
        *([portfolio_text(d.portfolio), ""] if d.portfolio is not None else []),
        " · ".join(f"{title}: {value}" for title, value in items.header_figures(d)),
        "",
        fmt.clean(d.opening, fmt.OPENING, multiline=True) or "Here is your book today.",
    ]
    if d.opening_by_model:
        lines.append("(written by the model)")
    if d.stale_sources:
        stale = ", ".join(fmt.clean(s, fmt.SHORT) for s in d.stale_sources[: fmt.MAX_LIST])
        lines.append(f"! Some data is stale, signals from it may be out of date: {stale}")
    shown = d.items[: fmt.MAX_ITEMS_SHOWN]
    for number, item in enumerate(shown, 1):
        lines += ["", *_item(number, item, d)]
    if more := len(d.items) - len(shown) + d.more_count:
        who = fmt.left_out([i.account_name for i in d.items[len(shown) :]] + d.more_accounts, more)
        lines += ["", f"…and {more} more: {who}. /account <name> shows any of them."]
    for title, handoffs, sent in fmt.handoff_sections(d.handoffs, d.handoffs_sent):
        lines += ["", title]
        for h in handoffs[: fmt.MAX_HANDOFFS_SHOWN]:
            lines += _handoff(h, sent)
        if len(handoffs) > fmt.MAX_HANDOFFS_SHOWN:
            lines.append(f"…and {len(handoffs) - fmt.MAX_HANDOFFS_SHOWN} more handoffs")
    if not d.items and not d.more_count and not d.handoffs:
        lines += ["", "Nothing needs you today. Enjoy the quiet."]
    return "\n".join(lines)


def alert_text(a: StakeholderAlert) -> str:
    """The stakeholder-left alert: who, where, what it puts at risk and what to do."""
    who = fmt.person(a.contact_name, a.contact_title, a.contact_role)
    since = f" (since {fmt.day_label(a.since)})" if a.since else ""
    lines = [
        f"Key stakeholder left {fmt.clean(a.account_name, fmt.NAME)}",
        f"{who} has left {fmt.clean(a.account_name, fmt.NAME)}{since}.",
        alert_figures(a),
    ]
    if a.single_threaded:
        lines.append("! Single-threaded: fewer than two key contacts remain on this account.")
    if a.others_to_engage:
        lines.append(
            "Who else to engage: " + ", ".join(fmt.clean(o, 2 * fmt.SHORT) for o in a.others_to_engage[: fmt.MAX_LIST])
        )
    if a.next_step.strip():
        lines.append(f"Next step: {fmt.clean(a.next_step, fmt.NEXT_STEP)}")
    if a.evidence:
        lines.append("How we know: " + "; ".join(fmt.evidence(e) for e in a.evidence[: fmt.MAX_LIST]))
    return "\n".join(lines)
