"""Masking on prose-heavy text with PII, side by side with stock presidio, and false positives on look-alikes.

    .venv/bin/python benchmarks/bench_anonymize.py [--mb 1] [--repeats 3] [--seed 7]

1. Throughput: generated support tickets and notes (several languages, long prose, dates, amounts, ticket
   ids; about one in five with a phone number in a signature, two in five with an email). Tandem's masker
   (one Masker per text, the way Tandem masks) and the anchor, stock presidio: an AnalyzerEngine holding
   the same pattern recognizers (EmailRecognizer with its suffix list offline, and PhoneRecognizer with
   the same regions), without an NLP model, plus its AnonymizerEngine. Both run in the same process, in
   alternating order, >= 3 repeats; prints min / median MB/s and the ratio of the medians. Target: >= 5x.
   Leaks: every planted email and phone number must be gone from Tandem's output (target 0).
2. False positives: a generated corpus of look-alikes (dates in every European format, bracketed and
   quoted, timestamps, versions, IPs, amounts, ids, labelled order / invoice / PO numbers), each embedded
   in a sentence; a look-alike changed by the masker counts. Target <= 0.2%.
3. The demo digest run and the share of it that masking every model input takes.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from bot.privacy import DEFAULT_PHONE_REGIONS, Masker, detector_for
from tests.lookalike_corpus import lookalikes, phone_numbers

SUBJECTS = [
    "Export to CSV times out",
    "SSO login loop after the update",
    "Invoice {inv} charged twice",
    "Dashboard empty since {date}",
    "Facture {inv} en double",
    "Rechnung {inv} doppelt belastet",
    "Problema con la factura {inv}",
    "API rate limit on /v2/orders",
]
BODIES = [
    "Hi team, since the release on {date} our dispatchers lose stops when the route has more than 40 drops. "
    "It affects roughly {n} users across three depots and the ticket {tck} is still open.",
    "We are evaluating the renewal ({arr} ARR) and need a clear answer on the roadmap before {date2}. "
    "The CFO asked for a breakdown of the {amount} invoice and a usage report per team.",
    "Bonjour, depuis le {date2} l'export ne fonctionne plus. Merci de regarder le ticket {tck} en priorité, "
    "nos équipes ont besoin du rapport mensuel pour le comité du {date}.",
    "Hallo, die Synchronisierung bricht nach {n} Datensätzen ab. Vertrag über {amount}, Verlängerung am {date2}. "
    "Bitte um Rückmeldung zu Ticket {tck}.",
    "Hola, el panel no muestra datos desde el {date2}. Tenemos {n} usuarios activos y la renovación es de {arr}.",
    "Quick question about seats: we use {n} of {n2} and may add 40 more next quarter (budget {amount}).",
]
SIGNATURES = [
    "\n--\n{name}\nOperations Manager\nT: {phone}\n",
    "\n\nBest regards,\n{name} | {email} | {phone}\n",
    "\n\nCordialement,\n{name}\nTél. {phone}\n",
    "\n\nMit freundlichen Grüßen\n{name}\n{email}\n",
    "\n\nThanks,\n{name}\n",
]
PHONES = [
    "+33 6 {a:02d} {b:02d} {c:02d} {d:02d}",
    "+44 20 7946 {a:02d}{b:02d}",
    "+49 30 9018{a:02d}",
    "(415) 555-{a:02d}{b:02d}",
    "415.555.{a:02d}{b:02d}",
    "1-800-555-{a:02d}{b:02d} ext. {c}",
    "06 {a:02d} {b:02d} {c:02d} {d:02d}",
]
NAMES = ["Marc Berg", "Aiko Tanaka", "Lucía Fernández", "Tom Rossi", "Zoe Haddad", "Jürgen Weiß", "Priya Nair"]


def contact(rng: random.Random, number: int) -> tuple[str, str, str]:
    """(name, email, phone) of one customer contact; valid number ranges, as real signatures carry."""
    name = rng.choice(NAMES)
    digits = {"a": rng.randint(10, 59), "b": rng.randint(0, 99), "c": rng.randint(0, 99), "d": rng.randint(0, 99)}
    email = f"{name.split()[0].lower()}.{number}+support@mail.client{rng.randint(1, 300)}.com"
    return name, email, rng.choice(PHONES).format(**digits)


def ticket(rng: random.Random, people: list[tuple[str, str, str]] | None = None) -> str:
    """One ticket or note. With `people`, its author comes from that pool (contacts write many tickets, so
    their signatures repeat); without, every author is new (the worst case for the detector's memo)."""
    fields = {
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "date2": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2026",
        "inv": f"INV-2026-{rng.randint(1, 999999):06d}",
        "tck": rng.choice([f"TCK-{rng.randint(10000, 99999)}", f"#{rng.randint(10000, 99999)}"]),
        "arr": rng.choice([f"${rng.randint(20, 900)},000", f"{rng.randint(1, 9)} {rng.randint(100, 999)} 000 €"]),
        "amount": f"${rng.randint(1, 99)},{rng.randint(100, 999)}",
        "n": rng.randint(5, 400),
        "n2": rng.randint(400, 900),
    }
    text = (
        rng.choice(SUBJECTS).format(**fields)
        + "\n"
        + " ".join(rng.choice(BODIES).format(**fields) for _ in range(rng.randint(1, 4)))
    )
    name, email, phone = rng.choice(people) if people else contact(rng, rng.randint(1, 10**6))
    roll = rng.random()
    if roll < 0.2:  # a signature with a phone number (and sometimes an email)
        text += rng.choice(SIGNATURES[:3]).format(name=name, phone=phone, email=email)
    elif roll < 0.6:
        text += SIGNATURES[3].format(name=name, email=email)
    else:
        text += SIGNATURES[4].format(name=name)
    return text


def corpus(megabytes: float, seed: int) -> tuple[list[str], list[str]]:
    """Texts of about `megabytes`, and every email and phone number planted in them."""
    rng = random.Random(seed)
    people = [contact(rng, n) for n in range(2000)]
    texts: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        texts.append(ticket(rng, people if rng.random() < 0.5 else None))
        size += len(texts[-1].encode())
    return texts, []


def planted(text: str) -> list[str]:
    """The emails and phone numbers a generated text holds (they come only from signatures)."""
    found = re.findall(r"[\w.+-]+@[\w.-]+\.com", text)
    for line in text.splitlines():
        for prefix in ("T: ", "Tél. "):
            if line.startswith(prefix):
                found.append(line[len(prefix) :])
        if " | " in line:
            found.append(line.rsplit(" | ", 1)[1])
    return found


class StockPresidio:
    """The anchor: presidio as its documentation shows it, with the same recognizers and regions, and no
    NLP model (the pattern recognizers need none)."""

    def __init__(self, regions: tuple[str, ...]) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer
        from presidio_anonymizer import AnonymizerEngine

        from bot.privacy.recognizers import OfflineEmailRecognizer

        # presidio's EmailRecognizer, its domain check kept offline (the stock one downloads the public
        # suffix list: no network at run time); the check itself is the same tldextract call.
        email = OfflineEmailRecognizer()
        registry = RecognizerRegistry(recognizers=[email, PhoneRecognizer(supported_regions=regions)])
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=NoNlp(), supported_languages=["en"])
        self.anonymizer = AnonymizerEngine()

    def mask(self, text: str) -> str:
        results = self.analyzer.analyze(text, language="en", entities=["EMAIL_ADDRESS", "PHONE_NUMBER"])
        return self.anonymizer.anonymize(text, results).text  # type: ignore[arg-type]


