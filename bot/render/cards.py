"""Teams Adaptive Cards 1.5 for digests and alerts: the same facts as the Slack blocks."""

from __future__ import annotations

from typing import Any

from bot.render import actions as act
from bot.render.format import CHANGE_LABELS, ROLE_NAMES, clip, money, percent, renewal, severity
from bot.views import Digest, DigestItem, StakeholderAlert

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_ITEMS_SHOWN = 10
TEXT_LIMIT = 2000


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA_URL, "version": "1.5", "body": body}
    if actions:
        result["actions"] = actions
    return result


def text_block(text: str, **style: Any) -> dict[str, Any]:
    # Teams renders a subset of markdown in TextBlocks; data is clipped, never interpreted as a card.
    return {"type": "TextBlock", "text": clip(text, TEXT_LIMIT), "wrap": True, **style}


def fact_set(facts: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": clip(t, 100), "value": clip(v, 500)} for t, v in facts]}


def submit(action: str, account_id: int, signal_ids: list[int]) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": act.LABELS[action],
        "data": act.submit_data(action, account_id, signal_ids),
    }


def open_action(account_id: int, signal_ids: list[int], url: str | None) -> dict[str, Any]:
    if url and url.startswith(("https://", "http://")):
        return {"type": "Action.OpenUrl", "title": act.LABELS[act.OPEN_ACCOUNT], "url": url}
    return submit(act.OPEN_ACCOUNT, account_id, signal_ids)


def _item(item: DigestItem, currency: str) -> dict[str, Any]:
    facts = [
        ("Severity", severity(item.severity)),
        ("Change", CHANGE_LABELS.get(item.change, item.change)),
        ("ARR", money(item.arr, currency)),
        ("Renewal", renewal(item.renewal_date, item.days_to_renewal)),
    ]
    if item.health is not None:
        facts.append(("Health", f"{item.health}/100"))
    body: list[dict[str, Any]] = [
        text_block(f"**{clip(item.account_name, 200)}** — {clip(item.headline, 300)}", weight="Bolder"),
        fact_set(facts),
    ]
    body += [text_block(f"- {clip(r, 300)}", spacing="None", isSubtle=True) for r in item.reasons[:3]]
    if item.next_step:
        body.append(text_block(f"**Next step:** {clip(item.next_step, 1000)}"))
    ids = item.signal_ids
    body.append(
        {
            "type": "ActionSet",
            "actions": [
                open_action(item.account_id, ids, item.crm_url),
                submit(act.SNOOZE, item.account_id, ids),
                submit(act.HANDOFF, item.account_id, ids),
                submit(act.DONE, item.account_id, ids),
                submit(act.FEEDBACK_USEFUL, item.account_id, ids),
                submit(act.FEEDBACK_NOT_USEFUL, item.account_id, ids),
            ],
        }
    )
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": body}


def digest_card(d: Digest) -> dict[str, Any]:
    f = d.figures
    body: list[dict[str, Any]] = [
        text_block(
            f"Good morning {d.member_name or d.member_email} — {d.day:%A %b} {d.day.day}",
            size="Large",
            weight="Bolder",
        ),
        text_block(ROLE_NAMES.get(d.role, d.role), isSubtle=True, spacing="None"),
        fact_set(
            [
                ("Accounts", str(f.accounts)),
                ("ARR at risk", money(f.arr_at_risk, f.currency)),
                ("Expansion pipeline", money(f.expansion_pipeline, f.currency)),
                ("Renewals in 90 days", f"{f.renewals_90d} ({money(f.renewals_90d_arr, f.currency)})"),
                ("Coverage (30 days)", percent(f.coverage_30d)),
            ]
        ),
        text_block(d.opening + (" (written by the model)" if d.opening_by_model else "")),
    ]
    if d.stale_sources:
        body.append(text_block(f"Stale data: {', '.join(d.stale_sources)}", color="Warning"))
    shown = d.items[:MAX_ITEMS_SHOWN]
    body += [_item(item, f.currency) for item in shown]
    more = d.more_count + len(d.items) - len(shown)
    if more:
        body.append(text_block(f"…and {more} more: type `account <name>` for any of them.", isSubtle=True))
    if d.handoffs:
        body.append(text_block("**Handoffs waiting on you**", separator=True))
        body += [
            text_block(
                f"- **{clip(h.account_name, 100)}** from {clip(h.from_name, 100)} ({h.topic}, {h.status}): "
                f"{clip(h.note, 200)}",
                spacing="None",
            )
            for h in d.handoffs[:5]
        ]
    if not d.items and not d.handoffs:
        body.append(text_block("Nothing needs you today. Enjoy the quiet.", isSubtle=True))
    return card(body)


def alert_card(a: StakeholderAlert) -> dict[str, Any]:
    role = ", ".join(x for x in (a.contact_title, a.contact_role) if x)
    facts = [
        ("Who", f"{a.contact_name}{f' ({role})' if role else ''}"),
        ("Account", a.account_name),
        ("Since", f"{a.since:%b} {a.since.day}" if a.since else "recently"),
        ("ARR", money(a.arr)),
        ("Renewal", renewal(a.renewal_date, a.days_to_renewal)),
    ]
    body = [
        text_block(
            f"Key stakeholder left {clip(a.account_name, 200)}",
            size="Large",
            weight="Bolder",
            color="Attention",
        ),
        fact_set(facts),
    ]
    if a.single_threaded:
        body.append(
            text_block(
                "The account is now single-threaded: fewer than two key contacts remain.", color="Warning"
            )
        )
    if a.others_to_engage:
        body.append(text_block("Who else to engage: " + ", ".join(a.others_to_engage[:5])))
    if a.evidence:
        body.append(text_block("Evidence: " + ", ".join(a.evidence[:10]), isSubtle=True))
    if a.next_step:
        body.append(text_block(f"**Next step:** {a.next_step}"))
    return card(body, [submit(act.OPEN_ACCOUNT, a.account_id, []), submit(act.HANDOFF, a.account_id, [])])
