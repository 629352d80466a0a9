"""`/account` under load: `tandem serve` against a local fake Slack, 20 concurrent clients firing signed
commands at /slack/events. Prints p50/p99 time to the HTTP ack and to the final answer (the response_url
post reaching the fake), the same for a bare slack-bolt app answering a constant, and the time of a
lookup over 10,000 accounts. Targets: p99 ack under 100 ms and within 1.5x of the bare app; lookup < 50 ms.

    .venv/bin/python benchmarks/bench_slack.py [--requests 400] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR  # noqa: E402
from bot.lookup import find_account  # noqa: E402
from bot.models import Account  # noqa: E402
from bot.orgs import get_org  # noqa: E402
from bot.pipeline import run_score, run_sync  # noqa: E402
from integrations.files import FileSource  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET, TOKEN = "bench-secret", "xoxb-bench"
QUERIES = ["Northwind Logistics", "acme", "umbrella retail", "globex", "Blue Harbor", "zzq-unknown"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, extra_accounts: int) -> Database:
    db = Database(url)
    db.migrate()
    run_sync(db, "default", FileSource(SAMPLE_DIR))
    run_score(db, "default", SAMPLE_ANCHOR)
    with db.session() as session:
        org_id = get_org(session, "default").id
        rows = [
            {"org_id": org_id, "external_id": f"BENCH-{i}", "name": f"Bench Company {i}", "domain": f"b{i}.example"}
            for i in range(extra_accounts)
        ]
        session.execute(insert(Account), rows)
    return db


def measure_lookup(db: Database) -> list[float]:
    with db.session() as session:
        org_id = get_org(session, "default").id
        timings = []
        for _ in range(5):
            for query in QUERIES:
                started = time.perf_counter()
                find_account(session, org_id, query)
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def wait_healthy(base: str, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.post(base + path, timeout=1).status_code in (200, 401):
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


async def fire(
    base: str, fake: FakeSlack, requests: int, clients: int, pace: float = 0.0
) -> tuple[list[float], list[float]]:
    """`clients` concurrent clients; each sends its next command as soon as the last is acked (pace 0: the
    server saturated, latency is mostly queueing) or `pace` seconds after the last one started (people)."""
    acks: list[float] = []
    sent: dict[str, float] = {}
    verifier = SignatureVerifier(SECRET)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def client() -> None:
        warm = False  # each client's first command opens its connection: not counted (steady state only)
        async with httpx.AsyncClient(timeout=30) as http:
            while not queue.empty():
                i = queue.get_nowait()
                ident = f"b{i}"
                body = urlencode(
                    {
                        "command": "/account",
                        "text": QUERIES[i % len(QUERIES)],
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
                if warm:
                    sent[ident] = started
                response = await http.post(base + "/slack/events", content=body, headers=headers)
                if warm:
                    acks.append((time.monotonic() - started) * 1000)
                warm = True
                assert response.status_code == 200, response.text
                await asyncio.sleep(max(0.0, pace - (time.monotonic() - started)))

    await asyncio.gather(*(client() for _ in range(clients)))
    deadline = time.monotonic() + 60
    while len(fake.state.response_times) < requests and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    finals = [(fake.state.response_times[i] - sent[i]) * 1000 for i in sent if i in fake.state.response_times]
    return acks, finals


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def report(label: str, acks: list[float], finals: list[float], requests: int) -> float:
    print(
        f"{label}: ack p50 {pct(acks, 50):.1f} ms, p99 {pct(acks, 99):.1f} ms; "
        f"answer p50 {pct(finals, 50):.1f} ms, p99 {pct(finals, 99):.1f} ms "
        f"({len(finals)} measured of {requests}; each client's first command warms its connection)"
    )
    return pct(acks, 99)


def run_server(args: list[str], env: dict[str, str], base: str, path: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL)
    wait_healthy(base, path)
    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between a paced client's commands")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(tokens=(TOKEN,)) as fake:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = prepare(url, args.accounts)
        lookups = measure_lookup(db)
        print(
            f"lookup over {args.accounts + 40} accounts: p50 {pct(lookups, 50):.1f} ms, "
            f"p99 {pct(lookups, 99):.1f} ms (first call builds the index: {lookups[0]:.1f} ms; target < 50 ms)"
        )
        env = {
            "TANDEM_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "TANDEM_ORG": "default",
        }
        results: dict[tuple[str, str], float] = {}
        for label, command in (
            ("tandem serve", [str(Path(sys.executable).parent / "tandem"), "serve", "--port"]),
            (
                "bare slack-bolt",
                [
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
            ),
        ):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            process = run_server([*command, str(port)], env, base, "/slack/events")
            try:
                for mode, pace in (("saturated", 0.0), (f"paced {args.pace:g} s", args.pace)):
                    fake.state.response_times.clear()
                    acks, finals = asyncio.run(fire(base, fake, args.requests, args.clients, pace))
                    results[(label, mode)] = report(f"{label} ({mode})", acks, finals, args.requests)
            finally:
                process.terminate()
                process.wait(10)
        for mode in ("saturated", f"paced {args.pace:g} s"):
            tandem, bare = results[("tandem serve", mode)], results[("bare slack-bolt", mode)]
            verdict = "met" if tandem < 100 and tandem / bare <= 1.5 else "NOT MET"
            print(
                f"{mode}: p99 ack {tandem:.1f} ms, ratio tandem / bare {tandem / bare:.2f} "
                f"(target: < 100 ms, <= 1.5): {verdict}"
            )


if __name__ == "__main__":
    main()
