"""Formatting shared by every renderer: money, dates, labels, cleaning and safe truncation of data."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import TypeVar

from scoring.results import SEVERITY_NAMES

T = TypeVar("T")

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
SEVERITY_MARKS = {1: "⚪", 2: "🟡", 3: "🟠", 4: "🔴"}
CHANGE_LABELS = {"new": "New", "worse": "Worse", "ongoing": "Ongoing"}
ROLE_NAMES = {"am": "Account Manager", "csm": "Customer Success Manager", "manager": "Manager"}
_ENUM = re.compile(r"[a-z]+(?:_[a-z]+)+")  # a CRM's enum value (decision_maker), never a person's title
EVIDENCE_LABELS = {"status": "marked as left in the CRM", "vanished": "gone from the contact sync"}

# Per-field budgets: every platform cuts data at the same place, so they show the same facts.
NAME = 150
HEADLINE = 250
REASON = 200
NEXT_STEP = 500
OPENING = 1200
NOTE = 200
SHORT = 100  # titles, roles, topics, people's names
MAX_REASONS = 3
MAX_ITEMS_SHOWN = 8  # the attention budget of one message; the rest are counted in "and N more"
MAX_HANDOFFS_SHOWN = 5
MAX_LIST = 5  # others to engage, stale sources, evidence

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


def clip(text: str | None, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def clean(text: str | None, limit: int, multiline: bool = False) -> str:
    """Data made safe to show: no control or bidi characters (terminal escapes, spoofing), then clipped.

    Single-line fields collapse every whitespace run, so a name cannot forge extra lines in a message.
    """
    text = (text or "")[: limit * 4]  # bound the work on a hostile 50 KB string
    text = _CONTROL.sub("", text.replace("\t", " ") if multiline else text)
    if multiline:
        text = "\n".join(_SPACE.sub(" ", line).strip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    else:
        text = _SPACE.sub(" ", text).strip()
    return clip(text, limit)


def currency_code(currency: str | None) -> str:
    code = re.sub(r"[^A-Z]", "", (currency or "USD").upper())[:3]
    return code or "USD"


def money(value: float | None, currency: str | None = "USD") -> str:
    """$180k, €1.2M, 950 CHF: short amounts a person reads at a glance."""
    if value is None or not math.isfinite(value):
        return "n/a"
    code = currency_code(currency)
    amount = abs(value)
    # Thresholds look at the rounded figure, so 999,600 reads $1M and not $1000k.
    if amount >= 1e9 or round(amount / 1e6, 1) >= 1000:
        text = f"{amount / 1e9:.1f}B"
    elif amount >= 1e6 or round(amount / 1e3) >= 1000:
        text = f"{amount / 1e6:.1f}M"
    elif amount >= 1e3:
        text = f"{amount / 1e3:.0f}k"
    else:
        text = f"{amount:.0f}"
    text = text.replace(".0M", "M").replace(".0B", "B")
    sign = "-" if value < 0 and text != "0" else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def long_day(day: date) -> str:
    return f"{day:%A}, {day:%b} {day.day}, {day.year}"


def days_label(days: int) -> str:
    if days == 0:
        return "today"
    if days < 0:
        return "1 day ago" if days == -1 else f"{-days} days ago"
    return "1 day" if days == 1 else f"{days} days"


def renewal(day: date | None, days: int | None) -> str:
    """Jan 6 (45 days)."""
    if day is None:
        return "no renewal date"
    return day_label(day) if days is None else f"{day_label(day)} ({days_label(days)})"


def severity(level: int) -> str:
    return f"{SEVERITY_MARKS.get(level, '')} {SEVERITY_NAMES.get(level, str(level))}".strip()


def severity_word(level: int) -> str:
    return SEVERITY_NAMES.get(level, str(level))


def change(label: str) -> str:
    return CHANGE_LABELS.get(label, clean(label, 20).capitalize())


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, clean(role, SHORT))


def percent(share: float | None) -> str:
    if share is None or not math.isfinite(share):
        return "n/a"
    return f"{share * 100:.0f}%"


def change_share(share: float) -> str:
    """+12%, -31%, or "no change" (never "-0%")."""
    return "no change" if round(share * 100) == 0 else f"{share * 100:+.0f}%"


def person_role(role: str | None) -> str:
    """decision_maker -> decision maker: a CRM's enum said in words."""
    return (role or "").replace("_", " ").strip()


def evidence(raw: str) -> str:
    """status | vanished | text:<ticket or note id>, said in words."""
    if raw.startswith("text:"):
        return f"mentioned in ticket or note {clean(raw[5:], SHORT)}"
    return EVIDENCE_LABELS.get(raw, clean(raw, SHORT))


def person(name: str | None, *details: str | None) -> str:
    """Maria Gonzalez (VP Operations, champion)."""
    extra = ", ".join(clean(person_role(x) if _ENUM.fullmatch(x) else x, SHORT) for x in details if x and x.strip())
    who = clean(name, SHORT) or "Someone"
    return f"{who} ({extra})" if extra else who


def safe_url(url: str | None) -> str | None:
    """Only web links become buttons: a javascript: or data: URL from a CRM must never be clickable."""
    url = (url or "").strip()
    if len(url) > 3000 or not url.lower().startswith(("https://", "http://")) or _SPACE.search(url):
        return None
    return url if not _CONTROL.search(url) else None


def left_out(names: list[str], count: int) -> str:
    """ "Acme, Globex and 5 others": the accounts that did not fit, so each is one /account away."""
    named = [clean(n, NAME) for n in names[:MAX_LIST]]
    rest = count - len(named)
    return ", ".join(named) + (f" and {rest} other{'s' if rest != 1 else ''}" if rest > 0 else "")


def handoff_sections(waiting: list[T], sent: list[T]) -> list[tuple[str, list[T], bool]]:
    """The digest's handoff sections, (title, handoffs, sent by the reader), the empty ones left out."""
    sections = [("Handoffs waiting on you", waiting, False), ("Your handoffs still open", sent, True)]
    return [section for section in sections if section[1]]


def chunks_at_spaces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, each cut at a line break or a space when there is one
    (never inside a word or a placeholder like <EMAIL_1>); the pieces joined give `text` back."""
    pieces = []
    while len(text) > size:
        window = text[:size]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut > size // 2 else size
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces + ([text] if text else [])
