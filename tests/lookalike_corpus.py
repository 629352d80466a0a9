"""Generated look-alikes (text that is no phone number but has the digits of one) and real phone numbers in
many national and international formats: the masker's false-positive and leak corpora, for tests and
benchmarks/bench_anonymize.py. Varied by construction, so nothing is tuned to one string."""

from __future__ import annotations

import random

import phonenumbers

REGIONS = ("US", "GB", "FR", "DE", "ES", "IT", "NL")
WRAPPERS = ("{}", "({})", "[{}]", "'{}'", '"{}"', "«{}»", "„{}“", "({}).", "{},")
MONTHS = ("September", "septembre", "septiembre", "settembre", "Januar", "März", "mei", "Dec.", "Sep")
ORDER_LABELS = (
    "Order",
    "Order No.",
    "Order number:",
    "order #",
    "Invoice",
    "Invoice No.",
    "invoice number",
    "PO",
    "PO#",
    "P.O.",
    "Purchase order",
    "Bestellnummer",
    "Bestellnummer:",
    "Rechnungsnummer",
    "Rechnungs-Nr.",
    "Auftragsnummer",
    "n° de commande",
    "numéro de commande",
    "Facture n°",
    "Commande",
    "numero d'ordine",
    "Fattura n.",
    "Pedido nº",
    "número de pedido",
    "Factura",
    "Bestelnummer",
    "Factuurnummer",
)
VERSION_LABELS = ("v", "version ", "Version ", "build ", "Build ", "release ", "Firmware ", "ver. ")


def _date(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1990, 2035)
    forms = (
        f"{d:02d}.{m:02d}.{y}",
        f"{d}.{m}.{y}",
        f"{d:02d}/{m:02d}/{y}",
        f"{d:02d}-{m:02d}-{y}",
        f"{d}. {m}. {y}",
        f"{d:02d}.{m:02d}.{y % 100:02d}",
        f"{y}-{m:02d}-{d:02d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{m:02d}/{d:02d}/{y}",
        f"{d}. {rng.choice(MONTHS)} {y}",
        f"{d} {rng.choice(MONTHS)} {y}",
        f"{rng.choice(MONTHS)} {d}, {y}",
    )
    return rng.choice(WRAPPERS).format(rng.choice(forms))


def _timestamp(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2000, 2030)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    forms = (
        f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z",
        f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}+02:00",
        f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d},{rng.randint(0, 999):03d}",
        f"{d:02d}.{m:02d}.{y} {hh:02d}:{mm:02d}",
        f"{d:02d}.{m:02d}.{y} um {hh:02d}:{mm:02d} Uhr",
        f"{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}:{ss:02d}",
        f"{d:02d}/{m:02d}/{y} à {hh:02d}h{mm:02d}",
        f"{y}{m:02d}{d:02d}T{hh:02d}{mm:02d}{ss:02d}",
        f"{y}{m:02d}{d:02d}_{hh:02d}{mm:02d}",
    )
    return rng.choice(WRAPPERS).format(rng.choice(forms))


def _amount(rng: random.Random) -> str:
    n = rng.randint(1_000_000, 99_999_999)
    us = f"{n:,}"
    eu = us.replace(",", ".")
    forms = (
        f"${us}.{rng.randint(0, 99):02d}",
        f"{eu},{rng.randint(0, 99):02d} €",
        f"EUR {us.replace(',', ' ')}",
        f"{us.replace(',', ' ')} €",
        f"USD {us}",
        f"CHF {us.replace(',', chr(39))}.50",
        f"£{us}",
        f"{us.replace(',', chr(0xA0))} EUR",
    )
    return rng.choice(forms)


def _identifier(rng: random.Random) -> str:
    forms = (
        f"TCK-{rng.randint(10000, 99999)}",
        f"INV-{rng.randint(2000, 2030)}-{rng.randint(0, 999999):06d}",
        f"#{rng.randint(1000000, 99999999)}",
        f"SO-{rng.randint(2000, 2030)}-{rng.randint(0, 9999999):07d}",
        f"ACC-{rng.randint(10000000, 99999999)}",
        f"case/{rng.randint(2000, 2030)}/{rng.randint(1000000, 9999999)}",
        f"ref_{rng.randint(100000000, 999999999)}",
    )
    return rng.choice(forms)


def _order_number(rng: random.Random) -> str:
    digits = str(rng.randint(10**10, 10**12 - 1))
    if rng.random() < 0.2:  # grouped
        digits = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return f"{rng.choice(ORDER_LABELS)} {digits}"


def _version(rng: random.Random) -> str:
    parts = [str(rng.randint(0, 20)), str(rng.randint(0, 99)), str(rng.randint(100, 99999))]
    if rng.random() < 0.6:
        parts.append(str(rng.randint(1, 9999)))
    return rng.choice(VERSION_LABELS) + ".".join(parts)


def _ip(rng: random.Random) -> str:
    octets = [rng.randint(100, 254), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
    address = ".".join(map(str, octets))
    forms = (
        address,
        f"{address}:{rng.randint(1024, 65535)}",
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}/24",
        f"host {rng.randint(10, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"IP {rng.randint(1, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"server {address}",
    )
    return rng.choice(forms)


KINDS = {
    "date": _date,
    "timestamp": _timestamp,
    "amount": _amount,
    "id": _identifier,
    "order number": _order_number,
    "version": _version,
    "ip": _ip,
}


def lookalikes(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, text) pairs, kinds in turn."""
    kinds = list(KINDS.items())
    return [(kinds[i % len(kinds)][0], kinds[i % len(kinds)][1](rng)) for i in range(count)]


def _valid_number(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(
        region, rng.choice((phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE))
    )
    assert example is not None, region
    national = str(example.national_number)
    for _ in range(200):  # the example's length and leading digits, the rest drawn: a valid number
        keep = rng.randint(2, 4)
        candidate = national[:keep] + "".join(str(rng.randint(0, 9)) for _ in national[keep:])
        number = phonenumbers.parse(candidate, region)
        if phonenumbers.is_valid_number(number):
            return number
    return example


def phone_numbers(rng: random.Random, count: int) -> list[str]:
    """Valid numbers of the regions, written nationally, internationally (E.164, spaced, 00-prefixed),
    dotted and dashed, some in brackets."""
    out: list[str] = []
    fmt = phonenumbers.PhoneNumberFormat
    for i in range(count):
        region = REGIONS[i % len(REGIONS)]
        number = _valid_number(rng, region)
        international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
        national = phonenumbers.format_number(number, fmt.NATIONAL)
        forms = (
            international,
            national,
            phonenumbers.format_number(number, fmt.E164),
            "00" + international[1:],
            international.replace(" ", "."),
            national.replace(" ", "-"),
            national.replace(" ", "."),
            f"({international})",
        )
        out.append(rng.choice(forms))
    return out
