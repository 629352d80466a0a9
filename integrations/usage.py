"""Kinds `usage_sql` and `usage_files`: product usage, one row per account and day, from a SQL query against
any SQLAlchemy URL (a warehouse, the product's own database) or from CSV or Parquet files (a nightly dump).

Both map their columns to the contract's usage columns (account_id, date, active_users, seats_used, events)
by configuration, and read incrementally: the query gets a `:since` bind parameter from the cursor (a few
days back, since the latest days are still growing); the files source rereads only new or changed files.
Parquet files are read in record batches with pyarrow (typed values, like a query's rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, SecretStr, ValidationError, field_validator
from sqlalchemy import Date, bindparam, create_engine, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from integrations.base import Problem, SourceBatch, SourceError
from integrations.csv_rows import read_header
from integrations.files import FileSource, describe_error
from integrations.records import UsageRecord

USAGE_COLUMNS = ("account_id", "date", "active_users", "seats_used", "events")
SINCE = re.compile(r"(?<!:):since\b")
EPOCH = date(1970, 1, 1)  # `since` of a first or full read
PARQUET_BATCH = 10_000


class _Common(BaseModel):
    # contract column -> source column; unnamed contract columns are read from a column of the same name
    columns: dict[str, str] = {}
    # What the account column holds: the accounts' own ids, or their web domains (matched across sources).
    match: Literal["id", "domain"] = "id"

    @field_validator("columns")
    @classmethod
    def _contract_columns(cls, value: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(value) - set(USAGE_COLUMNS)):
            raise ValueError(f"not usage columns: {', '.join(unknown)} (usage has {', '.join(USAGE_COLUMNS)})")
        return {k: v.strip().lower() for k, v in value.items()}

    def source_columns(self, available: Iterable[str], where: str) -> dict[str, str]:
        """contract column -> source column, checked against what the source really has."""
        have = {c.lower() for c in available}
        chosen = {c: self.columns.get(c, c) for c in USAGE_COLUMNS}
        for column in ("account_id", "date"):
            if chosen[column] not in have:
                raise SourceError(
                    f"{where}: no column {chosen[column]!r} for {column} (has: {', '.join(sorted(have))})"
                )
        for column in ("active_users", "seats_used", "events"):
            if chosen[column] not in have:
                if column in self.columns:
                    raise SourceError(f"{where}: no column {chosen[column]!r} for {column}")
                del chosen[column]
        if len(chosen) == 2:
            raise SourceError(f"{where}: none of active_users, seats_used, events is there")
        return chosen


class _Records:
    """Rows -> usage records: one per account and day, the later duplicate reported."""

    def __init__(self, config: _Common, batch: SourceBatch) -> None:
        self.config, self.batch = config, batch
        self.seen: dict[tuple[str, date], str] = {}
        self.latest: date | None = None

    def add(self, where: str, row: dict[str, Any], columns: dict[str, str]) -> None:
        values = {c: row.get(s) for c, s in columns.items()}
        if isinstance(values["date"], datetime):
            values["date"] = values["date"].date()
        account = str(values["account_id"]).strip() if values["account_id"] is not None else ""
        if account and self.config.match == "domain":
            account = "domain:" + account  # matched to an account by its domain when the batch is stored
        values["account_id"] = account
        try:
            record = UsageRecord.model_validate(values)
        except ValidationError as exc:
            self.batch.problems.append(Problem(where, describe_error(exc)))
            return
        key = (record.account_id, record.date)
        if key in self.seen:
            self.batch.problems.append(Problem(where, f"second row for {key[0]} on {key[1]} (first: {self.seen[key]})"))
            return
        self.seen[key] = where
        self.batch.usage.append(record)
        self.latest = max(self.latest or record.date, record.date)


class SqlConfig(_Common):
    url: SecretStr  # SQLAlchemy URL; it usually carries a password
    query: str  # SELECT ... one row per account and day; `:since` (a date) makes it incremental
    lookback_days: int = 3  # reread the last days of the previous read: today's counts still grow


class SqlUsageSource:
    def __init__(self, name: str, config: SqlConfig, cursor: dict[str, Any] | None, full: bool = False) -> None:
        self.name, self.config = name, config
        self.since = EPOCH if full or not cursor or "since" not in cursor else date.fromisoformat(cursor["since"])

    def test(self) -> str:
        with self._rows(limit=1) as (columns, rows):
            first = next(rows, None)
        return f"query runs; columns {', '.join(columns.values())}" + ("" if first else " (no rows since cursor)")

    def load(self) -> SourceBatch:
        batch = SourceBatch()
        records = _Records(self.config, batch)
        with self._rows() as (columns, rows):
            for n, row in enumerate(rows, start=1):
                records.add(f"query row {n}", row, columns)
        batch.cursor = self._next_cursor(records.latest)
        return batch

    def _next_cursor(self, latest: date | None) -> dict[str, Any] | None:
        if not SINCE.search(self.config.query):
            return None  # read in full each time: nothing to remember
        start = latest - timedelta(days=self.config.lookback_days) if latest else self.since
        return {"since": max(start, self.since).isoformat()}

    def _rows(self, limit: int | None = None) -> _QueryRows:
        return _QueryRows(self, limit)


class _QueryRows:
    """The query's rows as dicts, inside a connection that is rolled back: the query never writes."""

    def __init__(self, source: SqlUsageSource, limit: int | None) -> None:
        self.source, self.limit = source, limit

    def __enter__(self) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
        config = self.source.config
        try:
            self.engine = create_engine(config.url.get_secret_value(), pool_pre_ping=True)
        except ArgumentError:
            raise SourceError("url is not a SQLAlchemy URL (dialect+driver://user:password@host/database)") from None
        except (NoSuchModuleError, ImportError) as exc:
            raise SourceError(f"url names a database whose driver is not installed ({exc})") from None
        statement = text(config.query)
        params: dict[str, Any] = {}
        if SINCE.search(config.query):
            statement = statement.bindparams(bindparam("since", type_=Date))
            params["since"] = self.source.since
        try:
            self.conn = self.engine.connect()
            result = self.conn.execution_options(stream_results=True).execute(statement, params)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise SourceError(f"usage query failed: {_reason(exc)}") from None
        names = result.keys()
        keys = [k.lower() for k in names]
        try:
            columns = config.source_columns(keys, "usage query")
        except SourceError:
            self.__exit__()
            raise
        rows = (dict(zip(keys, r, strict=True)) for r in (result.fetchmany(self.limit) if self.limit else result))
        return columns, _guarded(rows)

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()
        self.engine.dispose()


