"""Reading one CSV export row by row, every problem a person can fix reported with its file:line.

The csv module alone loses rows silently: an unbalanced quote swallows every later line into one field,
a line that is not UTF-8 is either fatal (with a byte offset) or quietly mangled, and a row with missing
values is taken as if the cells were blank. Here each physical line is decoded on its own (so a bad byte
is reported by line), quoting is strict, and a record whose quoting went wrong is rejected alone: the lines
it swallowed are read again as rows of their own.
"""

from __future__ import annotations

import csv
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from integrations.base import Problem, SourceError


class _Lines:
    """A file's physical lines, decoded one at a time, numbered, and replayable after a broken record."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._replay: deque[tuple[int, str]] = deque()
        self._read = 0
        self.taken: list[tuple[int, str]] = []  # the lines of the record being read
        self.undecodable: dict[int, str] = {}  # line number -> what was wrong

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._replay:
            number, text = self._replay.popleft()
        else:
            raw = self._handle.readline()
            if not raw:
                raise StopIteration
            self._read += 1
            number = self._read
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                self.undecodable[number] = f"byte 0x{raw[exc.start]:02X} at column {exc.start + 1}"
                text = raw.decode("utf-8", errors="replace")
        self.taken.append((number, text))
        return text

    def start_record(self) -> None:
        self.taken = []

    def replay_all_but_first(self) -> None:
        """The record's first line is rejected; the lines it swallowed are read again."""
        self._replay.extendleft(reversed(self.taken[1:]))


def _header(file: Path, lines: _Lines, reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError(f"{file}:1: the header row cannot be read ({exc})") from None
    if 1 in lines.undecodable:
        raise SourceError(f"{file}:1: not UTF-8 text ({lines.undecodable[1]}): save the export as UTF-8")
    if not header:
        raise SourceError(f"{file}: empty file, expected a header row")
    columns = [c.strip().lower() for c in header]
    twice = [c for c, n in Counter(columns).items() if n > 1 and c]
    if twice:
        where = "; ".join(f"{c!r} in columns {_positions(columns, c)}" for c in twice)
        raise SourceError(f"{file}:1: duplicate column {where}: which one holds the data is unclear")
    return columns


def read_header(file: Path) -> list[str]:
    """The file's column names (lower-cased); a SourceError if the header row is unusable."""
    with file.open("rb") as handle:
        lines = _Lines(handle)
        return _header(file, lines, csv.reader(lines, strict=True))


def read_rows(file: Path, problems: list[Problem]) -> Iterator[tuple[str, dict[str, str]]]:
    """('file:line', {column: value}) for every good row; every other row becomes a problem (a read failure:
    the rows a broken line hides or misattributes cannot be told apart from absent ones)."""
    with file.open("rb") as handle:
        lines = _Lines(handle)
        reader = csv.reader(lines, strict=True)
        header = _header(file, lines, reader)
        while True:
            lines.start_record()
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if not lines.taken:
                    return
                start = lines.taken[0][0]
                kind = "unreadable CSV row" if "field larger" in str(exc) else "malformed quoting"
                problems.append(_broken(file, start, f"{kind} ({exc}): row skipped"))
                lines.replay_all_but_first()
                continue
            start, end = lines.taken[0][0], lines.taken[-1][0]
            where = f"{file.name}:{start}"
            bad = [n for n, _ in lines.taken if n in lines.undecodable]
            if bad:
                problems.append(
                    _broken(file, bad[0], f"not UTF-8 text ({lines.undecodable[bad[0]]}): row skipped; save as UTF-8")
                )
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                if end > start:  # a quote opened on the first line and closed lines later
                    problems.append(_broken(file, start, "malformed quoting (a quote is not closed): row skipped"))
                    lines.replay_all_but_first()
                else:
                    problems.append(
                        _broken(file, start, f"{len(values)} values for {len(header)} columns: row skipped")
                    )
                continue
            yield where, dict(zip(header, values, strict=True))


def _positions(columns: list[str], name: str) -> str:
    return ", ".join(str(i + 1) for i, c in enumerate(columns) if c == name)


def _broken(file: Path, line: int, reason: str) -> Problem:
    return Problem(f"{file.name}:{line}", reason, read_failure=True)
