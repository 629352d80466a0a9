"""Digit runs that look like phone numbers but are not: dates, timestamps, versions, IP addresses, amounts
and labelled identifiers (order, invoice, PO numbers). The detector leaves a digit run alone only when
every digit group in it lies inside one of these, so a phone number written next to a date is still masked.

Every pattern is linear: bounded repetitions, and digits and separators in disjoint classes
(tests/test_privacy_lookalikes.py checks the time per input size with hypothesis).
"""

from __future__ import annotations

import re

_BEFORE = 48  # characters of context read before a run (labels, "IP"), and after it
_AFTER = 32
_END = r"(?!\d|[.,:/-]\d)"  # the look-alike is not the head of a longer number

# 07.09.2025, 7. 9. 2025, 07/09/2025, 07-09-25, 2025-09-07, 2025/09/07, with an optional time of day:
# 2025-09-07T14:30:00.123Z, 07.09.2025 14:30, 07/09/2025, 2:30 PM.
_TIME = (
    r"(?:(?:[T ]|,\s?|\s(?:um|à|at|a las|alle|om)\s)\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
    r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}|Uhr|[AaPp]\.?[Mm]\.?))?)?"
)
DATES = re.compile(
    r"(?<![\d.])(?:"
    r"(?P<y1>\d{4})(?P<s1>[-./])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<a2>\d{1,2})(?P<s2>\.\s?|[/-])(?P<b2>\d{1,2})(?P=s2)(?P<y2>\d{4}|\d{2})"
    r")" + _TIME + _END
)
# 20250907, 20250907T143000, 20250907_1430: compact stamps in file names and logs.
COMPACT_STAMPS = re.compile(r"(?<!\d)(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[T_-]?\d{4,6})?(?!\d)")
# 10.0.19045.3448 (four parts, the third long: a build number, not a dotted phone), or any dotted version
# after its label: v2.14.1, version 3.14.159, build 1.2.3456789, Firmware 4.1.20250907.
VERSIONS = re.compile(
    r"(?:(?<![\w.])[vV]|\b(?:[Vv]ersion|[Vv]er\.|[Bb]uild|[Rr]elease|[Ff]irmware|FW)\s?)\d{1,9}(?:\.\d{1,9}){1,4}"
    + _END
    + r"|(?<![\d.])\d{1,2}\.\d{1,2}\.\d{3,5}\.\d{1,5}"
    + _END
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\d.])(?P<first>{_OCTET})(?:\.{_OCTET}){{3}}(?P<suffix>:\d{{1,5}}|/\d{{1,2}})?{_END}")
# An IP whose first octet is under 100 reads like a dotted phone number ("91.123.45.67" is a Madrid
# number): it counts as an address only with a port, a prefix length or a word saying so before it.
_IP_WORD = re.compile(
    r"(?i:\b(?:ip|ipv4|host|server|address|adresse|addr|gateway|dns|ping|subnet|proxy|vpn|node|router|"
    r"whitelist|allowlist|firewall|from|von|source|src|dst|peer)\b)[^\d\n]{0,12}$"
)
# An identifier with its label: "Order 123456789012", "Invoice No. 12345678901", "PO# 12345678901",
# "Bestellnummer: 12345678901", "n° de commande 123456789012", "Rechnungs-Nr. 1234 5678 901".
# Not after "+" or "00" (a phone's international prefix), so a labelled phone number is still masked.
_LABEL = (
    r"order|purchase order|p\.?o\.?|invoice|inv|bill|receipt|ticket|case|ref|reference|référence|referenz|"
    r"tracking|shipment|sendung|transaction|txn|payment|serial|s/n|sku|contract|vertrag|vertragsnummer|"
    r"bestellnummer|bestellung|bestell-nr|auftragsnummer|auftrag|auftrags-nr|rechnungsnummer|rechnung|"
    r"rechnungs-nr|lieferschein|kundennummer|commande|n° de commande|numéro de commande|bon de commande|"
    r"facture|ordine|numero d'ordine|fattura|pedido|número de pedido|factura|bestelnummer|bestelling|"
    r"factuurnummer|factuur|timestamp|epoch|unix time"
)
_NUMBER_WORD = r"(?:no|nr|n°|nº|n|num|number|nummer|numéro|número|numero|id|#)\.?"
LABELLED_IDS = re.compile(
    rf"\b(?:{_LABEL})[\s:#=.]{{0,3}}(?:{_NUMBER_WORD}[\s:#=.]{{0,3}})?"
    # Groups of at least three digits: "06 12 34 56 78" after "Order:" is a French phone number, not an id.
    r"(?!00)(?P<digits>\d{3,20}(?:[ -]\d{3,20}){0,5})(?!\d)",
    re.IGNORECASE,
)
_CURRENCY = r"(?:[$€£¥]|\b(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|PLN)\b)"
AMOUNTS = re.compile(
    rf"{_CURRENCY}\s?\d{{1,3}}(?:[.,\s\u00a0\u202f']\d{{3}}){{1,5}}(?:[.,]\d{{1,2}})?"
    rf"|(?<![\d.,])\d{{1,3}}(?:[.,\s\u00a0\u202f']\d{{3}}){{1,5}}(?:[.,]\d{{1,2}})?\s?(?:{_CURRENCY}|[kKM]\b)"
)
PATTERNS = (DATES, COMPACT_STAMPS, VERSIONS, IPV4, LABELLED_IDS, AMOUNTS)
_DIGITS = re.compile(r"\d+")


def _plausible_date(match: re.Match[str]) -> bool:
    """A real calendar day: 12-34-5678 is no date (and may be a phone number)."""
    if match.group("y1"):
        return 1 <= int(match.group("m1")) <= 12 and 1 <= int(match.group("d1")) <= 31
    first, second = int(match.group("a2")), int(match.group("b2"))
    # Day first (Europe) or month first (US): both parts are days, one of them a month.
    return 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12


def _address(match: re.Match[str], region: str) -> bool:
    if int(match.group("first")) >= 100 or match.group("suffix"):
        return True
    return bool(_IP_WORD.search(region, 0, match.start()))


def lookalike_spans(region: str) -> list[tuple[int, int]]:
    """Spans of `region` that are dates, timestamps, versions, addresses, amounts or labelled ids."""
    spans: list[tuple[int, int]] = []
    for match in DATES.finditer(region):
        if _plausible_date(match):
            spans.append(match.span())
    for pattern in (COMPACT_STAMPS, VERSIONS, AMOUNTS):
        spans += (m.span() for m in pattern.finditer(region))
    spans += (m.span() for m in IPV4.finditer(region) if _address(m, region))
    spans += (m.span("digits") for m in LABELLED_IDS.finditer(region) if sum(map(str.isdigit, m["digits"])) >= 6)
    return spans


def covered_by_lookalike(text: str, start: int, end: int) -> bool:
    """True when every digit group of text[start:end] lies inside one look-alike. Never for a run written
    with an international prefix ("+", "00"): that is how phone numbers are written, not dates or ids."""
    head = text[start:end].lstrip("([ ")
    if head.startswith(("+", "00")):
        return False
    offset = max(0, start - _BEFORE)
    region = text[offset : min(len(text), end + _AFTER)]
    spans = lookalike_spans(region)
    if not spans:
        return False
    for group in _DIGITS.finditer(text, start, end):
        a, b = group.start() - offset, group.end() - offset
        if not any(s <= a and b <= e for s, e in spans):
            return False
    return True