def _guarded(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    try:
        yield from rows
    except SQLAlchemyError as exc:  # a streaming read can fail midway: nothing is stored then
        raise SourceError(f"usage query failed while reading: {_reason(exc)}") from None


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return f"{type(orig or exc).__name__}: {str(orig or exc).strip().splitlines()[0]}"


class FilesConfig(_Common):
    path: Path  # a CSV file, or a directory of them
    pattern: str = "*.csv"  # which files of the directory (e.g. usage_*.csv)
    date_format: str | None = None  # strptime format of the date column; ISO 8601 when absent


class FileUsageSource:
    """CSV dumps: a file already read and unchanged since (same size and modification time) is skipped."""

    def __init__(self, name: str, config: FilesConfig, cursor: dict[str, Any] | None, full: bool = False) -> None:
        self.name, self.config = name, config
        self.read: dict[str, str] = {} if full or not cursor else dict(cursor.get("files", {}))

    def _files(self) -> list[Path]:
        path = self.config.path
        files = [path] if path.is_file() else sorted(p for p in path.glob(self.config.pattern) if p.is_file())
        if not files:
            raise SourceError(f"{path}: no usage files ({self.config.pattern})")
        return files

    def test(self) -> str:
        files = self._files()
        for file in files:
            self._columns(file)
        return f"{len(files)} file(s), {sum(1 for f in files if self._stamp(f) != self.read.get(f.name))} to read"

    def load(self) -> SourceBatch:
        batch = SourceBatch()
        records = _Records(self.config, batch)
        stamps: dict[str, str] = {}
        for file in self._files():
            stamps[file.name] = self._stamp(file)
            if self.read.get(file.name) == stamps[file.name]:
                continue
            columns = self._columns(file)
            if _is_parquet(file):
                for where, row in _parquet_rows(file):
                    records.add(where, row, columns)
                continue
            for where, row in FileSource(file.parent)._rows(file, batch.problems):
                if self.config.date_format and row.get(columns["date"], "").strip():
                    try:
                        row[columns["date"]] = datetime.strptime(row[columns["date"]].strip(), self.config.date_format)
                    except ValueError:
                        problem = f"date: {row[columns['date']]!r} is not a date ({self.config.date_format})"
                        batch.problems.append(Problem(where, problem))
                        continue
                records.add(where, row, columns)
        batch.cursor = {"files": stamps}
        return batch

    def _columns(self, file: Path) -> dict[str, str]:
        if _is_parquet(file):
            return self.config.source_columns([c.strip() for c in _parquet_file(file).schema_arrow.names], file.name)
        return self.config.source_columns(read_header(file), file.name)  # a bad header: file:line, not a byte

    @staticmethod
    def _stamp(file: Path) -> str:
        stat = file.stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"


def _is_parquet(file: Path) -> bool:
    return file.suffix.lower() in (".parquet", ".pq")


def _parquet_file(file: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(file)
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(f"{file}: not a readable Parquet file ({exc})") from None


def _parquet_rows(file: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a Parquet file, a batch at a time (bounded memory), with lower-case column names."""
    number = 0
    try:
        for chunk in _parquet_file(file).iter_batches(batch_size=PARQUET_BATCH):
            names = [n.strip().lower() for n in chunk.schema.names]
            for values in zip(*(column.to_pylist() for column in chunk.columns), strict=True):
                number += 1
                yield f"{file.name}:row {number}", dict(zip(names, values, strict=True))
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(f"{file}: unreadable at row {number + 1} ({exc})") from None


class SQL:
    KIND = "usage_sql"
    Config = SqlConfig

    @staticmethod
    def connector(name: str, config: SqlConfig, cursor: dict[str, Any] | None, full: bool = False) -> SqlUsageSource:
        return SqlUsageSource(name, config, cursor, full)


class FILES:
    KIND = "usage_files"
    Config = FilesConfig

    @staticmethod
    def connector(name: str, config: FilesConfig, cursor: dict[str, Any] | None, full: bool = False) -> FileUsageSource:
        return FileUsageSource(name, config, cursor, full)
