"""Look-alikes survive masking (dates in every European format, bracketed and quoted, labelled order,
invoice and PO numbers, versions, IPs, timestamps) and no phone number or email leaks for it; the masking
regexes run in time linear in their input (no catastrophic backtracking)."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.privacy import Masker, detect, lookalikes
from tests.lookalike_corpus import lookalikes as generated_lookalikes
from tests.lookalike_corpus import phone_numbers

SURVIVORS = [
    "(07.09.2025)",
    "'07/09/2025'",
    '"07-09-2025"',
    "[7. 9. 2025]",
    "(2025-09-07)",
    "7. September 2025",
    "le 7 septembre 2025",
    "07.09.2025 14:30",
    "2025-09-07T14:30:00Z",
    "2025-09-07 14:30:00,123",
    "20250907T143000",
    "Order 123456789012",
    "Invoice No. 12345678901",
    "PO# 12345678901",
    "Bestellnummer: 12345678901",
    "n° de commande 123456789012",
    "Rechnungs-Nr. 1234 5678 9012",
    "Fattura n. 339320822015",
    "version 10.0.19045.3448",
    "v2.14.1234567",
    "192.168.100.254",
    "host 10.20.30.40",
    "10.20.30.40:8443",
    "1.234.567,89 €",
    "CHF 12'345'678.50",
]
LEAKS = [
    "+44 20 7946 0958",
    "(+33 6 12 34 56 78)",
    "+39.02.1234.5678",
    "+31.10.174.7024",
    "0044 20 7946 0958",
    "06 12 34 56 78",
    "(415) 555-0134",
]


@pytest.mark.parametrize("text", SURVIVORS)
def test_lookalikes_survive(text: str) -> None:
    sentence = f"As discussed {text}, see the notes."
    assert Masker().mask(sentence) == sentence


@pytest.mark.parametrize("phone", LEAKS)
def test_phone_numbers_next_to_lookalikes_and_labels_are_still_masked(phone: str) -> None:
    for sentence in (
        f"Order: {phone}",
        f"Invoice questions, call {phone} on 07.09.2025.",
        f"(07.09.2025) {phone}",
        f"IP {phone}",
    ):
        masked = Masker().mask(sentence)
        digits = re.sub(r"\D", "", phone)
        assert digits not in re.sub(r"\D", "", masked.replace("07.09.2025", "")), (sentence, masked)


def test_generated_phone_numbers_in_every_format_are_masked() -> None:
    phones = phone_numbers(random.Random(11), 700)
    missed = [p for p in phones if p in Masker().mask(f"Call {p} today or mail jo.doe@acme.com.")]
    assert missed == []


def test_generated_lookalikes_are_left_alone() -> None:
    items = generated_lookalikes(random.Random(12), 1400)
    changed = [t for _, t in items if Masker().mask(f"See {t} here.") != f"See {t} here."]
    assert len(changed) <= len(items) * 0.002, changed


def test_emails_are_masked_beside_lookalikes() -> None:
    masked = Masker().mask("Order 123456789012 (07.09.2025): jane.doe@acme.com, ops@10.0.0.1.example")
    assert "jane.doe@acme.com" not in masked and "<EMAIL_1>" in masked
    assert "123456789012" in masked and "07.09.2025" in masked


REGEXES = [
    detect._PHONE_RUN,
    detect._EMAIL_RUN,
    detect._EXTENSION,
    detect._ID_PREFIX,
    detect._MONEY_BEFORE,
    detect._MONEY_AFTER,
    *lookalikes.PATTERNS,
]
# Adversarial alphabets: digits, every separator the patterns know, labels' letters, brackets and quotes.
ALPHABET = st.sampled_from([*list("0123456789 .-/:,()[]'\"+#@€$TZvn°ºOrdeINVPOxk\xa0"), "Order ", "IP ", "v", "00"])
BUDGET_PER_KB = 0.25  # seconds per 1,000 characters: a hundred times the linear cost, far below quadratic


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, min_size=1, max_size=400), st.integers(min_value=1, max_value=40))
def test_masking_regexes_run_in_linear_time(pieces: list[str], repeat: int) -> None:
    text = "".join(pieces) * repeat
    budget = BUDGET_PER_KB * (len(text) / 1000 + 1)
    for pattern in REGEXES:
        started = time.perf_counter()
        for _ in pattern.finditer(text):
            pass
        assert time.perf_counter() - started < budget, pattern.pattern[:60]
    started = time.perf_counter()
    detect._phone_windows(text)
    lookalikes.lookalike_spans(text)
    assert time.perf_counter() - started < budget
