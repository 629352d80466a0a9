"""The "your book today" message for Slack (Block Kit) and Teams (Adaptive Card 1.5)."""

from __future__ import annotations

from typing import Any

from bot.first_read_view import FirstRead
from bot.render import format as fmt
from bot.render.blocks import escape, md
from bot.render.cards import card, fact_set, plain, text_block
from bot.views import DigestItem

WINDOWS_SHOWN = 10


def _name(r: FirstRead) -> str:
    return fmt.clean(r.member_name, fmt.SHORT) or fmt.clean(r.member_email, fmt.SHORT)


def promises(r: FirstRead) -> list[str]:
    """What Tandem will send the member from now on, in plain words."""
    return [
        f"Each morning at {r.digest_time} ({r.timezone}): your digest, the accounts that need you that day, most"
        f" valuable first, at most {r.digest_budget} (a key stakeholder leaving or a renewal at risk within"
        " 30 days always shows).",
        "Right away, once: an alert when a key stakeholder leaves one of your accounts.",
        "On Mondays: your portfolio's renewal rate, retention, value at risk, pipeline and coverage at the top.",
    ]


def _facts(r: FirstRead) -> list[tuple[str, str]]:
    return [
        ("Accounts", str(r.accounts)),
        ("ARR", fmt.money(r.arr_total, r.currency)),
        ("Renewals in 90 days", f"{r.renewals_90d} ({fmt.money(r.renewals_90d_arr, r.currency)})"),
        ("Open windows", str(len(r.windows) + r.more_count)),
    ]


def _window_facts(w: DigestItem, currency: str) -> str:
    return f"ARR {fmt.money(w.arr, currency)} · Renewal {fmt.renewal(w.renewal_date, w.days_to_renewal)}"


def first_read_fallback_text(r: FirstRead) -> str:
    total = len(r.windows) + r.more_count
    return fmt.clip(
        f"Your book today, {md(_name(r), fmt.SHORT)}: {r.accounts} accounts, {total} open window"
        f"{'s' if total != 1 else ''}.",
        3000,
    )


def first_read_blocks(r: FirstRead) -> list[dict[str, Any]]:
    name = _name(r)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fmt.clip(f"Your book today, {name}", 150)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Tandem's first read of your book, {fmt.long_day(r.day)}"}],
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{t}*\n{escape(v)}"} for t, v in _facts(r)]},
    ]
    if r.windows:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Open windows, most pressing first*"}})
    for rank, w in enumerate(r.windows[:WINDOWS_SHOWN], start=1):
        lines = [
            f"{rank}. {fmt.severity(w.severity)} · *{md(w.account_name, fmt.NAME)}*",
            md(w.headline, fmt.HEADLINE),
            escape(_window_facts(w, r.currency)),
        ]
        if w.next_step.strip():
            lines.append(f"*Next step:* {md(w.next_step, fmt.NEXT_STEP)}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fmt.clip("\n".join(lines), 3000)}})
    more = len(r.windows) - WINDOWS_SHOWN + r.more_count if len(r.windows) > WINDOWS_SHOWN else r.more_count
    if more > 0:
        blocks.append(_context(f"…and {more} more: `/account <name>` shows any account."))
    if not r.windows and not r.more_count:
        blocks.append(_context("Nothing in your book needs you today."))
    blocks += [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*What Tandem sends you from now on*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(f"• {escape(p)}" for p in promises(r))}},
    ]
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]}


def first_read_card(r: FirstRead) -> dict[str, Any]:
    name = _name(r)
    body: list[dict[str, Any]] = [
        text_block(plain(f"Your book today, {name}", 2 * fmt.SHORT), size="Large", weight="Bolder"),
        text_block(f"Tandem's first read of your book, {fmt.long_day(r.day)}", isSubtle=True, spacing="None"),
        fact_set(_facts(r)),
    ]
    if r.windows:
        body.append(text_block("Open windows, most pressing first", weight="Bolder"))
    for rank, w in enumerate(r.windows[:WINDOWS_SHOWN], start=1):
        items = [
            text_block(f"{rank}. {fmt.severity(w.severity)} · {plain(w.account_name, fmt.NAME)}", weight="Bolder"),
            text_block(plain(w.headline, fmt.HEADLINE), spacing="None"),
            text_block(_window_facts(w, r.currency), isSubtle=True, spacing="None"),
        ]
        if w.next_step.strip():
            items.append(text_block(f"**Next step:** {plain(w.next_step, fmt.NEXT_STEP)}", spacing="None"))
        body.append({"type": "Container", "separator": True, "items": items})
    more = len(r.windows) - WINDOWS_SHOWN + r.more_count if len(r.windows) > WINDOWS_SHOWN else r.more_count
    if more > 0:
        body.append(text_block(f"…and {more} more: `/account <name>` shows any account.", isSubtle=True))
    if not r.windows and not r.more_count:
        body.append(text_block("Nothing in your book needs you today.", isSubtle=True))
    body.append(text_block("What Tandem sends you from now on", weight="Bolder", separator=True))
    body += [text_block(f"• {p}", spacing="None") for p in promises(r)]
    return card(body, [], f"Your book today: {r.accounts} accounts")
