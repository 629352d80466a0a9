"""Teams Adaptive Cards 1.5 for digests and alerts: the same facts and actions as the Slack blocks.

Data goes through `plain()`: cleaned, clipped, and with markdown link syntax broken, so an account named
"[Renew now](https://evil.example)" shows as typed instead of as a link.
"""

from __future__ import annotations

from typing import Any

from bot.render import actions as act
from bot.render import format as fmt
from bot.render.portfolio import WEEKLY_TITLE, portfolio_card_elements
from bot.render.validate import CARD_LIMIT, card_size
from bot.views import Digest, DigestItem, HandoffSummary, StakeholderAlert

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_BUDGET = CARD_LIMIT - 2000  # headroom for the activity envelope Teams wraps around the card
CHANGE_COLORS = {"new": "Accent", "worse": "Attention", "ongoing": "Default"}

Element = dict[str, Any]


def plain(text: str | None, limit: int, multiline: bool = False) -> str:
    return fmt.clean(text, limit, multiline).replace("](", "] (")


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


def submit(action: str, account_id: int, signal_ids: list[int]) -> Element:
    return {
        "type": "Action.Submit",
        "title": act.LABELS[action],
        "data": act.submit_data(action, account_id, signal_ids),
    }


def open_action(account_id: int, signal_ids: list[int], url: str | None) -> Element:
    if safe := fmt.safe_url(url):
        return {"type": "Action.OpenUrl", "title": act.LABELS[act.OPEN_ACCOUNT], "url": safe}
    return submit(act.OPEN_ACCOUNT, account_id, signal_ids)


def _item(item: DigestItem, currency: str) -> Element:
    title = {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "auto", "items": [text_block(fmt.severity(item.severity))]},
            {
                "type": "Column",
                "width": "stretch",
                "items": [text_block(plain(item.account_name, fmt.NAME), weight="Bolder")],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [
                    text_block(
                        fmt.change(item.change), weight="Bolder", color=CHANGE_COLORS.get(item.change, "Default")
                    )
                ],
            },
        ],
    }
    facts = [("ARR", fmt.money(item.arr, currency)), ("Renewal", fmt.renewal(item.renewal_date, item.days_to_renewal))]
    if item.health is not None:
        facts.append(("Health", f"{item.health}/100"))
    body: list[Element] = [
        title,
        text_block(plain(item.headline, fmt.HEADLINE), spacing="None"),
        fact_set(facts, spacing="Small"),
    ]
    body += [
        text_block(f"• {plain(r, fmt.REASON)}", spacing="None", isSubtle=True) for r in item.reasons[: fmt.MAX_REASONS]
    ]
    if item.next_step.strip():
        body.append(text_block(f"**Next step:** {plain(item.next_step, fmt.NEXT_STEP)}"))
    ids = item.signal_ids
    main = [open_action(item.account_id, ids, item.crm_url)]
    main += [submit(a, item.account_id, ids) for a in act.ITEM_ACTIONS if a != act.OPEN_ACCOUNT]
    body += [
        {"type": "ActionSet", "actions": main},
        {
            "type": "ActionSet",
            "spacing": "None",
            "actions": [submit(a, item.account_id, ids) for a in act.FEEDBACK_ACTIONS],
        },
    ]
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
    who = fmt.left_out(names, count)
    return [
        text_block(f"…and {count} more: {who}. `/account <name>` shows any of them.", isSubtle=True, separator=True)
    ]


def _fallback(d: Digest) -> str:
    total = len(d.items) + d.more_count
    return f"Tandem digest, {fmt.long_day(d.day)}: {total} account{'s' if total != 1 else ''} need you."


def digest_card(d: Digest) -> Element:
    """The morning digest as one card: header and figures, the opening, the items, then handoffs."""
    f = d.figures
    name = fmt.clean(d.member_name, fmt.SHORT) or fmt.clean(d.member_email, fmt.SHORT)
    body: list[Element] = [
        text_block(plain(f"{name} · {fmt.long_day(d.day)}", 2 * fmt.SHORT), size="Large", weight="Bolder"),
        text_block(
            f"Tandem digest for {plain(name, fmt.SHORT)}, {plain(fmt.role_name(d.role), fmt.SHORT)}",
            isSubtle=True,
            spacing="None",
        ),
        *(portfolio_card_elements(d.portfolio, WEEKLY_TITLE) if d.portfolio is not None else []),
        fact_set(
            [
                ("Accounts", str(f.accounts)),
                ("ARR at risk", fmt.money(f.arr_at_risk, f.currency)),
                ("Expansion pipeline", fmt.money(f.expansion_pipeline, f.currency)),
                ("Renewals in 90 days", f"{f.renewals_90d} ({fmt.money(f.renewals_90d_arr, f.currency)})"),
                ("Coverage (30 days)", fmt.percent(f.coverage_30d)),
            ]
        ),
        text_block(plain(d.opening, fmt.OPENING, multiline=True) or "Here is your book today."),
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
    used = card_size(card(body + _more(every, len(d.items) + d.more_count) + _handoffs(d), [], _fallback(d)))
    count = 0
    for item in d.items[: fmt.MAX_ITEMS_SHOWN]:
        element = _item(item, f.currency)
        size = card_size(element) + 2  # the ", " between elements
        if used + size > CARD_BUDGET:
            break
        body.append(element)
        used, count = used + size, count + 1
    cut = [i.account_name for i in d.items[count:]] + d.more_accounts
    body += _more(cut, len(d.items) - count + d.more_count) + _handoffs(d)
    if not d.items and not d.more_count and not d.handoffs:
        body.append(text_block("Nothing needs you today. Enjoy the quiet.", isSubtle=True))
    return card(body, [], _fallback(d))


def alert_card(a: StakeholderAlert) -> Element:
    """A key contact left: the same facts as the Slack alert, with Open account / Hand off."""
    facts = [
        ("Who", plain(fmt.person(a.contact_name, a.contact_title, a.contact_role), 3 * fmt.SHORT)),
        ("Account", plain(a.account_name, fmt.NAME)),
        ("ARR", fmt.money(a.arr)),
        ("Renewal", fmt.renewal(a.renewal_date, a.days_to_renewal)),
    ]
    if a.since:
        facts.insert(2, ("Since", fmt.day_label(a.since)))
    if a.evidence:
        facts.append(("Evidence", "; ".join(plain(fmt.evidence(e), fmt.SHORT) for e in a.evidence[: fmt.MAX_LIST])))
    account = plain(a.account_name, fmt.NAME)
    body = [
        text_block(f"Key stakeholder left {account}", size="Large", weight="Bolder", color="Attention"),
        fact_set(facts),
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
    actions = [submit(x, a.account_id, []) for x in act.ALERT_ACTIONS]
    return card(body, actions, f"Key stakeholder left {account}")
