"""Departures in free text: who left (the subject, or the bounced address) and who is the successor.

Auto-replies, bounces and the team's own notes, in the languages customers write in. A successor named after
"please contact" (and its equivalents) is a lead to engage, never a departure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from scoring.snapshot import AccountSnapshot, ContactView

# Auto-replies, bounces and notes, in the languages customers write in. A phrase alone never fires: the
# contact's address or full name must appear within NEAR characters of it in the same ticket or note, and
# every phrase has a subject: "left the company" counts, "left the meeting early" or "left a comment" never.
_ORG = r"(?:company|business|firm|organi[sz]ation|team|group|\w+ (?:company|team|group))"
DEPARTURE = re.compile(
    r"no longer (?:with|at|employed|part of|(?:works?|working) (?:at|for|with|here))"
    rf"|(?:has|have|had|['’]ve) (?:now |recently |since )?left (?:(?:the |our )?{_ORG}\b|us\b)"
    r"|(?:has|have|['’]ve) left(?=\s*(?:[.,;:!]|$|\band\b))|(?:has|have|['’]ve) left (?-i:[A-Z])"
    r"|left the (?:company|organi[sz]ation|business|firm)"
    r"|(?:his|her|their|my) last day (?:was|is|will be|at|here)|mailbox (?:is )?(?:unavailable|no longer)"
    r"|(?:address|recipient|user) (?:not found|unknown|rejected)|\b550[ -]5\.1\.[0-9]|recipnotfound"
    r"|(?:account|address|mailbox|recipient)[^.\n]{0,40}?(?:does not|doesn['’]t) exist|unknown user|no such user"
    r"|n['’]est plus (?:chez|avec|dans|employée?|en poste|membre)|ne fai[st] plus partie|n['’]y travaille plus"
    r"|ne travaille plus|(?:a|ai) quitté (?:l['’]entreprise|la société|notre|l['’]organisation|ses fonctions|\w+ le)"
    r"|nicht mehr (?:bei|für|im (?:unternehmen|haus)|in unserem|tätig|beschäftigt|erreichbar|teil)"
    r"|(?:hat|habe) (?![^\n]{0,40}?(?:besprechung|meeting|sitzung|call|anruf|konferenz))[^\n!?]{0,80}? verlassen"
    r"|(?:ist|bin) ausgeschieden|ya no (?:trabaj[ao]|formo parte|forma parte|está|estoy)"
    r"|(?:ha dejado|he dejado|dejó) (?:la|nuestra) (?:empresa|compañía)"
    r"|não (?:trabalha|faz parte)|non (?:lavora|fa) più|niet meer (?:werkzaam|in dienst|bij)",
    re.IGNORECASE,
)
# What follows these names the person to engage now, never the one who left ...
SUCCESSOR = re.compile(
    r"please (?:contact|reach out to|get in touch with|write to|email)|contact [^.\n]{0,40}?instead"
    r"|(?:for|with) (?:urgent|further|any|all) [^.\n]{0,40}?(?:contact|reach out to|write to)"
    r"|reach out to|get in touch with|you (?:can|may) (?:reach|contact)|successor(?: is)?|replaced by"
    r"|now handled by|can be reached|is reachable|wenden sie sich (?:bitte )?an|kontaktieren sie"
    r"|nachfolger(?:in)? ist|(?:anfragen|aufgaben|kunden|themen) übernimmt|erreichen sie|joignable|reprend ses"
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


@dataclass(frozen=True)
class TextHit:
    contact_id: str
    source: str  # ticket | note
    id: str
    day: date
    phrase: str
    successor: str | None = None  # "please contact Rita Moreno ...": the lead the text names instead


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
        named_successors: set[str] = set()
        for contact, needles in keys:
            mentions = [(m.start(), m.end(), "@" in p.pattern) for p in needles for m in p.finditer(text)]
            if any(_is_successor(text, a, b, successors) for a, b, _ in mentions):
                named_successors.add(contact.external_id)
                continue  # named as the one to contact: in this text they are the successor, whatever else
            named = [(a, is_email) for a, _, is_email in mentions]
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
                if contact.external_id in named_successors or any(
                    h.id == ident and h.contact_id == contact.external_id for h in hits
                ):
                    continue
                pattern = re.compile(rf"(?<!\w){re.escape(first)}(?!\w)[^.\n]{{0,25}}$", re.IGNORECASE)
                if any(pattern.search(text[: ph[0]]) for ph in phrases):
                    hits.append(TextHit(contact.external_id, source, ident, when.date(), phrases[0][2].lower(), lead))
    return hits
