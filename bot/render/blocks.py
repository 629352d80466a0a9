"""Slack Block Kit for digests and alerts: pure functions of the views, always within Slack's limits.

Every piece of data goes through `md()`: cleaned, clipped, and escaped so it can never become a mention,
a link or a broadcast (a contact named "<!channel>" shows as typed and pings nobody).
"""

from __future__ import annotations

import re
from typing import Any

from bot.render import actions as act
from bot.render import escape as esc
from bot.render import format as fmt
from bot.render import items
from bot.render.portfolio import WEEKLY_TITLE, portfolio_blocks
from bot.render.validate import MAX_BLOCKS, MAX_TEXT_CHARS, slack_text_length
from bot.views import Digest, DigestItem, HandoffSummary, StakeholderAlert

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
CONTEXT_LIMIT = 2000
FALLBACK_LIMIT = 3000
TEXT_BUDGET = MAX_TEXT_CHARS - 1000  # headroom: Slack counts its limit a little differently than we do

Block = dict[str, Any]


def escape(text: str | None) -> str:
    """Data for mrkdwn, uncut: `& < >` escaped and formatting characters neutralised (`escape.slack`)."""
    return esc.slack(text or "")


def md(text: str | None, limit: int, multiline: bool = False) -> str:
    """Data for mrkdwn: cleaned, escaped, at most `limit` characters, never cut inside an entity."""
    escaped = escape(fmt.clean(text, limit, multiline))
    if len(escaped) <= limit:
        return escaped
    return re.sub(r"&[a-z]{0,3}$", "", escaped[: limit - 1]) + "…"


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text} if kind == "mrkdwn" else {"type": kind, "text": text, "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _text(fmt.clip(text, SECTION_LIMIT))}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_text(fmt.clip(text, CONTEXT_LIMIT))]}


def _header(text: str) -> Block:
    return {"type": "header", "text": _text(fmt.clean(text, HEADER_LIMIT) or "Tandem", "plain_text")}


def _button(action: str, index: int, value: str, url: str | None = None, label: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": act.slack_action_id(action, index),
        "text": _text(fmt.clip(label or act.LABELS[action], BUTTON_LIMIT), "plain_text"),
        "value": value,
    }
    if url:
        button["url"] = url  # opens the CRM; Slack still sends the click, which handlers just acknowledge
    return button


def _figures(d: Digest) -> Block:
    """The header figures, each with a label a new AM understands."""
    fields = [(title, escape(value)) for title, value in items.header_figures(d)]
    return {"type": "section", "fields": [_text(f"*{title}*\n{value}") for title, value in fields]}


def _menu(item: DigestItem, index: int, role: str, url: str | None) -> dict[str, Any]:
    """The overflow menu: the other main action, snooze, done and feedback, each saying what it acts on."""
    options = []
    for action in items.secondary(item, role):
        option: dict[str, Any] = {
            "text": _text(fmt.clip(items.label(action, role, bool(url)), BUTTON_LIMIT), "plain_text"),
            "value": act.menu_value(action, item.account_id, item.signal_ids),
        }
        if action == act.OPEN_ACCOUNT and url:
            option["url"] = url
        options.append(option)
    return {"type": "overflow", "action_id": act.slack_action_id(act.ITEM_MENU, index), "options": options}


def _item_blocks(item: DigestItem, index: int, d: Digest) -> list[Block]:
    badge = items.badge(item, d)
    title = f"{fmt.SEVERITY_MARKS.get(item.severity, '')} *{md(item.account_name, fmt.NAME)}*".strip()
    title += f" · {fmt.severity_word(item.severity)}" + (f", {badge}" if badge else "")
    lines = [
        title,
        md(item.headline, fmt.HEADLINE),
        escape(items.figures_line(item, d.figures.currency)),
        *(f"• {md(reason, fmt.REASON)}" for reason in items.reasons(item)),
    ]
    if item.next_step.strip():
        lines.append(f"*Next step:* {md(item.next_step, fmt.NEXT_STEP)}")
    url = fmt.safe_url(item.crm_url)
    first = items.primary(item, d.role)
    button = _button(
        first,
        index,
        act.button_value(item.account_id, item.signal_ids),
        url if first == act.OPEN_ACCOUNT else None,
        items.label(first, d.role, bool(url)),
    )
    button["style"] = "primary"
    return [
        {"type": "divider"},
        _section("\n".join(lines)),
        {"type": "actions", "block_id": f"item:{index}", "elements": [button, _menu(item, index, d.role, url)]},
    ]


def _handoff_line(h: HandoffSummary, sent: bool) -> str:
    details = [md(h.topic, fmt.SHORT), md(h.status, fmt.SHORT)]
    if h.due_date:
        details.append(f"due {fmt.day_label(h.due_date)}")
    who = f"to {md(h.to_name, fmt.SHORT)}" if sent else f"from {md(h.from_name, fmt.SHORT)}"
    line = f"• *{md(h.account_name, fmt.NAME)}* {who} · {' · '.join(details)}"
    return line + (f"\n    {md(h.note, fmt.NOTE)}" if h.note.strip() else "")


def _handoffs(d: Digest) -> list[Block]:
    blocks: list[Block] = []
    for title, handoffs, sent in fmt.handoff_sections(d.handoffs, d.handoffs_sent):
        lines = [_handoff_line(h, sent) for h in handoffs[: fmt.MAX_HANDOFFS_SHOWN]]
        if len(handoffs) > fmt.MAX_HANDOFFS_SHOWN:
            lines.append(f"…and {len(handoffs) - fmt.MAX_HANDOFFS_SHOWN} more handoffs")
        blocks += [{"type": "divider"}, _section(f"*{title}*\n" + "\n".join(lines))]
    return blocks


def _more(names: list[str], count: int) -> list[Block]:
    if count <= 0:
        return []
    who = escape(fmt.left_out(names, count))
    return [_context(f"…and {count} more: {who}. `/account &lt;name&gt;` shows any of them.")]


def digest_blocks(d: Digest) -> list[Block]:
    """The morning digest: header and figures, the opening, then each item with its buttons."""
    blocks: list[Block] = [
        _header(f"Your accounts today · {fmt.long_day(d.day)}"),
        *(portfolio_blocks(d.portfolio, WEEKLY_TITLE) if d.portfolio is not None else []),
        _figures(d),
        _section(md(d.opening, fmt.OPENING, multiline=True) or "Here is your book today."),
    ]
    if d.opening_by_model:
        blocks.append(_context("_(written by the model)_"))
        if d.opening_model_text_id is not None:
            button = {
                "type": "button",
                "action_id": act.slack_action_id(act.MODEL_INPUT, 0),
                "text": _text(act.LABELS[act.MODEL_INPUT], "plain_text"),
                "value": act.ref_value("m", d.opening_model_text_id),
            }
            blocks.append({"type": "actions", "block_id": "opening", "elements": [button]})
    if d.stale_sources:
        stale = ", ".join(md(s, fmt.SHORT) for s in d.stale_sources[: fmt.MAX_LIST])
        blocks.append(_context(f"⚠️ Some data is stale, signals from it may be out of date: {stale}"))
    # Items go in while the message stays under Slack's block and text limits; the rest count as "more".
    tail = _more([i.account_name for i in d.items] + d.more_accounts, len(d.items) + d.more_count) + _handoffs(d)
    used_blocks, used_text = len(blocks) + len(tail), slack_text_length(blocks + tail)
    shown: list[Block] = []
    count = 0
    for index, item in enumerate(d.items[: fmt.MAX_ITEMS_SHOWN]):
        item_blocks = _item_blocks(item, index, d)
        size = slack_text_length(item_blocks)
        if used_blocks + len(item_blocks) > MAX_BLOCKS or used_text + size > TEXT_BUDGET:
            break
        shown += item_blocks
        used_blocks, used_text, count = used_blocks + len(item_blocks), used_text + size, count + 1
    cut = [i.account_name for i in d.items[count:]] + d.more_accounts
    blocks += shown + _more(cut, len(d.items) - count + d.more_count) + _handoffs(d)
    if not d.items and not d.more_count and not d.handoffs:
        blocks.append(_context("Nothing needs you today. Enjoy the quiet."))
    return blocks


def digest_fallback_text(d: Digest) -> str:
    """The notification text: Slack parses it as mrkdwn too, so data is escaped here as well."""
    name = md(d.member_name or d.member_email, fmt.SHORT)
    total = len(d.items) + d.more_count
    accounts = ", ".join(md(i.account_name, 60) for i in d.items[:3])
    needs = f"{total} account{'s' if total != 1 else ''} need you" if total else "nothing needs you"
    text = f"Tandem digest for {name}, {fmt.long_day(d.day)}: {needs}" + (
        f" ({accounts}{'…' if total > 3 else ''})" if accounts else "."
    )
    return fmt.clip(text, FALLBACK_LIMIT)


def alert_figures(a: StakeholderAlert) -> str:
    """The alert's figures in the digest's words and formats."""
    facts = [f"ARR {fmt.money(a.arr, a.currency)}"]
    if a.renewal_date is not None:
        facts.append(f"renews {fmt.renewal(a.renewal_date, a.days_to_renewal)}")
    return " · ".join(facts)


def alert_blocks(a: StakeholderAlert) -> list[Block]:
    """A key contact left: who, where, what it puts at risk and what to do, with Open account / Hand off."""
    who = md(fmt.person(a.contact_name, a.contact_title, a.contact_role), 3 * fmt.SHORT)
    since = f" (since {fmt.day_label(a.since)})" if a.since else ""
    lines = [
        f"*{who}* has left *{md(a.account_name, fmt.NAME)}*{since}.",
        escape(alert_figures(a)),
    ]
    if a.single_threaded:
        lines.append("⚠️ *Single-threaded:* fewer than two key contacts remain on this account.")
    if a.others_to_engage:
        others = ", ".join(md(o, 2 * fmt.SHORT) for o in a.others_to_engage[: fmt.MAX_LIST])
        lines.append(f"*Who else to engage:* {others}")
    if a.next_step.strip():
        lines.append(f"*Next step:* {md(a.next_step, fmt.NEXT_STEP)}")
    blocks = [_header(f"Key stakeholder left {fmt.clean(a.account_name, fmt.NAME)}"), _section("\n".join(lines))]
    if a.evidence:
        blocks.append(
            _context("How we know: " + "; ".join(escape(fmt.evidence(e)) for e in a.evidence[: fmt.MAX_LIST]))
        )
    value = act.button_value(a.account_id, [])
    url = fmt.safe_url(a.crm_url)
    elements = [
        _button(x, 0, value, url if x == act.OPEN_ACCOUNT else None, items.label(x, "", bool(url)))
        for x in act.ALERT_ACTIONS
    ]
    elements[0]["style"] = "primary"
    blocks.append({"type": "actions", "block_id": "alert", "elements": elements})
    return blocks


def alert_fallback_text(a: StakeholderAlert) -> str:
    who = md(fmt.person(a.contact_name, a.contact_title), 2 * fmt.SHORT)
    return fmt.clip(f"Key stakeholder left {md(a.account_name, fmt.NAME)}: {who}", FALLBACK_LIMIT)
