"""Bulk writes for the sync: records in bounded chunks, compared with the stored rows of that chunk only,
then new rows in one `INSERT ... ON CONFLICT` and changed rows in one `UPDATE` (executemany on SQLite;
COPY into a staging table and one statement on PostgreSQL, bot.bulk_postgres).

Nothing is written for a row whose stored values already match, so re-syncing an unchanged book writes
nothing. Memory holds one chunk, whatever the size of the book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects import sqlite

from bot.bulk_postgres import copy_update, copy_upsert

T = TypeVar("T")

CHUNK = 5_000  # rows per round trip: a chunk's keys stay under SQLite's bound-parameter limit
SMALL = 50  # fewer changed rows than this are updated directly, not through a COPY stage


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    """Insert the rows; one that meanwhile appeared under the same key (a concurrent sync) is updated."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        copy_upsert(conn, table, rows, key)
        return
    stmt = sqlite.insert(table)
    columns = [c for c in rows[0] if c not in key]
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in columns})
    conn.execute(stmt, list(rows))


def update_by_id(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows given as {"row_id": ..., column: value, ...}; one executemany per set of columns."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(c for c in row if c != "row_id")), []).append(row)
    for columns, group in by_columns.items():
        if conn.dialect.name == "postgresql" and len(group) > SMALL:
            copy_update(conn, table, group)
            continue
        stmt = update(table).where(table.c.id == bindparam("row_id")).values({c: bindparam(c) for c in columns})
        conn.execute(stmt, group)


@dataclass
class ChunkPlan:
    """What one chunk needs: new rows (to insert) and changed rows (to update), each with its key."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    touched_accounts: set[int] = field(default_factory=set)


def stored_rows(
    conn: Connection, table: Table, key: Sequence[str], columns: Iterable[str], *where: Any
) -> dict[Any, dict[str, Any]]:
    """The stored rows matching `where` (the chunk's keys, or a range around them), by key: their id and
    the given columns. Plain tuples zipped into dicts: the mapping rows' bookkeeping costs seconds."""
    names = ["id", *dict.fromkeys([*key, *columns])]
    rows = conn.execute(select(*(table.c[n] for n in names)).where(*where)).all()  # one fetch, not one per row
    key_of = _key_getter(key)
    found: dict[Any, dict[str, Any]] = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        found[key_of(values)] = values
    return found


def by_external_id(table: Table, org_id: int, rows: Sequence[dict[str, Any]]) -> list[Any]:
    """The filter for a chunk of rows keyed by the organization's external ids."""
    return [table.c.org_id == org_id, table.c.external_id.in_({r["external_id"] for r in rows})]


def plan_chunk(stored: dict[Any, dict[str, Any]], rows: Iterable[dict[str, Any]], key: Sequence[str]) -> ChunkPlan:
    """Compare each incoming row with the stored one (or with an earlier row of the chunk under the same
    key): new, changed (only the differing values count) or unchanged."""
    plan = ChunkPlan()
    key_of = _key_getter(key)
    pending: dict[Any, dict[str, Any]] = {}  # key -> the row as this chunk leaves it
    for row in rows:
        ident = key_of(row)
        before = pending.get(ident)
        if before is not None:  # the same key twice in one chunk: the later values win
            if any(before.get(c) != v for c, v in row.items()):
                listed = any(before is r for r in (*plan.new, *plan.changed))
                before.update(row)
                if not listed:
                    plan.changed.append(before)
                    plan.touched_accounts.update(_account_of(before))
            continue
        current = stored.get(ident)
        if current is None:
            pending[ident] = row
            plan.new.append(row)
        elif any(current[c] != v for c, v in row.items()):
            pending[ident] = dict(row, row_id=current["id"])
            plan.changed.append(pending[ident])
            plan.touched_accounts.update(_account_of(current))  # a row moving account changes both
        else:
            pending[ident] = row
            continue
        plan.touched_accounts.update(_account_of(row))
    return plan


def _key_getter(key: Sequence[str]) -> Callable[[dict[str, Any]], Any]:
    """A row's key: the value itself for one column, a tuple for several (as stored_rows keys them)."""
    return itemgetter(*key)


def _account_of(row: dict[str, Any]) -> list[int]:
    return [row["account_id"]] if row.get("account_id") is not None else []
