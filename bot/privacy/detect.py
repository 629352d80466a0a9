"""Finding emails and phone numbers in free text, offline and fast.

presidio's pattern recognizers decide what is an email or a phone number (phonenumbers does the phone
part, per region). Running them over whole texts is slow (about 0.1 MB/s with seven regions), so a cheap
regex pre-scan picks the few spans that could hold one (a run of digits, an `@`) and only those, with some
context around them, go to the recognizers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.privacy.lookalikes import covered_by_lookalike

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
DEFAULT_PHONE_REGIONS = ("US", "GB", "FR", "DE", "ES", "IT", "NL")

# Pre-scan. A phone candidate is a run of at least 7 digits with only short separators between them;
# separators and digits are disjoint classes, so the pattern cannot backtrack badly.
_PHONE_RUN = re.compile(r"[+(]?\d(?:[ \u00a0().\-/]{0,3}\d){6,}")
_EMAIL_RUN = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+")
# An extension after the number belongs to it ("ext. 12", "x12", "poste 12", "Durchwahl 12").
_EXTENSION = re.compile(r"[ ,;]{0,2}(?:ext\.?|extension|x|poste|durchwahl|dw\.?|#)[ .:]{0,2}\d{1,6}", re.IGNORECASE)
_CONTEXT = 3  # characters either side: the phone matcher looks at its neighbours (a letter glued to digits)
# A number glued to an identifier ("INV-2026-000123", "#48213", "ref/2026...") is an id, not a phone.
_ID_PREFIX = re.compile(r"(?:[A-Za-z0-9][-_/#]|#)$")
_MONEY_BEFORE = re.compile(r"[$€£¥]\s?$|\b(?:USD|EUR|GBP|CHF)\s?$")
_MONEY_AFTER = re.compile(r"\s?(?:[$€£¥]|(?:USD|EUR|GBP|CHF|k|K|M)\b)")
_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    entity: str  # EMAIL_ADDRESS | PHONE_NUMBER


def _phone_windows(text: str) -> list[tuple[int, int, bool]]:
    """Spans that may hold a phone number, with a little context, overlapping ones merged; True when every
    run in the span is written internationally (+...), where one region is enough to parse it."""
    merged: list[tuple[int, int, bool]] = []
    for match in _PHONE_RUN.finditer(text):
        run = match.group(0)
        if (
            _ID_PREFIX.search(text, max(0, match.start() - 2), match.start())
            or _MONEY_BEFORE.search(text, max(0, match.start() - 4), match.start())
            or _MONEY_AFTER.match(text, match.end())
            or covered_by_lookalike(text, match.start(), match.end())
        ):
            continue  # dates, identifiers and amounts: never phone numbers, and the bulk of the digit runs
        extension = _EXTENSION.match(text, match.end())
        end = extension.end() if extension else match.end()
        start, end = max(0, match.start() - _CONTEXT), min(len(text), end + _CONTEXT)
        international = run.startswith("+")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2] and international)
        else:
            merged.append((start, end, international))
    return merged


def _email_windows(text: str) -> list[tuple[int, int]]:
    return [(max(0, m.start() - 1), min(len(text), m.end() + 1)) for m in _EMAIL_RUN.finditer(text)]


class Detector:
    """One per set of phone regions (see `detector_for`), shared by every request of the process."""

    def __init__(self, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        self.phone_regions = tuple(r.strip().upper() for r in phone_regions if r.strip()) or DEFAULT_PHONE_REGIONS
        from bot.privacy.recognizers import OfflineEmailRecognizer, phone_recognizers  # presidio: seconds

        self._email = OfflineEmailRecognizer()
        # One recognizer per region, tried in the configured order until every digit run of the span is
        # covered by a number found: a US number costs one region, not seven. A number written with its
        # country code parses the same from any region, so the first one always covers it.
        self._phones: list[Any] = phone_recognizers(self.phone_regions)
        self._cache: dict[tuple[str, bytes], tuple[tuple[int, int], ...]] = {}

    def find(self, text: str) -> list[Found]:
        """Every email and phone number in `text`, sorted, without overlaps (an email wins over a phone)."""
        emails: list[Found] = []
        if "@" in text:
            for start, end in _email_windows(text):
                emails += self._scan(text, start, end, EMAIL, self._email)
        phones: list[Found] = []
        for start, end, _ in _phone_windows(text):
            phones += (
                _balanced(text, f)
                for f in self._scan(text, start, end, PHONE, self._phones)
                if not _ID_PREFIX.search(text, max(0, f.start - 2), f.start)
                and not covered_by_lookalike(text, f.start, f.end)  # a date inside a longer run, say
            )
        phones = [p for p in phones if not any(e.start < p.end and p.start < e.end for e in emails)]
        return _without_overlaps(sorted(emails + phones, key=lambda f: (f.start, -f.end)))

    def _scan(
        self, text: str, start: int, end: int, entity: str, recognizers: EntityRecognizer | list[Any]
    ) -> list[Found]:
        window = text[start:end]
        # Signatures and quoted replies repeat the same lines: a small memo of window -> spans pays off.
        key = (entity, hashlib.blake2b(window.encode(), digest_size=16).digest())  # keeps no customer text
        spans = self._cache.get(key)
        if spans is None:
            runs = [(m.start(), m.end()) for m in _PHONE_RUN.finditer(window)] if entity == PHONE else []
            found: list[tuple[int, int]] = []
            for recognizer in recognizers if isinstance(recognizers, list) else [recognizers]:
                # No NLP engine (no spaCy model): regex and phonenumbers recognizers, artifacts unused.
                results = recognizer.analyze(window, [entity], None)  # type: ignore[arg-type]
                found += ((r.start, r.end) for r in results if r.score > 0)  # presidio keeps rejects at 0
                if runs and all(any(a <= r0 + 1 and r1 <= b for a, b in found) for r0, r1 in runs):
                    break  # "+" or "(" may sit just outside the number found: hence r0 + 1
            spans = tuple(sorted(set(found)))
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = spans
        return [Found(start + a, start + b, entity) for a, b in spans]


def _balanced(text: str, found: Found) -> Found:
    """ "(+33 6 12 34 56 78)": the matcher takes the opening bracket of a bracketed number; leave it to the text."""
    start, end = found.start, found.end
    span = text[start:end]
    if span.startswith("(") and ")" not in span:
        start += 1
    elif span.endswith(")") and "(" not in span:
        end -= 1
    return Found(start, end, found.entity) if (start, end) != (found.start, found.end) else found


def _without_overlaps(found: list[Found]) -> list[Found]:
    kept: list[Found] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue  # sorted by start, longest first: the first one wins
        kept.append(item)
    return kept


@lru_cache(maxsize=8)
def detector_for(phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> Detector:
    """Building the recognizers costs a little, so each set of regions is built once per process."""
    return Detector(phone_regions)


def parse_regions(value: str) -> tuple[str, ...]:
    """'US, gb,FR' -> ('US', 'GB', 'FR'); unknown region codes are refused early, not silently ignored."""
    import phonenumbers

    regions = tuple(r.strip().upper() for r in value.split(",") if r.strip())
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(f"unknown phone region(s): {', '.join(unknown)}")
    return regions or DEFAULT_PHONE_REGIONS
