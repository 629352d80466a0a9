"""Relationship: a key stakeholder left, too few key contacts, nobody talking to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scoring.config import ScoringConfig
from scoring.results import CRITICAL, HIGH, MEDIUM, SignalResult
from scoring.rules import Context, day, describe, money, plural
from scoring.rules.departures import TextHit, text_hits
from scoring.snapshot import AccountSnapshot, ContactView, NoteView

__all__ = [  # TextHit and text_hits live in departures; health reads them from here with the facts
    "RECENT_DEPARTURE_DAYS",
    "Departure",
    "RelationshipFacts",
    "TextHit",
    "no_contact",
    "relationship_facts",
    "single_threaded",
    "stakeholder_left",
    "text_hits",
]

RECENT_DEPARTURE_DAYS = 90  # health remembers a departure this long


@dataclass(frozen=True)
class Departure:
    contact: ContactView
    left_on: date | None  # None when nothing dates it (a status 'left' with no timestamp nor text)
    evidence: list[str]  # status | vanished | text:<ticket or note id>
    texts: list[TextHit]

    @property
    def confidence(self) -> str:
        structural = any(not e.startswith("text:") for e in self.evidence)
        return "high" if structural and self.texts else "medium" if structural else "low"


@dataclass(frozen=True)
class RelationshipFacts:
    active_key: list[ContactView]  # key stakeholders active on the day (and not reported gone in text)
    others: list[ContactView]  # every active contact, key stakeholders first
    departures: list[Departure]  # key stakeholders gone by the day
    has_contacts: bool
    last_touch: NoteView | None
    days_since_touch: int | None

    def recent_departures(self, day: date, days: int) -> list[Departure]:
        return [d for d in self.departures if d.left_on is not None and (day - d.left_on).days <= days]


def relationship_facts(
    s: AccountSnapshot, c: ScoringConfig, day: date, hits: list[TextHit] | None = None
) -> RelationshipFacts:
    if hits is None:
        hits = text_hits(s)
    by_contact: dict[str, list[TextHit]] = {}
    for h in hits:
        if h.day <= day:
            by_contact.setdefault(h.contact_id, []).append(h)
    departures: list[Departure] = []
    gone: set[str] = set()
    for ct in s.contacts:
        texts = by_contact.get(ct.external_id, []) if ct.is_key_stakeholder else []
        left_by_day = ct.left_at.date() <= day if ct.left_at is not None else ct.status == "left"
        if not left_by_day and not texts:
            continue
        gone.add(ct.external_id)
        if not ct.is_key_stakeholder:
            continue
        evidence = [ct.left_evidence or "status"] if left_by_day else []
        evidence += [f"text:{h.id}" for h in texts]
        text_day = min((h.day for h in texts), default=None)
        left_on = ct.left_at.date() if left_by_day and ct.left_at is not None else text_day
        departures.append(Departure(ct, left_on, evidence, texts))
    active = [ct for ct in s.contacts if ct.external_id not in gone]
    active.sort(key=lambda ct: (not ct.is_key_stakeholder, ct.name or ""))
    notes = [n for n in s.notes if n.created_at.date() <= day]
    last = max(notes, key=lambda n: n.created_at, default=None)
    return RelationshipFacts(
        active_key=[ct for ct in active if ct.is_key_stakeholder],
        others=active,
        departures=departures,
        has_contacts=bool(s.contacts),
        last_touch=last,
        days_since_touch=(day - last.created_at.date()).days if last else None,
    )


def stakeholder_left(ctx: Context) -> list[SignalResult]:
    c, f, s = ctx.config, ctx.facts.relationship, ctx.s
    fresh = f.recent_departures(s.as_of, c.departure_fresh_days)
    if not fresh:
        return []
    remaining = len(f.active_key)
    single = remaining < c.min_key_contacts
    renewal_soon = ctx.renewal_within(c.renewal_prep_days)
    engage = [describe(o) for o in f.others[:3]]
    results = []
    for d in fresh:
        ct, left_on = d.contact, d.left_on or s.as_of
        who = describe(ct)
        role = (ct.role or "key contact").replace("_", " ")
        sources = " and ".join(
            {"status": "marked as left in the CRM", "vanished": "gone from the CRM"}.get(
                e, "mentioned in " + e.removeprefix("text:")
            )
            for e in d.evidence
        )
        left = "left" if d.confidence != "low" else "probably left"
        reasons = [
            f"{who}, {role}, {left} {s.name} around {day(left_on)} ({sources})",
            f"Account is now single-threaded: only {plural(remaining, 'active key contact')} remaining"
            if single
            else f"{plural(remaining, 'active key contact')} remain",
        ]
        leads = sorted({h.successor for h in d.texts if h.successor})
        if leads:
            reasons.append("The reply names who to engage instead: " + "; ".join(leads))
        if engage:
            reasons.append("Who else to engage: " + ", ".join(engage))
        if renewal_soon:
            reasons.append(f"Renewal in {ctx.days_to_renewal} days")
        first = engage[0] if engage else "the customer's leadership"
        results.append(
            SignalResult(
                kind="stakeholder_left",
                key=ct.external_id,
                severity=CRITICAL if single or renewal_soon else HIGH,
                title=f"{ct.name or ct.external_id} ({role}) left {s.name}",
                reasons=reasons,
                evidence={
                    "contact_id": ct.external_id,
                    "contact_name": ct.name,
                    "contact_email": ct.email,
                    "title": ct.title,
                    "role": ct.role,
                    "left_on": left_on.isoformat(),
                    "evidence": d.evidence,
                    "confidence": d.confidence,
                    "texts": [{"source": h.source, "id": h.id, "day": h.day.isoformat()} for h in d.texts],
                    "active_key_contacts": remaining,
                    "single_threaded": single,
                    "others_to_engage": engage,
                    "successor_named": leads,
                    "comparison": f"left {(s.as_of - left_on).days} days ago; {remaining} active key contacts "
                    f"remain against the {c.min_key_contacts} an account needs",
                    "days_to_renewal": ctx.days_to_renewal,
                },
                next_steps={
                    "am": f"{ct.name or 'A key contact'} left: reach {first} this week to confirm who now owns "
                    f"the decision on this {money(ctx.arr or None, s.currency)} account.",
                    "csm": f"{ct.name or 'A key contact'} left: find who inherits their work and onboard them; "
                    f"ask {first} who should become the new champion.",
                },
                value_at_stake=ctx.arr or None,
            )
        )
    return results


def single_threaded(ctx: Context) -> list[SignalResult]:
    c, f = ctx.config, ctx.facts.relationship
    keys = f.active_key
    if not ctx.material or len(keys) >= c.min_key_contacts:
        return []
    others = [describe(o) for o in f.others if not o.is_key_stakeholder][:3]
    severity = HIGH if not keys or ctx.renewal_within(c.renewal_prep_days) else MEDIUM
    held = f"only {describe(keys[0])}" if len(keys) == 1 else ", ".join(describe(k) for k in keys) or "nobody"
    reasons = [f"{plural(len(keys), 'active key contact')} on a {money(ctx.arr, ctx.s.currency)} account: {held}"]
    if others:
        reasons.append("Could be developed: " + ", ".join(others))
    return [
        SignalResult(
            kind="single_threaded",
            severity=severity,
            title=f"Single-threaded: {plural(len(keys), 'active key contact')}",
            reasons=reasons,
            evidence={
                "active_key_contacts": [k.external_id for k in keys],
                "minimum": c.min_key_contacts,
                "candidates": others,
                "arr": ctx.arr,
            },
            next_steps={
                "am": "Ask your sponsor to introduce a second decision maker before the renewal conversation.",
                "csm": "Develop a second champion: invite "
                + (others[0] if others else "the most active team's lead")
                + " to the next review.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]


def no_contact(ctx: Context) -> list[SignalResult]:
    c, f = ctx.config, ctx.facts.relationship
    days = f.days_since_touch
    if not ctx.material or (days is not None and days < c.no_contact_days):
        return []
    since = f"No touch for {days} days" if days is not None else "No touch on record"
    soon = ctx.renewal_within(c.renewal_prep_days)
    long_silence = days is None or days >= 2 * c.no_contact_days
    last = f.last_touch
    return [
        SignalResult(
            kind="no_contact",
            severity=HIGH if soon or long_silence else MEDIUM,
            title=since,
            reasons=[
                f"{since} on a {money(ctx.arr, ctx.s.currency)} account (aim: a touch every {c.no_contact_days} days)"
            ]
            + ([f"Renewal in {ctx.days_to_renewal} days"] if soon else []),
            evidence={
                "days_since_touch": days,
                "last_note_id": last.external_id if last else None,
                "last_note_on": last.created_at.date().isoformat() if last else None,
                "last_note_by": last.author_email if last else None,
                "threshold_days": c.no_contact_days,
            },
            next_steps={
                "am": "Send the sponsor a short check-in with one insight from their usage; don't only show up "
                "at renewal.",
                "csm": "Book a light-touch review with the champion: what changed for them this quarter?",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
