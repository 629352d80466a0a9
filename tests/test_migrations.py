"""The migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.db import Database
from bot.models import Base


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Tables the models do not declare (APScheduler's job table) are not ours to compare.
    return not (type_ == "table" and reflected and name not in Base.metadata.tables)


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _ours, "compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
