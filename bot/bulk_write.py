"""Bulk writes for the sync: records in bounded chunks, compared with the stored rows of that chunk only,
then new rows in one `INSERT ... ON CONFLICT` executemany and changed rows in one `UPDATE` executemany.

Nothing is written for a row whose stored values already match, so re-syncing an unchanged book writes
nothing. Memory holds one chunk, whatever the size of the book.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

CHUNK = 2_000  # rows per round trip: well under SQLite's bound-parameter limit with two-column keys


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    """Insert the rows; one that meanwhile appeared under the same key (a concurrent sync) is updated."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    columns = [c for c in rows[0] if c not in key]
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in columns})
    conn.execute(stmt, list(rows))


def update_by_id(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows given as {"row_id": ..., column: value, ...}; one executemany per set of columns."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(c for c in row if c != "row_id")), []).append(row)
    for columns, group in by_columns.items():
        stmt = update(table).where(table.c.id == bindparam("row_id")).values({c: bindparam(c) for c in columns})
        conn.execute(stmt, group)


@dataclass
class ChunkPlan:
    """What one chunk needs: new rows (to insert) and changed rows (to update), each with its key."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    touched_accounts: set[int] = field(default_factory=set)


def stored_rows(
    conn: Connection, table: Table, key: Sequence[str], scope: dict[str, Any], keys: Iterable[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The stored rows with the given keys (and the scope's column values), by key."""
    key_cols = [table.c[k] for k in key]
    wanted = list(set(keys))
    condition = tuple_(*key_cols).in_(wanted) if len(key_cols) > 1 else key_cols[0].in_([k[0] for k in wanted])
    query = select(table).where(condition, *(table.c[c] == v for c, v in scope.items()))
    return {tuple(row[k] for k in key): dict(row) for row in conn.execute(query).mappings()}


def plan_chunk(
    stored: dict[tuple[Any, ...], dict[str, Any]], rows: Iterable[dict[str, Any]], key: Sequence[str]
) -> ChunkPlan:
    """Compare each incoming row with the stored one (or with an earlier row of the chunk under the same
    key): new, changed (only the differing values count) or unchanged."""
    plan = ChunkPlan()
    pending: dict[tuple[Any, ...], dict[str, Any]] = {}  # key -> the row as this chunk leaves it
    for row in rows:
        ident = tuple(row[k] for k in key)
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
        elif any(current.get(c) != v for c, v in row.items()):
            pending[ident] = dict(row, row_id=current["id"])
            plan.changed.append(pending[ident])
            plan.touched_accounts.update(_account_of(current))  # a row moving account changes both
        else:
            pending[ident] = dict(row, row_id=current["id"])
            continue
        plan.touched_accounts.update(_account_of(row))
    return plan


def _account_of(row: dict[str, Any]) -> list[int]:
    return [row["account_id"]] if row.get("account_id") is not None else []
