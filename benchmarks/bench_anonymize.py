"""Masking throughput on realistic ticket text, and the share of a digest run it adds.

    .venv/bin/python benchmarks/bench_anonymize.py [--mb 3] [--seed 7]

1. Generates support tickets and notes (several languages, dates, amounts, ticket ids, ARR figures; about
   one in five with a phone number in a signature, two in five with an email), masks each text the way
   Tandem does (one Masker per text) and prints MB/s. Target: at least 2 MB/s. Twice: authors drawn from
   a pool of contacts (real tickets: the same people write again, their signatures repeat), then every
   author new (the worst case, where the detector's memo never helps).
2. Loads the demo book into a scratch SQLite database, times a digest run without a model, then times
   masking every model input such a run would build (each member's opening, a brief for every account
   with signals, notes and tickets) and prints that as a share of the run.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.privacy import Masker, detector_for

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


def bench_throughput(megabytes: float, seed: int, contacts: int | None) -> float:
    rng = random.Random(seed)
    people = [contact(rng, n) for n in range(contacts)] if contacts else None
    texts: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        texts.append(ticket(rng, people))
        size += len(texts[-1].encode())
    detector = detector_for()  # built outside the timing, as a running process has it
    detector._cache.clear()  # but nothing remembered from an earlier measurement
    Masker().mask("warm up +44 20 7946 0958 a@b.com")
    start = time.perf_counter()
    masked = [Masker().mask(t) for t in texts]
    elapsed = time.perf_counter() - start
    placeholders = sum(m.count("<PHONE_") + m.count("<EMAIL_") for m in masked)
    who = f"authors from a pool of {contacts} contacts" if contacts else "every author new (worst case)"
    print(f"masking: {size / 1e6:.2f} MB in {len(texts)} texts, {who}, {placeholders} placeholders, {elapsed:.2f} s")
    print(f"throughput: {size / 1e6 / elapsed:.2f} MB/s (target >= 2 MB/s)")
    return size / 1e6 / elapsed


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
    parser.add_argument("--mb", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--contacts", type=int, default=2000, help="size of the pool of ticket authors")
    args = parser.parse_args()
    bench_throughput(args.mb, args.seed, args.contacts)
    bench_throughput(args.mb, args.seed, None)
    bench_digest_share()


if __name__ == "__main__":
    main()
