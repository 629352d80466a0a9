"""`/account` under load, side by side with a bare slack-bolt app in the same run.

`tandem serve` and the bare app (benchmarks/bare_slack_app.py: acks, answers a constant) run at the same
time against one local fake Slack; each measurement fires signed /account commands at 1, 5 and 20 clients
sending one command a second each, at both servers in alternating order, repeated >= 3 times. Prints, per
client count, min / median over the repeats of the p50 and p99 time to the HTTP ack and to the answer (the
response_url post reaching the fake), and the tandem / bare ratio of the medians. Before that, in process:
answers built per second over a 10,000-account book (lookup, stored answer, render: the request's path
without HTTP) and the lookup's p50 / p99.

    .venv/bin/python benchmarks/bench_slack.py [--accounts 10000] [--seconds 8] [--repeats 3]

Targets: >= 200 answers/s; answer p99 at 20 clients < 250 ms; ack p99 <= 1.5x the bare app at 1, 5, 20.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.demo.generator import SAMPLE_DIR  # noqa: E402
from bot.localtime import local_day  # noqa: E402
from bot.lookup import find_account  # noqa: E402
from bot.models import Account, Member  # noqa: E402
from bot.orgs import get_org  # noqa: E402
from bot.pipeline import run_score, run_sync  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.flows import SlackFlows, Who  # noqa: E402
from integrations.files import FileSource  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET, TOKEN = "bench-secret", "xoxb-bench"
DEMO_QUERIES = ["Northwind Logistics", "acme", "umbrella retail", "globex", "Blue Harbor", "zzq-unknown"]
CLIENTS = (1, 5, 20)


def queries(accounts: int, count: int, seed: int = 5) -> list[str]:
    """Demo names (fuzzy, exact, unknown) and the bench book's names, by name or domain."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        n = rng.randrange(accounts)
        out.append(
            DEMO_QUERIES[i % len(DEMO_QUERIES)] if i % 3 == 0 else rng.choice([f"Bench Company {n}", f"b{n}.example"])
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, extra_accounts: int) -> Database:
    db = Database(url)
    db.migrate()
    run_sync(db, "default", FileSource(SAMPLE_DIR))
    with db.session() as session:
        org_id = get_org(session, "default").id
        rows = [
            {"org_id": org_id, "external_id": f"BENCH-{i}", "name": f"Bench Company {i}", "domain": f"b{i}.example"}
            for i in range(extra_accounts)
        ]
        session.execute(insert(Account), rows)
        member = session.scalars(select(Member).where(Member.slack_user_id == "U0DEMOAM1")).one()
        today = local_day(member.timezone, get_org(session, "default").timezone)
    started = time.perf_counter()
    # The nightly run scores the day the requests are made on, and stores every account's answer for it.
    run_score(db, "default", today)
    print(f"score run over {extra_accounts + 40} accounts, answers stored: {time.perf_counter() - started:.1f} s")
    return db


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def measure_in_process(db: Database, accounts: int) -> None:
    """Answers built per second and the lookup's latency, without HTTP (the request's own work)."""
    flows = SlackFlows(db, Settings(database_url=db.url, SLACK_BOT_TOKEN=TOKEN), single_workspace=True)
    who = Who(None, "U0DEMOAM1")
    asked = queries(accounts, 600)
    flows.lookup(who, asked[0])  # builds the lookup index once, as a running process has it
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for query in asked:
            flows.lookup(who, query)
        rates.append(len(asked) / (time.perf_counter() - started))
    with db.session() as session:
        org_id = get_org(session, "default").id
        timings = []
        for query in asked[:300]:
            started = time.perf_counter()
            find_account(session, org_id, query)
            timings.append((time.perf_counter() - started) * 1000)
    print(
        f"answers built per second, {accounts + 40} accounts (lookup + stored answer + render, 1 thread): "
        f"min {min(rates):.0f}, median {statistics.median(rates):.0f} (target >= 200)"
    )
    print(f"lookup: p50 {pct(timings, 50):.2f} ms, p99 {pct(timings, 99):.2f} ms")


