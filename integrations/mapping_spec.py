"""The mapping file's format: which export tables exist, and how each contract entity is drawn from them.
integrations/mapping.py applies it; the README's "Sources" section documents it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from integrations.base import SourceError


def _text(value: Any) -> Any:
    # YAML reads `False`, `1` or `2.5` as non-strings; the CSV cells they are compared with are text.
    return str(value) if isinstance(value, bool | int | float) else value


Text = Annotated[str, BeforeValidator(_text)]
Match = Annotated[Text | list[Text], BeforeValidator(lambda v: [_text(x) for x in v] if isinstance(v, list) else v)]
Op = Literal["sum", "min", "max", "count", "first", "last"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Table(_Spec):
    file: str | list[str]  # relative to the source's path; globs allowed (monthly exports)
    key: str | None = None  # the table's id: a repeated id is a problem, the later row is skipped
    dates: dict[str, str] = {}  # column -> strptime format ("iso" for ISO 8601)


class Join(_Spec):
    table: str
    # The row's column holding the joined table's key; may be a joined one (subscriptions.account_id).
    # Not `on`: YAML 1.1 reads a bare `on` as the boolean true.
    by: str


class Rollup(_Spec):
    table: str
    by: str  # the column of `table` holding the row's value of `match`
    match: str | None = None  # the row's column (default: the same name as `by`)
    op: Op
    column: str | None = None
    order_by: str | None = None  # for first/last
    where: dict[str, Match] = {}


class Warn(_Spec):
    column: str
    before: str | None = None  # warn when `column` is earlier than this column
    after: str | None = None


class Entity(_Spec):
    from_: str = Field(alias="from")
    join: list[Join] = []
    where: dict[str, Match] = {}
    columns: dict[str, str] = {}  # contract column -> source column
    values: dict[str, dict[Text, Text | None]] = {}  # contract column -> {source value: contract value}
    constants: dict[str, Any] = {}
    templates: dict[str, str] = {}  # contract column -> "text with {source_column}"
    rollups: dict[str, Rollup] = {}
    group_by: list[str] = []  # contract columns: one record per group
    aggregate: dict[str, Op] = {}  # contract column -> how a group combines it


class Mapping(_Spec):
    tables: dict[str, Table]
    entities: dict[
        Literal["accounts", "contacts", "usage", "tickets", "invoices", "notes", "contracts", "team"], Entity
    ]
    warn: dict[str, list[Warn]] = {}  # entity -> checks; matching rows are kept and counted in one problem
    complete: bool = True  # full exports: contacts absent from them have left


def load_mapping(file: Path) -> Mapping:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"mapping {file}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SourceError(f"mapping {file}: not valid YAML ({exc})") from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}" for e in exc.errors())
        raise SourceError(f"mapping {file.name}: {errors}") from None
