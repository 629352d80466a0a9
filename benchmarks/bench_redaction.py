"""Log redaction cost against input size: linear, and bounded per record whatever its size.

    .venv/bin/python benchmarks/bench_redaction.py [--repeats 5]

For each adversarial shape (a run of word characters, dotted words, digits with phone separators, emails
glued together) and each size, times `redact` (what the log filter runs) and `_redact_line` (the patterns
alone, no cut), and prints the median in milliseconds and as a ratio to an anchor measured in the same run:
`str.lower` over the same text (a linear pass in C). Sizes alternate order between repeats. A linear redactor
keeps the ratio roughly flat as the size grows; the former patterns' ratio grew with the size (47 s for
'x' * 100_000). `redact` stays flat in absolute terms past MAX_TEXT, since longer records are cut first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.logs import _redact_line, redact

SHAPES = {
    "word run": "x",
    "dotted words": "ab.",
    "phone-ish": "1- ",
    "glued emails": "a@b.c+",
    "log line": "delivery to jane.doe@acme.example failed, call +44 20 7946 0958 at 2026-11-23 08:30 ",
}
SIZES = [10_000, 100_000, 1_000_000]


def seconds(func: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    func(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'shape':<14}{'size':>10}{'redact ms':>12}{'x anchor':>10}{'line ms':>10}{'x anchor':>10}")
    for shape, unit in SHAPES.items():
        texts = {size: (unit * (size // len(unit) + 1))[:size] for size in SIZES}
        times: dict[int, dict[str, list[float]]] = {s: {"anchor": [], "redact": [], "line": []} for s in SIZES}
        for repeat in range(args.repeats):
            for size in SIZES if repeat % 2 == 0 else reversed(SIZES):
                text = texts[size]
                times[size]["anchor"].append(seconds(str.lower, text))
                times[size]["redact"].append(seconds(redact, text))
                if size <= 100_000:  # the uncut patterns on a megabyte line: linear, but not worth the wait
                    times[size]["line"].append(seconds(_redact_line, text))
        for size in SIZES:
            anchor = statistics.median(times[size]["anchor"])
            red = statistics.median(times[size]["redact"])
            line = statistics.median(times[size]["line"]) if times[size]["line"] else float("nan")
            print(
                f"{shape:<14}{size:>10}{red * 1000:>12.2f}{red / anchor:>10.0f}"
                f"{line * 1000:>10.2f}{line / anchor:>10.0f}"
            )


if __name__ == "__main__":
    main()
