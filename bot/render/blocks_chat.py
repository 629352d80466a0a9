"""Slack Block Kit for conversations: `/account` answers, the chooser, help, handoff threads, App Home.

Same rules as the digest blocks: every piece of data goes through `md()`, every message stays in limits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.render import actions as act
from bot.render import format as fmt
from bot.render.blocks import TEXT_BUDGET, Block, _button, _context, _header, _section, _text, escape, md
from bot.render.facts import account_facts
from bot.render.validate import MAX_BLOCKS, slack_text_length
from bot.views import AccountAnswer, AccountChooser, HandoffSummary

HELP_TEXT = (
    "*Tandem* — the shared read of every account.\n"
    "• `/account &lt;name or domain&gt;` shows an account: health, signals, stakeholders, usage, tickets, handoffs.\n"
    "• `/handoff &lt;account&gt; &lt;note&gt;` hands an account over to your pair (the AM's CSM, the CSM's AM).\n"
    "• Reply in a handoff thread: your pair sees it, in Slack or in Teams."
)
MAX_STAKEHOLDERS = 6
MAX_SIGNALS = 5


def help_blocks() -> list[Block]:
    return [_section(HELP_TEXT)]


def no_match_blocks(query: str) -> list[Block]:
    return [
        _section(
            f"No account matches *{md(query, fmt.NAME)}* in your organization. "
            "Try part of the name or the domain (`/account acme` or `/account acme.com`)."
        )
    ]


def chooser_blocks(chooser: AccountChooser) -> list[Block]:
    """One line a match, its name wrapping in full, with a "Show account" button beside it."""
    blocks: list[Block] = [_section(f"Several accounts match *{md(chooser.query, fmt.NAME)}*. Which one?")]
    for i, c in enumerate(chooser.choices[:5]):
        line = f"*{md(c.name, fmt.NAME)}*" + (f" ({md(c.domain, fmt.SHORT)})" if c.domain else "")
        button = _chat_button(act.CHOOSE, act.button_value(c.account_id, []))
        button["action_id"] = act.slack_action_id(act.CHOOSE, i)
        blocks.append({**_section(line), "block_id": f"choice:{i}", "accessory": button})
    return blocks


def _facts(a: AccountAnswer) -> Block:
    return {"type": "section", "fields": [_text(f"*{title}*\n{escape(value)}") for title, value in account_facts(a)]}


def _signals(a: AccountAnswer) -> list[str]:
    if not a.signals:
        return ["*Signals:* none active."]
    lines = ["*Signals*"]
    for s in a.signals[:MAX_SIGNALS]:
        lines.append(f"{fmt.severity(s.severity)} {md(s.title, fmt.HEADLINE)}")
        lines += [f"    • {md(r, fmt.REASON)}" for r in s.reasons[:2]]
    return lines


def _people(a: AccountAnswer) -> list[str]:
    if not a.stakeholders:
        return ["*Stakeholders:* none on file."]
    lines = ["*Stakeholders*"]
    for c in a.stakeholders[:MAX_STAKEHOLDERS]:
        mark = "🔑 " if c.is_key else ""
        status = "" if c.status == "active" else " — *left*"
        lines.append(f"• {mark}{md(fmt.person(c.name, c.title, c.role), 3 * fmt.SHORT)}{status}")
    return lines


def _tickets(a: AccountAnswer) -> list[str]:
    if not a.recent_tickets:
        return []
    lines = ["*Recent tickets*"]
    for t in a.recent_tickets:
        details = " · ".join(md(x, fmt.SHORT) for x in (t.priority, t.status) if x)
        opened = f" · {fmt.day_label(t.opened_on)}" if t.opened_on else ""
        lines.append(f"• `{md(t.external_id, 40)}` {md(t.subject, fmt.HEADLINE)} ({details}{opened})")
    return lines


def handoff_line(h: HandoffSummary) -> str:
    due = f" · due {fmt.day_label(h.due_date)}" if h.due_date else ""
    return (
        f"• {md(h.topic, fmt.SHORT)} from {md(h.from_name, fmt.SHORT)} · {md(h.status, fmt.SHORT)}{due}: "
        f"{md(h.note, fmt.NOTE)}"
    )


def account_blocks(a: AccountAnswer, shared_by: str | None = None) -> list[Block]:
    """The answer to `/account`: facts, the brief, signals, people, tickets, handoffs and actions."""
    title = fmt.clean(a.name, fmt.NAME) + (f" · {fmt.clean(a.domain, fmt.SHORT)}" if a.domain else "")
    blocks: list[Block] = [_header(title), _facts(a)]
    brief = md(a.brief, fmt.OPENING, multiline=True)
    if brief:
        blocks.append(_section(brief))
        if a.brief_by_model:
            blocks.append(_context("_(written by the model from masked data)_"))
    blocks.append(_section("\n".join(_signals(a))))
    blocks.append(_section("\n".join(_people(a))))
    if tickets := _tickets(a):
        blocks.append(_section("\n".join(tickets)))
    if a.handoffs:
        blocks.append(_section("*Open handoffs*\n" + "\n".join(handoff_line(h) for h in a.handoffs[:5])))
    value = act.button_value(a.account_id, [])
    if shared_by is not None:
        blocks.append(_context(f"Shared by {md(shared_by, fmt.SHORT)}"))
        return blocks
    elements = [_button(act.HANDOFF, 0, value)]
    url = fmt.safe_url(a.crm_url)
    if url:
        elements.insert(0, _button(act.OPEN_ACCOUNT, 0, value, url))
    elements.append(_chat_button(act.SHARE, value))
    if a.brief_by_model and a.brief_model_text_id is not None:
        elements.append(_chat_button(act.MODEL_INPUT, act.ref_value("m", a.brief_model_text_id)))
    blocks.append({"type": "actions", "block_id": "account", "elements": elements})
    return blocks


def account_fallback_text(a: AccountAnswer) -> str:
    return fmt.clip(f"{md(a.name, fmt.NAME)}: health {a.health if a.health is not None else 'unknown'}", 300)


def _chat_button(action: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": act.slack_action_id(action, 0),
        "text": _text(act.LABELS[action], "plain_text"),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def handoff_root_blocks(
    h: HandoffSummary, to_name: str, promises: str | None, next_step: str | None, for_receiver: bool
) -> list[Block]:
    """The thread root of a handoff, on each side; replies in its thread reach the pair."""
    lines = [
        f"*{md(h.topic.capitalize(), fmt.SHORT)}* on *{md(h.account_name, fmt.NAME)}* "
        f"from {md(h.from_name, fmt.SHORT)} to {md(to_name, fmt.SHORT)}",
        md(h.note, 3000 // 2, multiline=True),
    ]
    if promises:
        lines.append(f"*Promised to the customer:* {md(promises, fmt.NEXT_STEP)}")
    if next_step:
        lines.append(f"*Next step:* {md(next_step, fmt.NEXT_STEP)}")
    if h.due_date:
        lines.append(f"*Due:* {fmt.day_label(h.due_date)}")
    blocks: list[Block] = [
        _section("\n".join(lines)),
        _context(f"Status: *{escape(h.status)}* · reply in this thread to talk to your pair"),
    ]
    value = act.ref_value("h", h.handoff_id)
    elements = [_chat_button(act.HANDOFF_DONE, value)]
    if for_receiver and h.status == "open":
        elements.insert(0, _chat_button(act.HANDOFF_ACK, value, "primary"))
    if h.status != "done":
        blocks.append({"type": "actions", "block_id": f"handoff:{h.handoff_id}", "elements": elements})
    return blocks


def handoff_reply_text(author: str, platform: str, body: str) -> str:
    where = "Teams" if platform == "teams" else "Slack"
    return f"*{md(author, fmt.SHORT)}* (from {where}): {md(body, 2500, multiline=True)}"


def home_view(
    name: str,
    rows: list[dict[str, Any]],
    settings: dict[str, str],
    today: date,
    portfolio: list[Block] | None = None,
) -> dict[str, Any]:
    """App Home: the member's portfolio indicators, their book at a glance and their digest settings."""
    blocks: list[Block] = [
        _header(f"Your book · {fmt.long_day(today)}"),
        _context(f"Tandem for *{md(name, fmt.SHORT)}*"),
        *(portfolio or []),
    ]
    lines = []
    for r in rows[:40]:
        health = "?" if r.get("health") is None else str(r["health"])
        signals = ", ".join(str(k).replace("_", " ") for k in r.get("signals") or []) or "quiet"  # words, not enums
        lines.append(f"• *{md(r['name'], 80)}* · health {health} · {md(signals, 120)}")
    blocks.append(_section("\n".join(lines) if lines else "No accounts in your book yet."))
    if len(rows) > 40:
        blocks.append(_context(f"…and {len(rows) - 40} more: `/account &lt;name&gt;` shows any of them."))
    blocks.append({"type": "divider"})
    settings_lines = [f"*{escape(k)}:* {md(v, fmt.SHORT)}" for k, v in settings.items()]
    blocks.append(_section("*Your settings*\n" + "\n".join(settings_lines)))
    blocks.append({"type": "actions", "elements": [_chat_button(act.EDIT_SETTINGS, "settings")]})
    return {"type": "home", "blocks": blocks}


MODEL_INPUT_CHUNK = 2900  # a section's text is at most 3,000 characters, fences included


def model_input_blocks(heading: str, masked_input: str) -> list[Block]:
    """The masked input in consecutive code blocks, cut at spaces, as much as one message holds (it is
    data: escaped, never a mention)."""
    blocks: list[Block] = [_section(escape(heading))]
    used, done = slack_text_length(blocks) + 200, 0  # room for the "more characters" notice
    for chunk in fmt.chunks_at_spaces(masked_input, MODEL_INPUT_CHUNK - 100):
        block = _section(f"```{escape(chunk.replace('```', 'ˋˋˋ'))}```")
        if used + slack_text_length(block) > TEXT_BUDGET or len(blocks) >= MAX_BLOCKS - 2:
            break
        blocks.append(block)
        used, done = used + slack_text_length(block), done + len(chunk)
    if done < len(masked_input):
        rest = len(masked_input) - done
        blocks.append(_context(f"…and {rest} more characters, beyond what one Slack message holds."))
    return blocks
