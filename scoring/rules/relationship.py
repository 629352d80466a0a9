"""Relationship signals: a key stakeholder left, too few key contacts, nobody talking to the customer."""

from __future__ import annotations

import re
from datetime import date, timedelta

from scoring.facts import end_of
from scoring.results import CRITICAL, HIGH, LOW, MEDIUM, SignalResult
from scoring.rules import Context
from scoring.snapshot import ContactView

# Auto-replies and bounces, in the languages customers write in. A phrase alone is not enough: the same
# text must name the contact (address or full name).
DEPARTURE = re.compile(
    r"no longer (?:with|at|employed|works?|working)|(?:has|have) left (?:the company|\w+)|left the company"
    r"|mailbox (?:is )?unavailable|could not be delivered|address not found|ne fait plus partie|n'est plus"
    r"|a quitté|nicht mehr (?:bei|im|für)|hat das unternehmen verlassen|ya no (?:trabaja|está)",
    re.IGNORECASE,
)


def _describe(c: ContactView) -> str:
    return f"{c.name} ({c.title})" if c.title else str(c.name or c.external_id)


def _text_evidence(ctx: Context, contact: ContactView, since: date) -> list[tuple[str, date]]:
    needles = [n.lower() for n in (contact.email, contact.name) if n and len(n) >= 5]
    if not needles:
        return []
    start = end_of(since) - timedelta(days=1)
    found = []
    texts = [
        (f"ticket {t.external_id}", t.opened_at, f"{t.subject or ''}\n{t.body or ''}") for t in ctx.s.tickets
    ]
    texts += [(f"note {n.external_id}", n.created_at, n.body or "") for n in ctx.s.notes]
    for label, when, text in texts:
        if when < start or not DEPARTURE.search(text):
            continue
        lowered = text.lower()
        if any(needle in lowered for needle in needles):
            found.append((label, when.date()))
    return found


def stakeholder_left(ctx: Context) -> list[SignalResult]:
    c, s = ctx.config, ctx.s
    fresh_since = s.as_of - timedelta(days=c.departure_fresh_days)
    results = []
    departed: dict[str, tuple[ContactView, list[str], date]] = {}
    for contact in s.contacts:
        if not contact.is_key_stakeholder:
            continue
        evidence: list[str] = []
        left_on: date | None = None
        if contact.left_at is not None and contact.left_at.date() >= fresh_since:
            evidence.append(contact.left_evidence or "status")
            left_on = contact.left_at.date()
        elif contact.status == "left" and contact.left_at is None:
            evidence.append("status")
            left_on = s.as_of
        if contact.left_at is not None and contact.left_at.date() < fresh_since:
            continue  # old news: it was announced when it happened
        texts = _text_evidence(ctx, contact, fresh_since)
        evidence += [f"text:{label}" for label, _ in texts]
        if not evidence:
            continue
        left_on = left_on or min(d for _, d in texts)
        departed[contact.external_id] = (contact, evidence, left_on)
    if not departed:
        return []
    remaining = [k for k in ctx.facts.active_key_contacts if k.external_id not in departed]
    others = sorted(
        (o for o in s.contacts if o.active and o.external_id not in departed),
        key=lambda o: (not o.is_key_stakeholder, o.name or ""),
    )
    single = len(remaining) < 2
    renewal_soon = s.days_to_renewal is not None and 0 <= s.days_to_renewal <= 90
    for contact, evidence, left_on in departed.values():
        structural = any(not e.startswith("text:") for e in evidence)
        textual = any(e.startswith("text:") for e in evidence)
        confidence = "high" if structural and textual else "medium" if structural else "low"
        reasons = [
            f"{_describe(contact)}, {contact.role or 'key contact'}, left around {left_on.isoformat()}"
        ]
        reasons.append(f"Evidence: {', '.join(evidence)} (confidence {confidence})")
        reasons.append(
            f"Now single-threaded: {len(remaining)} active key contact(s) left"
            if single
            else f"{len(remaining)} key contacts remain"
        )
        if others:
            reasons.append("Could engage: " + ", ".join(_describe(o) for o in others[:3]))
        results.append(
            SignalResult(
                kind="stakeholder_left",
                key=contact.external_id,
                severity=CRITICAL if single or renewal_soon else HIGH,
                title=f"{contact.name or 'A key contact'} ({contact.role or 'key'}) left {s.name}",
                reasons=reasons,
                evidence={
                    "contact_id": contact.external_id,
                    "contact_name": contact.name,
                    "role": contact.role,
                    "left_on": left_on.isoformat(),
                    "evidence": evidence,
                    "confidence": confidence,
                    "single_threaded": single,
                    "active_key_contacts": len(remaining),
                    "others": [_describe(o) for o in others[:3]],
                },
                next_steps={
                    "am": "Find who now owns the decision this week; ask your remaining sponsor for an intro.",
                    "csm": "Map who inherits the champion's work; offer them onboarding within 10 days.",
                },
                value_at_stake=ctx.arr or None,
            )
        )
    return results


def single_threaded(ctx: Context) -> list[SignalResult]:
    keys = ctx.facts.active_key_contacts
    if not ctx.material or not ctx.s.contacts or len(keys) >= 2:
        return []
    return [
        SignalResult(
            kind="single_threaded",
            severity=MEDIUM if keys else HIGH,
            title=f"Single-threaded: {len(keys)} active key contact(s)",
            reasons=[
                f"Only {len(keys)} active decision maker/champion on a {round(ctx.arr / 1000)}k ARR account"
                + (f": {_describe(keys[0])}" if keys else "")
            ],
            evidence={"active_key_contacts": [k.external_id for k in keys]},
            next_steps={
                "am": "Ask your sponsor to introduce you to a second decision maker before the renewal talk.",
                "csm": "Build a second champion: invite the most active users' lead to the next review.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]


def no_contact(ctx: Context) -> list[SignalResult]:
    days = ctx.facts.days_since_touch
    if not ctx.material or (days is not None and days < ctx.config.no_contact_days):
        return []
    soon = ctx.s.days_to_renewal is not None and 0 <= ctx.s.days_to_renewal <= ctx.config.renewal_window_days
    since = f"No recorded touch for {days} days" if days is not None else "No recorded touch in 180 days"
    return [
        SignalResult(
            kind="no_contact",
            severity=MEDIUM if soon else LOW,
            title=since,
            reasons=[f"{since} on a {round(ctx.arr / 1000)}k ARR account: don't only show up at renewal"],
            evidence={"days_since_touch": days},
            next_steps={
                "am": "Send a short check-in with one useful insight from their usage.",
                "csm": "Book a light-touch review: what changed for them this quarter?",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
