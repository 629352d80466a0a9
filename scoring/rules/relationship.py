"""Relationship: a key stakeholder left, too few key contacts, nobody talking to the customer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from scoring.config import ScoringConfig
from scoring.results import CRITICAL, HIGH, MEDIUM, SignalResult
from scoring.rules import Context, describe, money, plural
from scoring.snapshot import AccountSnapshot, ContactView, NoteView

# Auto-replies, bounces and notes, in the languages customers write in. A phrase alone never fires: the
# contact's address or full name must appear within NEAR characters of it in the same ticket or note, and
# every phrase has a subject: "left the company" counts, "left the meeting early" or "left a comment" never.
_ORG = r"(?:company|business|firm|organi[sz]ation|team|group|\w+ (?:company|team|group))"
DEPARTURE = re.compile(
    r"no longer (?:with|at|employed|works?|working|part of)"
    rf"|(?:has|have|had) (?:now |recently |since )?left (?:(?:the |our )?{_ORG}\b|us\b)"
    r"|(?:has|have) left(?=\s*(?:[.,;:!]|$|\band\b))|(?:has|have) left (?-i:[A-Z])"
    r"|left the (?:company|organi[sz]ation|business|firm)"
    r"|(?:his|her|their) last day (?:was|is|will be|at|here)|mailbox (?:is )?(?:unavailable|no longer)"
    r"|(?:address|recipient|user) (?:not found|unknown|rejected)|\b550[ -]5\.1\.[0-9]|recipnotfound"
    r"|(?:account|address|mailbox|recipient)[^.\n]{0,40}?(?:does not|doesn['’]t) exist|unknown user|no such user"
    r"|n['’]est plus|ne fait plus partie|a quitté (?:l['’]entreprise|la société|notre|l['’]organisation|ses fonctions)"
    r"|nicht mehr|hat (?![^\n]{0,40}?(?:besprechung|meeting|sitzung|call|anruf|konferenz))[^\n!?]{0,80}? verlassen"
    r"|ist ausgeschieden|ya no (?:trabaja|forma parte|está)|(?:ha dejado|dejó) (?:la|nuestra) (?:empresa|compañía)"
    r"|não (?:trabalha|faz parte)|non (?:lavora|fa) più|niet meer (?:werkzaam|in dienst|bij)",
    re.IGNORECASE,
)
# What follows these names the person to engage now, never the one who left ...
SUCCESSOR = re.compile(
    r"please (?:contact|reach out to|get in touch with|write to|email)|contact [^.\n]{0,40}?instead"
    r"|(?:for|with) (?:urgent|further|any|all) [^.\n]{0,40}?(?:contact|reach out to|write to)"
    r"|reach out to|get in touch with|you (?:can|may) (?:reach|contact)|successor(?: is)?|replaced by"
    r"|now handled by|wenden sie sich (?:bitte )?an|kontaktieren sie|nachfolger(?:in)? ist"
    r"|veuillez contacter|merci de contacter|contactez|s['’]adresser à|remplacée? par"
    r"|por favor,? contact[ea]|póngase en contacto con|contacte (?:a|con)|comuníquese con|sucesora? es"
    r"|reemplazad[oa] por|neem contact op met|contattare|contate",
    re.IGNORECASE,
)
# ... and what follows the successor's name ("Rita Moreno takes over").
TAKES_OVER = re.compile(
    r"(?:has|have) taken over|will take over|takes over|(?:is|will be) (?:now )?(?:your|the) new|übernimmt"
    r"|reprend|se encargará|sustituye",
    re.IGNORECASE,
)
BOUNCE = re.compile(
    r"\b550[ -]5\.1\.[0-9]|recipnotfound|(?:address|recipient|user) (?:not found|unknown|rejected)|unknown user"
    r"|no such user|could not be delivered|undeliverable|unzustellbar|non remis|mailbox unavailable"
    r"|(?:account|address|mailbox|recipient)[^.\n]{0,40}?(?:does not|doesn['’]t) exist",
    re.IGNORECASE,
)
SUCCESSOR_REACH = 100  # a name this close after a successor phrase, in the same sentence, is the successor
NEAR = 160
RECENT_DEPARTURE_DAYS = 90  # health remembers a departure this long


@dataclass(frozen=True)
class TextHit:
    contact_id: str
    source: str  # ticket | note
    id: str
    day: date
    phrase: str
    successor: str | None = None  # "please contact Rita Moreno ...": the lead the text names instead


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


def _needles(c: ContactView) -> list[re.Pattern[str]]:
    found = []
    if c.email and "@" in c.email:
        found.append(re.compile(re.escape(c.email), re.IGNORECASE))
    if c.name and " " in c.name.strip():  # a full name; a first name alone is too common to trust
        found.append(re.compile(rf"(?<!\w){re.escape(c.name.strip())}(?!\w)", re.IGNORECASE))
    return found


def _sentence_end(text: str, start: int) -> int:
    ends = [i for i in (text.find(ch, start) for ch in ".\n;!?") if i >= 0]
    return min([*ends, start + SUCCESSOR_REACH])


def _successor_spans(text: str) -> list[tuple[int, int]]:
    """Where a successor is named: after "please contact" to the sentence's end; (lo, lo) before "takes over"."""
    spans = [(m.start(), _sentence_end(text, m.end())) for m in SUCCESSOR.finditer(text)]
    return spans + [(-m.start(), -m.start()) for m in TAKES_OVER.finditer(text)]