class NoNlp(NlpEngine):
    """An NLP engine that does nothing: no spaCy model is loaded, the pattern recognizers run alone."""

    def load(self) -> None: ...

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return NlpArtifacts([], [], [], [], self, language)  # type: ignore[arg-type]

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return False

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return ["en"]


def tandem_mask(texts: list[str]) -> list[str]:
    detector_for()._cache.clear()  # nothing remembered from an earlier repeat
    return [Masker().mask(t) for t in texts]


def bench_throughput(megabytes: float, seed: int, repeats: int) -> None:
    texts, _ = corpus(megabytes, seed)
    size = sum(len(t.encode()) for t in texts) / 1e6
    stock = StockPresidio(DEFAULT_PHONE_REGIONS)
    stock.mask("warm up +44 20 7946 0958 a@b.com")
    Masker().mask("warm up +44 20 7946 0958 a@b.com")
    runs: dict[str, list[float]] = {"tandem": [], "stock presidio": []}
    masked: list[str] = []
    for repeat in range(max(3, repeats)):
        order = [("tandem", tandem_mask), ("stock presidio", lambda ts: [stock.mask(t) for t in ts])]
        for label, run in order if repeat % 2 == 0 else reversed(order):
            start = time.perf_counter()
            out = run(texts)
            runs[label].append(size / (time.perf_counter() - start))
            if label == "tandem":
                masked = out
    leaks = sum(1 for text, out in zip(texts, masked, strict=True) for pii in planted(text) if pii in out)
    pii_count = sum(len(planted(t)) for t in texts)
    print(f"prose-heavy text: {size:.2f} MB in {len(texts)} texts, {pii_count} emails and phone numbers planted")
    for label, values in runs.items():
        print(f"  {label:15s} min {min(values):.2f} MB/s, median {statistics.median(values):.2f} MB/s")
    ratio = statistics.median(runs["tandem"]) / statistics.median(runs["stock presidio"])
    print(
        f"  ratio of medians tandem / stock presidio: {ratio:.1f}x (target >= 5x): {'met' if ratio >= 5 else 'NOT MET'}"
    )
    print(f"  leaks: {leaks} (target 0)")


