"""Start-up of the `tandem` command, hyperfine-style: each command runs in a fresh process, the anchor
(`python -c pass`, the interpreter alone) runs in the same loop, the order alternates, and the figures are
min / median wall-clock seconds with the median's ratio to the anchor.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 7]

Targets: `tandem --help` < 0.5 s; `tandem accounts --json` on the demo database < 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TANDEM = str(Path(sys.executable).parent / "tandem")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "TANDEM_DATABASE_URL": f"sqlite:///{scratch}/demo.db", "TANDEM_ORG": "default"}
        demo = [TANDEM, "demo", "--out", f"{scratch}/outbox"]  # run in scratch: it writes its data there
        subprocess.run(demo, cwd=scratch, env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "python -c pass (anchor)": [sys.executable, "-c", "pass"],
            "tandem --help": [TANDEM, "--help"],
            "tandem accounts --json": [TANDEM, "accounts", "--json"],
        }
        times: dict[str, list[float]] = {label: [] for label in commands}
        for command in commands.values():  # warm the file cache, not counted
            timed(command, env)
        for repeat in range(args.repeats):
            order = list(commands.items())
            for label, command in order if repeat % 2 == 0 else reversed(order):
                times[label].append(timed(command, env))
    anchor = statistics.median(times["python -c pass (anchor)"])
    targets = {"tandem --help": 0.5, "tandem accounts --json": 1.0}
    for label, values in times.items():
        median = statistics.median(values)
        line = f"{label:28s} min {min(values):.3f} s, median {median:.3f} s, {median / anchor:.1f}x the anchor"
        if label in targets:
            line += f" (target < {targets[label]} s: {'met' if median < targets[label] else 'NOT MET'})"
        print(line)
    print(f"{args.repeats} repeats, alternating order, each command in a fresh process")


if __name__ == "__main__":
    main()
