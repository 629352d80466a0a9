"""Teams Adaptive Cards 1.5 for digests and alerts: the same facts and actions as the Slack blocks.

Data goes through `plain()`: cleaned, clipped, and with markdown link syntax broken, so an account named
"[Renew now](https://evil.example)" shows as typed instead of as a link.
"""

from __future__ import annotations

from typing import Any

from bot.render import actions as act
from bot.render import escape as esc
from bot.render import format as fmt
from bot.render import items
from bot.render.blocks import alert_figures
from bot.render.portfolio import WEEKLY_TITLE, portfolio_card_elements
from bot.render.validate import CARD_LIMIT, card_size
from bot.views import Digest, DigestItem, HandoffSummary, StakeholderAlert

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_BUDGET = CARD_LIMIT - 2000  # headroom for the activity envelope Teams wraps around the card
CHANGE_COLORS = {"new": "Accent", "worse": "Attention", "ongoing": "Default"}

Element = dict[str, Any]


def plain(text: str | None, limit: int, multiline: bool = False) -> str:
    """Data for a TextBlock: cleaned, clipped, markdown neutralised (`escape.teams`)."""
    return esc.teams(fmt.clean(text, limit, multiline))


def card(body: list[Element], actions: list[Element], fallback: str) -> Element:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": "1.5",
        "fallbackText": fmt.clip(fallback, 300),
        "body": body,
        "actions": actions,
    }


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def fact_set(facts: list[tuple[str, str]], **style: Any) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts], **style}


def submit(action: str, account_id: int, signal_ids: list[int], title: str | None = None) -> Element:
    return {
        "type": "Action.Submit",
        "title": title or act.LABELS[action],
        "data": act.submit_data(action, account_id, signal_ids),
    }


def open_action(account_id: int, signal_ids: list[int], url: str | None, title: str | None = None) -> Element:
    if safe := fmt.safe_url(url):
        return {"type": "Action.OpenUrl", "title": title or "Open in CRM", "url": safe}
    return submit(act.OPEN_ACCOUNT, account_id, signal_ids, title or "Show the account")


def lines(text: str, **style: Any) -> list[Element]:
    """One TextBlock per paragraph: Teams joins the lines of one block into a single paragraph."""
    paragraphs = [line for line in text.splitlines() if line.strip()]
    return [text_block(line, spacing="Default" if i == 0 else "None", **style) for i, line in enumerate(paragraphs)]


def item_action(action: str, item: DigestItem, role: str) -> Element:
    url = fmt.safe_url(item.crm_url)
    title = items.label(action, role, bool(url))
    if action == act.OPEN_ACCOUNT:
        return open_action(item.account_id, item.signal_ids, url, title)
    return submit(action, item.account_id, item.signal_ids, title)


def _item(item: DigestItem, d: Digest) -> Element:
    badge = items.badge(item, d)
    title = f"{fmt.SEVERITY_MARKS.get(item.severity, '')} **{plain(item.account_name, fmt.NAME)}**".strip()
    title += f" · {fmt.severity_word(item.severity)}" + (f", {badge}" if badge else "")
    body: list[Element] = [
        text_block(title),
        text_block(plain(item.headline, fmt.HEADLINE), spacing="None"),
        text_block(plain(items.figures_line(item, d.figures.currency), 300), spacing="None", isSubtle=True),
    ]
    body += [text_block(f"• {plain(r, fmt.REASON)}", spacing="None") for r in items.reasons(item)]
    if item.next_step.strip():
        body.append(text_block(f"**Next step:** {plain(item.next_step, fmt.NEXT_STEP)}", spacing="Small"))
    # One primary action; the rest in the "..." overflow menu (secondary actions).
    actions = [item_action(items.primary(item, d.role), item, d.role)]
    actions += [{**item_action(a, item, d.role), "mode": "secondary"} for a in items.secondary(item, d.role)]
    body.append({"type": "ActionSet", "actions": actions, "spacing": "Small"})
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": body}


def _handoff(h: HandoffSummary, sent: bool) -> Element:
    details = [plain(h.topic, fmt.SHORT), plain(h.status, fmt.SHORT)]
    if h.due_date:
        details.append(f"due {fmt.day_label(h.due_date)}")
    who = f"to {plain(h.to_name, fmt.SHORT)}" if sent else f"from {plain(h.from_name, fmt.SHORT)}"
    line = f"• **{plain(h.account_name, fmt.NAME)}** {who} · {' · '.join(details)}"
    return text_block(line + (f"\n\n{plain(h.note, fmt.NOTE)}" if h.note.strip() else ""), spacing="Small")


def _handoffs(d: Digest) -> list[Element]:
    body: list[Element] = []
    for title, handoffs, sent in fmt.handoff_sections(d.handoffs, d.handoffs_sent):
        body.append(text_block(f"**{title}**", separator=True, spacing="Medium"))
        body += [_handoff(h, sent) for h in handoffs[: fmt.MAX_HANDOFFS_SHOWN]]
        if len(handoffs) > fmt.MAX_HANDOFFS_SHOWN:
            body.append(text_block(f"…and {len(handoffs) - fmt.MAX_HANDOFFS_SHOWN} more handoffs", isSubtle=True))
    return body