def bench_lookalikes(seed: int) -> None:
    rng = random.Random(seed)
    items = lookalikes(rng, 4000)
    changed = [
        (kind, text)
        for kind, text in items
        if Masker().mask(f"See {text} in the notes.") != f"See {text} in the notes."
    ]
    by_kind: dict[str, int] = {}
    for kind, _ in items:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    rate = len(changed) / len(items)
    print(f"look-alikes: {len(items)} generated ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))})")
    print(f"  false positives: {len(changed)} = {rate:.2%} (target <= 0.2%): {'met' if rate <= 0.002 else 'NOT MET'}")
    for kind, text in changed[:10]:
        print(f"    {kind}: {text!r}")
    phones = phone_numbers(rng, 1000)
    missed = [p for p in phones if p in Masker().mask(f"Call {p} today.")]
    print(f"  phone numbers in national and international formats: {len(phones)}, left unmasked: {len(missed)}")
    for phone in missed[:10]:
        print(f"    missed: {phone!r}")


def bench_digest_share() -> None:
    from sqlalchemy import select

    from bot.account_view import build_account_answer
    from bot.briefs import brief_input, opening_input
    from bot.db import Database
    from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR
    from bot.digest import build_digest
    from bot.models import Account, Member
    from bot.orgs import get_org
    from bot.pipeline import run_digests, run_score, run_sync
    from bot.settings import Settings
    from integrations.files import FileSource

    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/bench.db")
        db.migrate()
        run_sync(db, "bench", FileSource(SAMPLE_DIR))
        run_score(db, "bench", SAMPLE_ANCHOR)
        no_model = Settings(OPENAI_API_KEY=None)
        start = time.perf_counter()
        run_digests(db, "bench", SAMPLE_ANCHOR, {}, settings=no_model)
        run_time = time.perf_counter() - start
        with db.session() as session:
            org = get_org(session, "bench")
            inputs = []
            for member in session.scalars(select(Member).where(Member.org_id == org.id)):
                if member.role in ("am", "csm"):
                    inputs.append(opening_input(session, org.id, build_digest(session, org, member, SAMPLE_ANCHOR)[0]))
            for account in session.scalars(select(Account).where(Account.org_id == org.id)):
                answer = build_account_answer(session, org.id, account.id, SAMPLE_ANCHOR)
                inputs.append(brief_input(session, org.id, answer))
        db.dispose()
    size = sum(len(t.encode()) for t in inputs)
    start = time.perf_counter()
    for text in inputs:
        Masker().mask(text)
    mask_time = time.perf_counter() - start
    print(f"digest run (demo book, 40 accounts, 4 members, no model): {run_time * 1000:.0f} ms")
    print(
        f"masking every model input of such a run ({len(inputs)} inputs, {size / 1000:.0f} kB, openings and a "
        f"brief per account): {mask_time * 1000:.1f} ms = {mask_time / run_time:.1%} of the run"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_throughput(args.mb, args.seed, args.repeats)
    bench_lookalikes(args.seed)
    bench_digest_share()


if __name__ == "__main__":
    main()
