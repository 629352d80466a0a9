"""Formatting shared by every renderer: money, dates, severities, safe truncation."""

from __future__ import annotations

from datetime import date

from scoring.results import SEVERITY_NAMES

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
SEVERITY_MARKS = {1: "⚪", 2: "🟡", 3: "🟠", 4: "🔴"}
CHANGE_LABELS = {"new": "New", "worse": "Worse", "ongoing": "Ongoing"}
ROLE_NAMES = {"am": "Account Manager", "csm": "Customer Success Manager", "manager": "Manager"}


def money(value: float | None, currency: str | None = "USD") -> str:
    if value is None:
        return "n/a"
    code = (currency or "USD").upper()
    symbol = SYMBOLS.get(code)
    amount = abs(value)
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}M".replace(".0M", "M")
    elif amount >= 1_000:
        text = f"{amount / 1_000:.0f}k"
    else:
        text = f"{amount:.0f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def renewal(day: date | None, days: int | None) -> str:
    if day is None:
        return "no renewal date"
    label = f"{day:%b} {day.day}"
    if days is None:
        return label
    if days < 0:
        return f"{label} ({-days} days ago)"
    return f"{label} ({days} days)"


def severity(level: int) -> str:
    return f"{SEVERITY_MARKS.get(level, '')} {SEVERITY_NAMES.get(level, str(level))}".strip()


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f}%"
