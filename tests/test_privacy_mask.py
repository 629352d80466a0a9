"""Masking emails and phone numbers: real formats, what must survive, stable placeholders, fully offline."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.privacy import Masker, ModelInput, parse_regions
from bot.privacy.detect import Detector

ROOT = Path(__file__).resolve().parents[1]

PHONES = [
    "+33 6 12 34 56 78",
    "+44 20 7946 0958",
    "+49 30 901820",
    "(415) 555-0134",
    "415.555.0134",
    "1-800-555-0199 ext. 12",
    "06 12 34 56 78",  # French, national
    "020 7946 0958",  # British, national
    "+34 912 345 678",
    "+31 20 123 4567",
]
EMAILS = [
    "jane.doe+crm@acme.com",
    "ops@eu.mail.acme.co.uk",
    "JOHN.SMITH@ACME.COM",
    "aiko.tanaka@cobalt.example",
    "first_last-2@sub.domain.io",
]
SURVIVORS = [
    "2026-11-22",
    "22/11/2026",
    "22.11.2026",
    "$120,000",
    "1 200 000 €",
    "120 000 EUR",
    "TCK-10234",
    "#48213",
    "INV-2026-000123",
    "ARR 480000",
    "ARR $1,250,000",
    "renewal on 2027-01-06 at 14:30",
    "version 3.14.159",
    "30 s",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_formats_are_masked(phone: str) -> None:
    masked = Masker().mask(f"Call me on {phone} tomorrow.")
    assert masked == "Call me on <PHONE_1> tomorrow."


@pytest.mark.parametrize("email", EMAILS)
def test_email_formats_are_masked(email: str) -> None:
    assert Masker().mask(f"Write to {email}, thanks.") == "Write to <EMAIL_1>, thanks."


@pytest.mark.parametrize("text", SURVIVORS)
def test_dates_amounts_ids_and_arr_survive(text: str) -> None:
    sentence = f"Ticket note: {text} as discussed."
    assert Masker().mask(sentence) == sentence


def test_several_languages_in_one_text() -> None:
    text = (
        "Telefonat mit Zoe (+44 20 7946 0018): Nutzung stabil, Rückruf unter 030 901820.\n"
        "Appel avec Marc (+33 6 12 34 19 36), écrire à marc.berg@umbrella.example avant le 22/11/2026.\n"
        "Llamar a Lucía al +34 912 345 678 — factura INV-2026-000123 de 1 200 000 €.\n"
        "Chiamare +39 06 6982 0000, email UFFICIO@ESEMPIO.IT; ticket #48213."
    )
    masked = Masker().mask(text)
    for original in ("+44 20 7946 0018", "030 901820", "+33 6 12 34 19 36", "marc.berg@", "+34 912", "+39 06"):
        assert original not in masked
    assert "UFFICIO" not in masked
    for kept in ("22/11/2026", "INV-2026-000123", "1 200 000 €", "#48213", "Rückruf", "Lucía"):
        assert kept in masked


def test_placeholders_are_stable_within_a_request_and_restored() -> None:
    masker = Masker()
    text = "Mail jane@acme.com or JANE@ACME.COM, phone +33 6 12 34 56 78, again jane@acme.com, bob@acme.com."
    masked = masker.mask(text)
    assert masked == "Mail <EMAIL_1> or <EMAIL_1>, phone <PHONE_1>, again <EMAIL_1>, <EMAIL_2>."
    assert masker.mask("Ask bob@acme.com") == "Ask <EMAIL_2>"  # same request, same placeholder
    assert masker.restore("Reply to <EMAIL_2> or call <PHONE_1>.") == "Reply to bob@acme.com or call +33 6 12 34 56 78."
    assert masker.restore("<EMAIL_7> is unknown") == "<EMAIL_7> is unknown"
    assert Masker().mask("bob@acme.com") == "<EMAIL_1>"  # a new request starts again
    assert "acme" not in repr(masker)  # the mapping never shows, even in a traceback


def test_brackets_around_a_number_stay_in_the_text() -> None:
    masker = Masker()
    assert (
        masker.mask("Call Marc (+33 6 12 34 19 36): ok; US (415) 555-0134.")
        == "Call Marc (<PHONE_1>): ok; US <PHONE_2>."
    )
    assert masker.restore("(<PHONE_1>)") == "(+33 6 12 34 19 36)"


def test_same_number_written_differently_gets_one_placeholder() -> None:
    assert Masker().mask("(415) 555-0134 / 415.555.0134") == "<PHONE_1> / <PHONE_1>"


def test_text_cannot_forge_a_placeholder() -> None:
    masker = Masker()
    masked = masker.mask("Send it to <EMAIL_1> and <phone_2>, or to real@acme.com")
    assert masked == "Send it to ‹EMAIL_1› and ‹phone_2›, or to <EMAIL_1>"
    assert masker.restore(masked).endswith("real@acme.com")


def test_regions_are_configurable() -> None:
    assert parse_regions(" us, gb ,FR") == ("US", "GB", "FR")
    with pytest.raises(ValueError, match="XX"):
        parse_regions("US,XX")
    us_only = Masker(detector=Detector(("US",)))
    assert us_only.mask("06 12 34 56 78") == "06 12 34 56 78"  # a French national number, FR not enabled
    assert us_only.mask("+33 6 12 34 56 78") == "<PHONE_1>"  # international numbers need no region


def test_long_text_is_masked_in_linear_time() -> None:
    line = "Ticket TCK-10234 on 2026-11-22: call +44 20 7946 0958 or mail ops@acme.com about $120,000.\n"
    masked = Masker().mask(line * 2000)
    assert masked.count("<PHONE_1>") == 2000 and masked.count("<EMAIL_1>") == 2000
    assert "7946" not in masked and "$120,000" in masked


def test_a_model_input_can_only_come_from_the_masker() -> None:
    with pytest.raises(TypeError, match=r"Masker\.seal"):
        ModelInput("system", "user jane@acme.com", "x.v1")
    sealed = Masker().seal("Be brief.", "Call jane@acme.com on +44 20 7946 0958", "x.v1")
    assert sealed.user == "Call <EMAIL_1> on <PHONE_1>" and sealed.prompt_version == "x.v1"
    with pytest.raises(AttributeError):
        sealed._user = "jane@acme.com"


def test_masking_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during masking")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    masker = Masker(detector=Detector(("US", "GB", "FR", "DE", "ES", "IT", "NL")))  # fresh recognizers
    assert masker.mask("x@new-domain.example.org, +44 20 7946 0958") == "<EMAIL_1>, <PHONE_1>"


def test_importing_and_masking_in_a_fresh_process_opens_no_socket(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise SystemExit("network access: " + repr(args[1:] or kwargs))

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.getaddrinfo = refuse
        socket.create_connection = refuse

        from bot.privacy import Masker  # presidio, phonenumbers, tldextract are imported here
        masked = Masker().mask("Mail JANE@Mail.Acme.co.uk or call +33 6 12 34 56 78 / (415) 555-0134")
        assert masked == "Mail <EMAIL_1> or call <PHONE_1> / <PHONE_2>", masked
        print("offline ok")
        """
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "offline ok" in result.stdout
    assert not (tmp_path / ".cache").exists()  # tldextract wrote no suffix-list cache either