def _is_successor(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Named after "please contact ..." in the same sentence, or just before "... takes over"."""
    for lo, hi in spans:
        if lo >= 0 and lo <= start <= hi:
            return True
        cue = -lo  # a "takes over" cue, stored negative: the name right before it is the successor
        if lo < 0 and end <= cue <= end + 40 and not any(ch in text[end:cue] for ch in ".\n;!?,"):
            return True
    return False


def _successor_lead(text: str, spans: list[tuple[int, int]]) -> str | None:
    """The words naming who to engage instead, as written (a name, an address), for the AM to follow up."""
    for lo, hi in spans:
        if lo < 0:
            continue
        found = text[lo:hi].strip(" ,:;.-")
        if found:
            return found[:120]
    return None


def _first_names(s: AccountSnapshot) -> dict[str, ContactView]:
    """Key contacts whose first name is theirs alone on the account: the team's own notes use first names."""
    by: dict[str, list[ContactView]] = {}
    for c in s.contacts:
        if c.name and " " in c.name.strip():
            by.setdefault(c.name.split()[0].lower(), []).append(c)
    return {k: v[0] for k, v in by.items() if len(v) == 1 and v[0].is_key_stakeholder}


def text_hits(s: AccountSnapshot) -> list[TextHit]:
    """Every ticket or note where a departure phrase has a key contact as its subject or bounced address.

    A contact named after "please contact", "wenden Sie sich an", "veuillez contacter", "por favor contacte"
    (and the like) is the successor: a lead to engage, never a departure."""
    ours = {e.lower() for e in (s.am_email, s.csm_email) if e}
    texts: list[tuple[str, str, datetime, str, bool]] = [
        ("ticket", t.external_id, t.opened_at, f"{t.subject or ''}\n{t.body or ''}", False) for t in s.tickets
    ]
    texts += [
        ("note", n.external_id, n.created_at, n.body or "", (n.author_email or "").lower() in ours) for n in s.notes
    ]
    with_phrases = [(t, [(m.start(), m.end(), m.group(0)) for m in DEPARTURE.finditer(t[3])]) for t in texts]
    with_phrases = [(t, phrases) for t, phrases in with_phrases if phrases]
    if not with_phrases:  # most accounts: no departure phrase anywhere, so no contact pattern to compile
        return []
    keys = [(c, _needles(c)) for c in s.contacts if c.is_key_stakeholder]
    keys = [(c, n) for c, n in keys if n]
    first_names = _first_names(s)
    hits = []
    for (source, ident, when, text, internal), phrases in with_phrases:
        successors = _successor_spans(text)
        bounce = BOUNCE.search(text) is not None
        lead = _successor_lead(text, successors)
        for contact, needles in keys:
            named = [
                (m.start(), "@" in p.pattern)
                for p in needles
                for m in p.finditer(text)
                if not _is_successor(text, m.start(), m.end(), successors)
            ]
            close = [
                ph
                for ph in phrases
                for at, is_email in named
                if ph[0] - NEAR <= at <= ph[1] + NEAR and (is_email or not BOUNCE.fullmatch(ph[2]))
            ]
            if bounce and any(is_email for _, is_email in named):  # the bounced address is the evidence
                close = close or phrases
            if close:
                hits.append(TextHit(contact.external_id, source, ident, when.date(), close[0][2].lower(), lead))
        if internal:  # the CSM's own note: "Joshua has left, his last day was Friday"
            for first, contact in first_names.items():
                if any(h.id == ident and h.contact_id == contact.external_id for h in hits):
                    continue
                pattern = re.compile(rf"(?<!\w){re.escape(first)}(?!\w)[^.\n]{{0,25}}$", re.IGNORECASE)
                if any(pattern.search(text[: ph[0]]) for ph in phrases):
                    hits.append(TextHit(contact.external_id, source, ident, when.date(), phrases[0][2].lower(), lead))
    return hits


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
        sources = ", ".join(
            {"status": "status set to left", "vanished": "vanished from the CRM"}.get(e, e.replace(":", " "))
            for e in d.evidence
        )
        reasons = [
            f"{who}, {role}, left {s.name} around {left_on.isoformat()} (evidence: {sources}; "
            f"confidence {d.confidence})",
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
            reasons=[f"{since} on a {money(ctx.arr, ctx.s.currency)} account (threshold {c.no_contact_days})"]
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