def _more(names: list[str], count: int) -> list[Element]:
    if count <= 0:
        return []
    who = esc.teams(fmt.left_out(names, count))
    return [
        text_block(f"…and {count} more: {who}. **account** *name* shows any of them.", isSubtle=True, separator=True)
    ]


def digest_summary(d: Digest) -> str:
    """The notification text of a digest in Teams (markdown there, so data is neutralised)."""
    total = len(d.items) + d.more_count
    if not total:
        return f"Tandem digest, {fmt.long_day(d.day)}: nothing needs you today."
    names = ", ".join(plain(i.account_name, 60) for i in d.items[:3]) + ("…" if total > 3 else "")
    return f"Tandem digest, {fmt.long_day(d.day)}: {total} account{'s' if total != 1 else ''} need you ({names})."


def digest_card(d: Digest) -> Element:
    """The morning digest as one card: header and figures, the opening, the items, then handoffs."""
    body: list[Element] = [
        text_block(f"Your accounts today · {fmt.long_day(d.day)}", size="Large", weight="Bolder"),
        *(portfolio_card_elements(d.portfolio, WEEKLY_TITLE) if d.portfolio is not None else []),
        fact_set(items.header_figures(d)),
        *(lines(plain(d.opening, fmt.OPENING, multiline=True)) or [text_block("Here is your book today.")]),
    ]
    if d.opening_by_model:
        body.append(text_block("(written by the model)", size="Small", isSubtle=True, spacing="None"))
        if d.opening_model_text_id is not None:
            seen = {"action": act.MODEL_INPUT, "model_text_id": d.opening_model_text_id}
            what = {"type": "Action.Submit", "title": act.LABELS[act.MODEL_INPUT], "data": seen}
            body.append({"type": "ActionSet", "actions": [what], "spacing": "None"})
    if d.stale_sources:
        stale = ", ".join(plain(s, fmt.SHORT) for s in d.stale_sources[: fmt.MAX_LIST])
        body.append(text_block(f"⚠️ Some data is stale, signals from it may be out of date: {stale}", color="Warning"))
    # Items go in while the card stays under Teams' size limit; the rest count as "more".
    every = [i.account_name for i in d.items] + d.more_accounts
    used = card_size(card(body + _more(every, len(d.items) + d.more_count) + _handoffs(d), [], digest_summary(d)))
    count = 0
    for item in d.items[: fmt.MAX_ITEMS_SHOWN]:
        element = _item(item, d)
        size = card_size(element) + 2  # the ", " between elements
        if used + size > CARD_BUDGET:
            break
        body.append(element)
        used, count = used + size, count + 1
    cut = [i.account_name for i in d.items[count:]] + d.more_accounts
    body += _more(cut, len(d.items) - count + d.more_count) + _handoffs(d)
    if not d.items and not d.more_count and not d.handoffs:
        body.append(text_block("Nothing needs you today. Enjoy the quiet.", isSubtle=True))
    return card(body, [], digest_summary(d))


def alert_card(a: StakeholderAlert) -> Element:
    """A key contact left: the same facts as the Slack alert, in the digest's formats."""
    account = plain(a.account_name, fmt.NAME)
    since = f" (since {fmt.day_label(a.since)})" if a.since else ""
    who = plain(fmt.person(a.contact_name, a.contact_title, a.contact_role), 3 * fmt.SHORT)
    body = [
        text_block(f"Key stakeholder left {account}", size="Large", weight="Bolder", color="Attention"),
        text_block(f"**{who}** has left **{account}**{since}."),
        text_block(plain(alert_figures(a), 300), spacing="None", isSubtle=True),
    ]
    if a.single_threaded:
        body.append(
            text_block("⚠️ **Single-threaded:** fewer than two key contacts remain on this account.", color="Warning")
        )
    if a.others_to_engage:
        others = ", ".join(plain(o, 2 * fmt.SHORT) for o in a.others_to_engage[: fmt.MAX_LIST])
        body.append(text_block(f"**Who else to engage:** {others}"))
    if a.next_step.strip():
        body.append(text_block(f"**Next step:** {plain(a.next_step, fmt.NEXT_STEP)}"))
    if a.evidence:
        how = "; ".join(plain(fmt.evidence(e), fmt.SHORT) for e in a.evidence[: fmt.MAX_LIST])
        body.append(text_block(f"How we know: {how}", isSubtle=True, size="Small"))
    url = fmt.safe_url(a.crm_url)
    actions = [
        open_action(a.account_id, [], url, items.label(act.OPEN_ACCOUNT, "", bool(url))),
        submit(act.HANDOFF, a.account_id, [], items.label(act.HANDOFF, "", False)),
    ]
    return card(body, actions, alert_summary(a))


def alert_summary(a: StakeholderAlert) -> str:
    """The notification text of an alert in Teams."""
    who = plain(fmt.person(a.contact_name, a.contact_title), 2 * fmt.SHORT)
    return f"Key stakeholder left {plain(a.account_name, fmt.NAME)}: {who}"
