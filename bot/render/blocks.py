"""Slack Block Kit for digests and alerts: pure functions of the views, within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.render import actions as act
from bot.render.format import CHANGE_LABELS, ROLE_NAMES, clip, money, percent, renewal, severity
from bot.views import Digest, DigestItem, StakeholderAlert

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
CONTEXT_LIMIT = 2000
MAX_ITEMS_SHOWN = 8  # 5 blocks an item + header and footer stays under Slack's 50 blocks
MAX_HANDOFFS_SHOWN = 5


def escape(text: str | None) -> str:
    """Neutralise Slack's control characters in data: a name like <!channel> must not ping anyone."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _text(clip(text, SECTION_LIMIT))}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_text(clip(text, CONTEXT_LIMIT))]}


def _button(action: str, index: int, value: str, style: str | None = None) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": act.slack_action_id(action, index),
        "text": _text(clip(act.LABELS[action], BUTTON_LIMIT), "plain_text"),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _open_button(index: int, value: str, url: str | None) -> dict[str, Any]:
    button = _button(act.OPEN_ACCOUNT, index, value)
    if url and url.startswith(("https://", "http://")) and len(url) <= 3000:
        button["url"] = url
    return button


def _figures_line(d: Digest) -> str:
    f = d.figures
    return (
        f"*{f.accounts}* accounts · ARR at risk *{money(f.arr_at_risk, f.currency)}* · "
        f"expansion pipeline *{money(f.expansion_pipeline, f.currency)}* · "
        f"renewals in 90 days *{f.renewals_90d}* ({money(f.renewals_90d_arr, f.currency)}) · "
        f"coverage (30 days) *{percent(f.coverage_30d)}*"
    )


def _item_blocks(item: DigestItem, index: int, currency: str) -> list[dict[str, Any]]:
    facts = [
        f"ARR {money(item.arr, currency)}",
        f"renewal {renewal(item.renewal_date, item.days_to_renewal)}",
    ]
    if item.health is not None:
        facts.append(f"health {item.health}/100")
    reasons = "\n".join(f"• {escape(clip(r, 300))}" for r in item.reasons[:3])
    name, headline = escape(clip(item.account_name, 200)), escape(clip(item.headline, 300))
    change = CHANGE_LABELS.get(item.change, item.change)
    text = f"{severity(item.severity)} · *{name}* — {headline}  `{change}`\n{' · '.join(facts)}\n{reasons}"
    value = act.button_value(item.account_id, item.signal_ids)
    return [
        _section(text),
        _context(f"*Next step:* {escape(clip(item.next_step, 1000))}" if item.next_step else "No next step"),
        {
            "type": "actions",
            "block_id": f"item:{index}",
            "elements": [
                _open_button(index, value, item.crm_url),
                _button(act.SNOOZE, index, value),
                _button(act.HANDOFF, index, value),
                _button(act.DONE, index, value, "primary"),
            ],
        },
        {
            "type": "actions",
            "block_id": f"feedback:{index}",
            "elements": [
                _button(act.FEEDBACK_USEFUL, index, value),
                _button(act.FEEDBACK_NOT_USEFUL, index, value),
            ],
        },
    ]


def digest_blocks(d: Digest) -> list[dict[str, Any]]:
    title = f"Good morning {d.member_name or d.member_email} — {d.day:%A %b} {d.day.day}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _text(clip(title, HEADER_LIMIT), "plain_text")},
        _context(f"{ROLE_NAMES.get(d.role, d.role)} · {_figures_line(d)}"),
        _section(escape(d.opening) + ("\n_(written by the model)_" if d.opening_by_model else "")),
    ]
    if d.stale_sources:
        blocks.append(_context(f"⚠️ Stale data: {escape(', '.join(d.stale_sources))}"))
    shown = d.items[:MAX_ITEMS_SHOWN]
    for index, item in enumerate(shown):
        blocks.append({"type": "divider"})
        blocks.extend(_item_blocks(item, index, d.figures.currency))
    more = d.more_count + len(d.items) - len(shown)
    if more:
        blocks.append(_context(f"…and {more} more: `/account <name>` for any of them."))
    if d.handoffs:
        lines = [
            f"• *{escape(clip(h.account_name, 100))}* from {escape(clip(h.from_name, 100))} "
            f"({h.topic}, {h.status}): {escape(clip(h.note, 200))}"
            for h in d.handoffs[:MAX_HANDOFFS_SHOWN]
        ]
        if len(d.handoffs) > MAX_HANDOFFS_SHOWN:
            lines.append(f"…and {len(d.handoffs) - MAX_HANDOFFS_SHOWN} more handoffs")
        blocks.extend([{"type": "divider"}, _section("*Handoffs waiting on you*\n" + "\n".join(lines))])
    if not d.items and not d.handoffs:
        blocks.append(_context("Nothing needs you today. Enjoy the quiet."))
    return blocks


def digest_fallback_text(d: Digest) -> str:
    return clip(
        f"Tandem digest for {d.member_name}: {len(d.items)} items, {d.more_count} more. {d.opening}", 3000
    )


def alert_blocks(a: StakeholderAlert) -> list[dict[str, Any]]:
    who = escape(clip(a.contact_name, 150))
    role = ", ".join(escape(clip(x, 100)) for x in (a.contact_title, a.contact_role) if x)
    lines = [
        f"*{who}*{f' ({role})' if role else ''} has left *{escape(clip(a.account_name, 200))}*"
        + (f" since {a.since:%b} {a.since.day}." if a.since else "."),
        f"ARR {money(a.arr)} · renewal {renewal(a.renewal_date, a.days_to_renewal)}",
    ]
    if a.single_threaded:
        lines.append("⚠️ The account is now *single-threaded*: fewer than two key contacts remain.")
    if a.others_to_engage:
        lines.append("Who else to engage: " + ", ".join(escape(clip(o, 150)) for o in a.others_to_engage[:5]))
    value = act.button_value(a.account_id, [])
    blocks = [
        {
            "type": "header",
            "text": _text(clip(f"Key stakeholder left {a.account_name}", HEADER_LIMIT), "plain_text"),
        },
        _section("\n".join(lines)),
    ]
    if a.evidence:
        blocks.append(_context("Evidence: " + escape(", ".join(a.evidence[:10]))))
    if a.next_step:
        blocks.append(_context(f"*Next step:* {escape(clip(a.next_step, 1000))}"))
    blocks.append(
        {
            "type": "actions",
            "block_id": "alert",
            "elements": [_button(act.OPEN_ACCOUNT, 0, value), _button(act.HANDOFF, 0, value)],
        }
    )
    return blocks


def alert_fallback_text(a: StakeholderAlert) -> str:
    return clip(f"Key stakeholder left {a.account_name}: {a.contact_name}", 3000)
