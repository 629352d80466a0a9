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
    r"|ne travaille plus|(?:a|ai) quitté (?:l['’]entreprise|la société|notre|l['’]organisation|ses fonctions|\w+ le"
    r"|(?-i:[A-Z]))"
    r"|nicht mehr (?:bei|für|im (?:unternehmen|haus)|in unserem|tätig|beschäftigt|erreichbar|teil)"
    r"|(?:hat|habe) (?![^\n]{0,40}?(?:besprechung|meeting|sitzung|call|anruf|konferenz))"
    r"(?:[^\n!?;.]|\.(?!\s+(?-i:[A-ZÄÖÜ]))){0,80}? verlassen"
    r"|(?:ist|bin) ausgeschieden|ya no (?:trabaj[ao]|formo parte|forma parte|está|estoy)"
    r"|(?:ha dejado|he dejado|dejó) (?:(?:la|nuestra) (?:empresa|compañía|organización)|(?-i:[A-Z]))"
    r"|não (?:trabalha|faz parte)|non (?:lavora|fa) più|niet meer (?:werkzaam|in dienst|bij)",
    re.IGNORECASE,
)
# What follows these names the person to engage now, never the one who left ...
SUCCESSOR = re.compile(
    r"please (?:contact|reach out to|get in touch with|write to|email)|contact [^.\n]{0,40}?instead"
    r"|(?:for|with) (?:urgent|further|any|all) [^.\n]{0,40}?(?:contact|reach out to|write to)"
    r"|reach out to|get in touch with|you (?:can|may) (?:reach|contact)|successor(?: is)?|replaced by"
    r"|now handled by|can be reached|is reachable|start (?:with|working with)"
    r"|(?:hand(?:ed|ing)?|handover) (?:over )?to"
    r"|(?:our|the|your) new (?:main |primary )?(?:contact|point of contact|champion|sponsor)(?: person)? (?:is|will be)"
    r"|wenden sie sich (?:bitte )?an|kontaktieren sie|erreichen sie"
    r"|nachfolger(?:in)? (?:ist|wird)|ansprechpartner(?:in)? (?:ist|wird) (?:jetzt |nun |ab sofort |künftig )?"
    r"|(?:anfragen|aufgaben|kunden|themen) übernimmt|joignable|reprend ses"
    r"|veuillez contacter|merci de contacter|contactez|s['’]adresser à|remplacée? par"
    r"|(?:nouveau|nouvel|nouvelle) (?:contact|interlocut(?:eur|rice)|référent)(?: principal)? (?:est|sera)"
    r"|por favor,? contact[ea]|póngase en contacto con|contacte (?:a|con)|comuníquese con|sucesora? es"
    r"|reemplazad[oa] por|sustituid[oa] por"
    r"|nuev[oa] (?:contacto|persona de contacto|interlocutor)(?: principal)? (?:es|será)"
    r"|neem contact op met|contattare|contate",
    re.IGNORECASE,
)
# ... and what follows the successor's name ("Rita Moreno takes over", "Rosa is our new main contact").
TAKES_OVER = re.compile(
    r"(?:has|have) taken over|will take over|takes over|replaces|(?:has|have|will) replace"
    r"|(?:is|will be) (?:now )?(?:our|your|the) (?:new|main|primary)|is now (?:our|your|the)"
    r"|übernimmt|ersetzt|ist (?:jetzt |nun |ab sofort |künftig )?(?:unser|unsere|der|die|ihr|ihre) neue"
    r"|ist (?:jetzt |nun |ab sofort )(?:unser|unsere|der|die) |(?:wird|ist) (?:jetzt |nun )?nachfolger"
    r"|reprend|remplace|est (?:désormais |maintenant )?(?:notre|votre|le|la) nouv|(?:sera|devient) (?:notre|votre)"
    r"|se encargará|se hará cargo|sustituye|reemplaza|es (?:ahora )?(?:nuestr[oa]|su|el|la) nuev"
    r"|será (?:nuestr[oa]|su)",
    re.IGNORECASE,
)
# "I have left", "ich habe ... verlassen", "j'ai quitté", "ya no trabajo": the writer is the one who left, and
# the writer's name sits in the header or the signature, not before the verb.
FIRST_PERSON = re.compile(
    r"\b(?:I|I['’]m|I am|ich|je|j['’]|yo|my|mein|meine|mon|ma|mi)\s*$"
    r"|^(?:my|habe|bin|ai|he dejado|ya no (?:trabajo|formo|estoy))",
    re.IGNORECASE,
)
BOUNCE = re.compile(
    r"\b550[ -]5\.1\.[0-9]|recipnotfound|(?:address|recipient|user) (?:not found|unknown|rejected)|unknown user"
    r"|no such user|could not be delivered|undeliverable|unzustellbar|non remis|mailbox unavailable"
    r"|(?:account|address|mailbox|recipient)[^.\n]{0,40}?(?:does not|doesn['’]t) exist",
    re.IGNORECASE,
)
# A full stop ends a sentence unless it closes an abbreviation, an initial or a day/month ("zum 05.01. verlassen");
# a full date's year ("2027-01-08." / "05.01.2027.") does end one.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:dr|mr|mrs|ms|prof|st|inc|ltd|co|corp|jr|sr|sra|srta|mme|mlle|hr|fr|bzw|ca|nr|no|vs|etc|approx|dept)"
    r"|\b(?:z\.b|e\.g|i\.e|u\.a|d\.h|p\.ex|p\.ej)|\b\w|(?<![\w.\-/])\d{1,2}(?:\.\d{1,2})?)$",
    re.IGNORECASE,
)
# Words around a successor's name that are not the name: "and Rita Moreno", "Rita Moreno la (remplace)".
_FILLER = re.compile(
    r"^(?:and|und|et|y|so|then|dann|puis|luego)\s+|\s+(?:la|le|lo|les|los|ihn|sie|him|her|them)$", re.I
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


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or clause: split at ; ! ? newlines, and full stops that end a sentence."""
    bounds, start = [], 0
    for m in re.finditer(r"[;!?\n]|\.(?=\s|$)", text):
        if m.group(0) == "." and _ABBREVIATIONS.search(text[start : m.start()]):
            continue
        bounds.append((start, m.end()))
        start = m.end()
    bounds.append((start, len(text)))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


def _sentence_of(bounds: list[tuple[int, int]], at: int) -> tuple[int, int]:
    return next(((a, b) for a, b in bounds if a <= at < b), (at, at))


def _successor_spans(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where a successor is named: after "please contact" to its sentence's end; before "takes over" from the
    sentence's start (the name closest to the cue is the one it is about)."""
    spans = []
    for m in SUCCESSOR.finditer(text):
        _, end = _sentence_of(bounds, m.start())
        spans.append((m.end(), min(end, m.end() + SUCCESSOR_REACH)))
    for m in TAKES_OVER.finditer(text):
        start, _ = _sentence_of(bounds, m.start())
        # "Ben has left, Rosa Kowalski is our new main contact": the successor follows any departure verb
        after = [d.end() for d in DEPARTURE.finditer(text, start, m.start())]
        spans.append((max([start, *after]), m.start()))
    return spans


def _is_successor(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi + 1 for lo, hi in spans)


def _successor_lead(text: str, spans: list[tuple[int, int]]) -> str | None:
    """The words naming who to engage instead, as written (a name, an address), for the AM to follow up."""
    for lo, hi in spans:
        found = _FILLER.sub("", text[lo:hi].strip(" ,:;.-\n")).strip(" ,:;.-\n")
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


def _bound(text: str, phrase: tuple[int, int, str], at: int, end: int, bounds: list[tuple[int, int]]) -> bool:
    """Is the mention at..end the subject of this departure phrase? The subject stands before the verb in the
    same sentence; a first-person reply ("I have left") is about its writer, named anywhere near it."""
    start, stop, _ = phrase
    s_lo, _ = _sentence_of(bounds, start)
    if s_lo <= at and end <= start:
        return True
    first_person = FIRST_PERSON.search(text[max(s_lo, start - 12) : start]) or FIRST_PERSON.search(text[start:stop])
    return bool(first_person) and start - NEAR <= at <= stop + NEAR


def text_hits(s: AccountSnapshot) -> list[TextHit]:
    """Every ticket or note where a departure phrase has a key contact as its subject or bounced address.

    A departure verb binds to its own subject only: a name elsewhere in the text is not a leaver for being near
    it. A contact named as the one to engage ("please contact", "is our new main contact", "übernimmt",
    "remplace", "nuevo contacto es") is the successor: a lead, never a departure."""
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
    first_names = _first_names(s)
    hits = []
    for (source, ident, when, text, internal), phrases in with_phrases:
        bounds = sentences(text)
        successors = _successor_spans(text, bounds)
        bounce = BOUNCE.search(text) is not None
        lead = _successor_lead(text, successors)
        for contact, needles in keys:
            if internal:  # the CSM's own note: "Joshua has left, his last day was Friday"
                first = next((k for k, c in first_names.items() if c.external_id == contact.external_id), None)
                if first:
                    needles = [*needles, re.compile(rf"(?<!\w){re.escape(first)}(?!\w)", re.IGNORECASE)]
            mentions = [(m.start(), m.end(), "@" in p.pattern) for p in needles for m in p.finditer(text)]
            if not mentions or any(_is_successor(a, b, successors) for a, b, _ in mentions):
                continue  # named as the one to engage: in this text they are the successor, whatever else
            close = [
                ph
                for ph in phrases
                for at, end, is_email in mentions
                if _bound(text, ph, at, end, bounds) and (is_email or not BOUNCE.fullmatch(ph[2]))
            ]
            if bounce and any(is_email for _, _, is_email in mentions):  # the bounced address is the evidence
                close = close or phrases
            if close:
                hits.append(TextHit(contact.external_id, source, ident, when.date(), close[0][2].lower(), lead))
    return hits