def wait_healthy(base: str, path: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.post(base + path, timeout=1).status_code in (200, 401):
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


async def fire(
    base: str, fake: FakeSlack, asked: list[str], clients: int, seconds: float, tag: str
) -> tuple[list[float], list[float]]:
    """`clients` clients, each sending one command a second for `seconds`: (ack ms, answer ms)."""
    acks: list[float] = []
    sent: dict[str, float] = {}
    verifier = SignatureVerifier(SECRET)

    async def client(c: int) -> None:
        await asyncio.sleep(c / clients)  # spread the clients over the second, as people are
        async with httpx.AsyncClient(timeout=30) as http:
            for i in range(int(seconds) + 1):
                ident = f"{tag}-{c}-{i}"
                body = urlencode(
                    {
                        "command": "/account",
                        "text": asked[(c * 97 + i) % len(asked)],
                        "user_id": "U0DEMOAM1",
                        "team_id": "T1",
                        "channel_id": "C1",
                        "trigger_id": ident,
                        "response_url": fake.response_url(ident),
                    }
                )
                ts = str(int(time.time()))
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": str(verifier.generate_signature(timestamp=ts, body=body)),
                }
                started = time.monotonic()
                response = await http.post(base + "/slack/events", content=body, headers=headers)
                assert response.status_code == 200, response.text
                if i > 0:  # each client's first command opens its connection: steady state only
                    sent[ident] = started
                    acks.append((time.monotonic() - started) * 1000)
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    await asyncio.gather(*(client(c) for c in range(clients)))
    deadline = time.monotonic() + 30
    while any(i not in fake.state.response_times for i in sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    finals = [(fake.state.response_times[i] - sent[i]) * 1000 for i in sent if i in fake.state.response_times]
    return acks, finals


def run_server(args: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL)
    wait_healthy(base, "/slack/events")
    return process


def summary(values: list[float]) -> str:
    return f"min {min(values):6.1f}, median {statistics.median(values):6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of one measurement")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(tokens=(TOKEN,)) as fake:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = prepare(url, args.accounts)
        measure_in_process(db, args.accounts)
        db.dispose()
        env = {
            "TANDEM_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "TANDEM_ORG": "default",
            "OPENAI_API_KEY": "",  # facts only: no model brief follows the answer
        }
        commands = {
            "tandem": [str(Path(sys.executable).parent / "tandem"), "serve", "--port"],
            "bare": [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                "benchmarks",
                "bare_slack_app:app",
                "--log-level",
                "warning",
                "--port",
            ],
        }
        bases = {label: f"http://127.0.0.1:{free_port()}" for label in commands}
        processes = [
            run_server([*cmd, bases[label].rsplit(":", 1)[1]], env, bases[label]) for label, cmd in commands.items()
        ]
        asked = queries(args.accounts, 500)
        # (server, clients) -> per repeat: (ack p50, ack p99, answer p50, answer p99)
        results: dict[tuple[str, int], list[tuple[float, float, float, float]]] = {}
        try:
            for label in commands:  # warm each server (first lookup builds its index), not counted
                asyncio.run(fire(bases[label], fake, asked, 5, 2, f"warm-{label}"))
            for repeat in range(max(3, args.repeats)):
                for clients in CLIENTS:
                    order = list(commands) if (repeat + clients) % 2 == 0 else list(reversed(commands))
                    for label in order:
                        # At least ~40 commands per measurement, so a p99 is not the one slowest of five.
                        seconds = max(args.seconds, 40 / clients)
                        acks, finals = asyncio.run(
                            fire(bases[label], fake, asked, clients, seconds, f"{label}-{repeat}-{clients}")
                        )
                        results.setdefault((label, clients), []).append(
                            (pct(acks, 50), pct(acks, 99), pct(finals, 50), pct(finals, 99))
                        )
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    repeats = len(results[("tandem", CLIENTS[0])])
    print(
        f"{repeats} repeats, alternating order, clients sending 1 command/s each for max({args.seconds:g} s, "
        "40 s / clients) (ms):"
    )
    for clients in CLIENTS:
        for label in commands:
            rows = results[(label, clients)]
            print(
                f"  {clients:2d} clients {label:6s}: ack p50 {summary([r[0] for r in rows])}; "
                f"ack p99 {summary([r[1] for r in rows])}; answer p50 {summary([r[2] for r in rows])}; "
                f"answer p99 {summary([r[3] for r in rows])}"
            )
        tandem, bare = results[("tandem", clients)], results[("bare", clients)]
        ack_ratio = statistics.median(r[1] for r in tandem) / statistics.median(r[1] for r in bare)
        answer_ratio = statistics.median(r[3] for r in tandem) / statistics.median(r[3] for r in bare)
        answer_p99 = statistics.median(r[3] for r in tandem)
        verdict = "met" if ack_ratio <= 1.5 else "NOT MET"
        line = f"  {clients:2d} clients: ratio tandem / bare of median p99: ack {ack_ratio:.2f} (<= 1.5: {verdict}), "
        line += f"answer {answer_ratio:.2f}"
        if clients == 20:
            line += f"; tandem answer p99 {answer_p99:.0f} ms (< 250: {'met' if answer_p99 < 250 else 'NOT MET'})"
        print(line)


if __name__ == "__main__":
    main()
