"""PostgreSQL's bulk path: rows COPYed into a temporary staging table, then one set-based statement.

psycopg's executemany sends a statement per row (pipelined); COPY sends the whole chunk in one stream,
which is what a book of a million usage rows needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

STAGE = "tandem_sync_stage"


def _stage(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """A temporary table with the target's column types (no constraints), holding the rows."""
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS SELECT {names} FROM {table.name} WITH NO DATA")
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _with_defaults(table: Table, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The columns' Python-side defaults (created_at=utcnow, ...), which a Core insert would have applied."""
    missing = [c for c in table.columns if c.key not in rows[0] and c.default is not None and not c.primary_key]
    filled = []
    for row in rows:
        extra = {}
        for column in missing:
            default: Any = column.default
            extra[column.key] = default.arg(None) if default.is_callable else default.arg
        filled.append(row | extra)
    return filled


def copy_upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    rows = _with_defaults(table, rows)
    columns = list(rows[0])
    _stage(conn, table, columns, rows)
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in key)
    conflict = ", ".join(f'"{c}"' for c in key)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {STAGE} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    conn.exec_driver_sql(f"DROP TABLE {STAGE}")


def copy_update(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows {"row_id": ..., column: value}, all with the same columns: one UPDATE ... FROM the stage."""
    columns = [c for c in rows[0] if c != "row_id"]
    _stage(conn, table, ["id", *columns], [{"id": r["row_id"], **r} for r in rows])
    sets = ", ".join(f'"{c}" = s."{c}"' for c in columns)
    conn.exec_driver_sql(f"UPDATE {table.name} AS t SET {sets} FROM {STAGE} AS s WHERE t.id = s.id")
    conn.exec_driver_sql(f"DROP TABLE {STAGE}")
