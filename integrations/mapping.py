"""Kind `mapped`: a customer's own CSV exports turned into the data contract by a YAML mapping file.

The mapping names the export's tables (files), then says for each contract entity where its rows come from:
column renames, joins through other tables, filters, value maps, constants, templates, per-row rollups of
another table (an account's ARR from its subscriptions), grouping (feature-usage rows -> one usage row per
account and day) and warnings on suspicious rows. A row that cannot be taken is a problem at file:line; a
mapping that does not fit the files is a SourceError before any row is read. The format is documented in
the README's "Sources" section; integrations/mappings/ravenstack.yml is a worked example.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator

from integrations.base import ENTITIES, Problem, SourceBatch, SourceError
from integrations.files import FILES, FileSource, describe_error, required_columns
from integrations.mapping_spec import Entity, Mapping, Op, Rollup, Table, Warn, load_mapping

KIND = "mapped"
MAPPINGS_DIR = Path(__file__).parent / "mappings"
MODELS: dict[str, type[BaseModel]] = {attr: model for attr, model, _required in FILES.values()}
DATE_FIELDS = {"contract_start", "renewal_date", "date", "issued_at", "due_at", "paid_at", "start_date", "end_date"}
INT_FIELDS = {"seats_purchased", "active_users", "seats_used", "events", "csat"}
WARN_LINES_SHOWN = 5


class Config(BaseModel):
    mapping: Path  # a YAML file, or the name of a bundled one (integrations/mappings/NAME.yml)
    path: Path  # the directory holding the exported files

    @field_validator("mapping")
    @classmethod
    def _bundled(cls, value: Path) -> Path:
        bundled = MAPPINGS_DIR / f"{value}.yml"
        return bundled if not value.suffix and not value.exists() and bundled.is_file() else value


def _norm(ref: str) -> str:
    table, dot, column = ref.rpartition(".")
    return f"{table}.{column.strip().lower()}" if dot else ref.strip().lower()


def _parse_date(value: str, fmt: str) -> date | datetime:
    if fmt == "iso":
        parsed = datetime.fromisoformat(value)
        return parsed.date() if len(value) <= 10 else parsed
    parsed = datetime.strptime(value, fmt)
    return parsed if re.search(r"%[HIMSfp]", fmt) else parsed.date()


def _number(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{str(value)[:40]!r} is not a number") from None


def _combine(op: Op, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if op == "count":
        return len(values)
    if op == "first" or op == "last":
        return (present[0] if op == "first" else present[-1]) if present else None
    if not present:
        return None
    return sum(present, Decimal(0)) if op == "sum" else (min(present) if op == "min" else max(present))


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, datetime) != isinstance(b, datetime):  # a date against a timestamp: compare days
        a, b = (x.date() if isinstance(x, datetime) else x for x in (a, b))
    return a, b


class _Rows:
    """One table's rows, read once: (file:line, {column: value}), with its dates parsed."""

    def __init__(self, spec: Table, files: list[Path], problems: list[Problem]) -> None:
        self.rows: list[tuple[str, dict[str, Any]]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        dates = {_norm(c): f for c, f in spec.dates.items()}
        key = _norm(spec.key) if spec.key else None
        first_at: dict[str, str] = {}
        for file in files:
            for where, raw in FileSource(file.parent)._rows(file, problems):
                row: dict[str, Any] = {k: v.strip() for k, v in raw.items()}
                try:
                    for column, fmt in dates.items():
                        if row.get(column):
                            row[column] = _parse_date(row[column], fmt)
                except ValueError:
                    problems.append(
                        Problem(where, f"{column}: {row[column]!r} is not a date ({fmt})", read_failure=True)
                    )
                    continue
                if key is not None:
                    ident = str(row.get(key) or "")
                    if not ident:
                        problems.append(Problem(where, f"{key}: required value is missing", read_failure=True))
                        continue
                    if ident in first_at:
                        problems.append(Problem(where, f"duplicate {key} {ident!r} (first at {first_at[ident]})"))
                        continue
                    first_at[ident] = where
                    self.by_key[ident] = row
                self.rows.append((where, row))


class MappedSource:
    def __init__(self, name: str, mapping: Path | str, path: Path | str) -> None:
        self.name = name
        self.mapping_file, self.path = Path(mapping), Path(path)

    def test(self) -> str:
        mapping, files = self._prepare()
        return f"mapping fits {sum(len(f) for f in files.values())} file(s); maps {', '.join(mapping.entities)}"

    def load(self) -> SourceBatch:
        mapping, files = self._prepare()
        batch = SourceBatch()
        tables = {name: _Rows(mapping.tables[name], paths, batch.problems) for name, paths in files.items()}
        accounts: set[str] | None = None
        for entity in sorted(mapping.entities, key=ENTITIES.index):  # accounts first
            spec = mapping.entities[entity]
            records = getattr(batch, entity)
            for where, values in self._records(entity, spec, mapping.warn.get(entity, []), tables, batch.problems):
                try:
                    record = MODELS[entity].model_validate(values)
                except ValidationError as exc:
                    contact_id = str(values.get("contact_id") or "") or None if entity == "contacts" else None
                    unknown = entity == "contacts" and contact_id is None
                    batch.problems.append(
                        Problem(where, describe_error(exc), contact_id=contact_id, read_failure=unknown)
                    )
                    continue
                account_id = getattr(record, "account_id", None)
                if accounts is not None and account_id is not None and account_id not in accounts:
                    named = getattr(record, "contact_id", None)
                    batch.problems.append(Problem(where, f"unknown account_id {account_id!r}", contact_id=named))
                    continue
                records.append(record)
            if entity == "accounts":
                accounts = {a.account_id for a in batch.accounts}
        if mapping.complete:
            batch.complete = {e for e in ("accounts", "contacts") if e in mapping.entities}
        return batch

    # --- the mapping against the files -------------------------------------------------------------------

    def _prepare(self) -> tuple[Mapping, dict[str, list[Path]]]:
        """The mapping, and each table's files, once it is sure every name in it exists."""
        mapping = load_mapping(self.mapping_file)
        if not self.path.is_dir():
            raise SourceError(f"{self.path} is not a directory of exported files")
        used = {t for e in mapping.entities.values() for t in [e.from_, *(j.table for j in e.join)]}
        used |= {r.table for e in mapping.entities.values() for r in e.rollups.values()}
        files: dict[str, list[Path]] = {}
        headers: dict[str, set[str]] = {}
        for name in sorted(used):
            if name not in mapping.tables:
                raise SourceError(f"mapping {self.mapping_file.name}: table {name!r} is used but not in `tables`")
            table = mapping.tables[name]
            files[name], headers[name] = self._files(table)
            for column in [*([table.key] if table.key else []), *table.dates]:
                self._column(headers, name, column, f"tables.{name}", name)
        for entity, spec in mapping.entities.items():
            self._check_entity(entity, spec, mapping.warn.get(entity, []), mapping, headers)
        if unmapped := sorted(set(mapping.warn) - set(mapping.entities)):
            raise SourceError(f"mapping {self.mapping_file.name}: warn: {unmapped} not in `entities`")
        return mapping, files

    def _files(self, spec: Table) -> tuple[list[Path], set[str]]:
        found: list[Path] = []
        for pattern in [spec.file] if isinstance(spec.file, str) else spec.file:
            matched = sorted(p for p in self.path.glob(pattern) if p.is_file())
            if not matched:
                raise SourceError(f"{self.path / pattern}: no such file")
            found += matched
        columns: set[str] | None = None
        for file in found:
            try:
                with file.open(encoding="utf-8-sig") as handle:
                    header = next(csv.reader(handle), None)
            except UnicodeDecodeError as exc:
                raise SourceError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
            if not header:
                raise SourceError(f"{file}: empty file, expected a header row")
            names = {c.strip().lower() for c in header}
            columns = names if columns is None else columns & names  # every file must have what is used
        return found, columns or set()

    def _column(self, headers: dict[str, set[str]], base: str, ref: str, at: str, *scope: str) -> None:
        table, dot, column = _norm(ref).rpartition(".")
        table = table if dot else base
        if table not in scope:
            raise SourceError(f"mapping {self.mapping_file.name}: {at}: {ref!r} names table {table!r}, not joined")
        if column not in headers[table]:
            shown = ", ".join(sorted(headers[table]))
            raise SourceError(
                f"mapping {self.mapping_file.name}: {at}: no column {column!r} in table {table!r} (has: {shown})"
            )

    def _check_entity(
        self, entity: str, spec: Entity, warns: list[Warn], mapping: Mapping, headers: dict[str, set[str]]
    ) -> None:
        at = f"entities.{entity}"
        scope = [spec.from_]
        for i, join in enumerate(spec.join):
            if mapping.tables[join.table].key is None:
                raise SourceError(f"mapping {self.mapping_file.name}: {at}.join: table {join.table!r} has no key")
            self._column(headers, spec.from_, join.by, f"{at}.join[{i}].by", *scope)
            scope.append(join.table)
        refs = [(f"{at}.columns.{k}", v) for k, v in spec.columns.items()]
        refs += [(f"{at}.where", c) for c in spec.where]
        refs += [(f"{at}.templates.{k}", c) for k, t in spec.templates.items() for c in re.findall(r"\{([\w.]+)\}", t)]
        refs += [(f"{at}.rollups.{k}.match", r.match or r.by) for k, r in spec.rollups.items()]
        refs += [(f"mapping warn.{entity}", c) for w in warns for c in (w.column, w.before, w.after) if c]
        for where, ref in refs:
            self._column(headers, spec.from_, ref, where, *scope)
        for name, rollup in spec.rollups.items():
            for column in [rollup.by, rollup.column, rollup.order_by, *rollup.where]:
                if column:
                    self._column(headers, rollup.table, column, f"{at}.rollups.{name}", rollup.table)
        model = MODELS[entity]
        given = {*spec.columns, *spec.constants, *spec.templates, *spec.rollups}
        for field in {*given, *spec.values, *spec.group_by, *spec.aggregate} - set(model.model_fields):
            raise SourceError(
                f"mapping {self.mapping_file.name}: {at}: {entity} has no column {field!r} "
                f"(contract columns: {', '.join(model.model_fields)})"
            )
        if missing := [c for c in required_columns(model) if c not in given]:
            raise SourceError(f"mapping {self.mapping_file.name}: {at}: required column(s) not mapped: {missing}")

    # --- rows -> contract values ---------------------------------------------------------------------------

    def _records(
        self, entity: str, spec: Entity, warns: list[Warn], tables: dict[str, _Rows], problems: list[Problem]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        rollups = {name: self._rollup_index(r, tables[r.table], problems) for name, r in spec.rollups.items()}
        flagged: list[list[str]] = [[] for _ in warns]
        mapped: list[tuple[str, dict[str, Any]]] = []
        for where, base in tables[spec.from_].rows:
            row = dict(base)
            try:
                for join in spec.join:
                    ref = str(row.get(_norm(join.by)) or "")
                    target = tables[join.table].by_key.get(ref)
                    if target is None:
                        raise ValueError(f"{join.by} {ref!r} is not in {join.table}")
                    row.update({f"{join.table}.{k}": v for k, v in target.items()})
                if not all(_matches(row.get(_norm(c)), allowed) for c, allowed in spec.where.items()):
                    continue
                mapped.append((where, self._values(spec, row, rollups)))
            except ValueError as exc:
                problems.append(Problem(where, str(exc), read_failure=True))  # a row of any entity: maybe a contact
                continue
            for i, check in enumerate(warns):
                if _flagged(row, check):
                    flagged[i].append(where)
        for check, wheres in zip(warns, flagged, strict=True):
            if wheres:
                rule = f"before {check.before}" if check.before else f"after {check.after}"
                also = ", ".join(w.rsplit(":", 1)[-1] for w in wheres[1:WARN_LINES_SHOWN])
                more = f" (also lines {also}{', ...' if len(wheres) > WARN_LINES_SHOWN else ''})" if also else ""
                problems.append(
                    Problem(wheres[0], f"{check.column} {rule} in {len(wheres)} row(s), kept{more}", kept=True)
                )
        yield from _grouped(spec, mapped, problems) if spec.group_by else mapped

    def _values(self, spec: Entity, row: dict[str, Any], rollups: dict[str, dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {f: row.get(_norm(c)) for f, c in spec.columns.items()}
        for field, template in spec.templates.items():
            filled = re.sub(r"\{([\w.]+)\}", lambda m: _shown(row.get(_norm(m.group(1)))), template)
            out[field] = filled.strip()
        for field, rollup in spec.rollups.items():
            out[field] = rollups[field].get(str(row.get(_norm(rollup.match or rollup.by)) or ""))
        out.update(spec.constants)
        for field, table in spec.values.items():
            value = out.get(field)
            if isinstance(value, str):
                lowered = {k.strip().lower(): v for k, v in table.items()}
                out[field] = lowered.get(value.strip().lower(), value)
        for field, value in out.items():
            if field in DATE_FIELDS and isinstance(value, datetime):
                out[field] = value.date()
            elif field in INT_FIELDS and isinstance(value, str | Decimal) and re.fullmatch(r"-?\d+\.0*", str(value)):
                out[field] = str(value).split(".")[0]  # "4.0" from a float column is the integer 4
        return out

    def _rollup_index(self, rollup: Rollup, table: _Rows, problems: list[Problem]) -> dict[str, Any]:
        groups: dict[str, list[tuple[Any, Any]]] = {}
        for where, row in table.rows:
            if not all(_matches(row.get(_norm(c)), allowed) for c, allowed in rollup.where.items()):
                continue
            value = row.get(_norm(rollup.column)) if rollup.column else None
            if rollup.op in ("sum", "min", "max"):
                try:
                    value = _number(value)
                except ValueError as exc:
                    problems.append(Problem(where, f"{rollup.column}: {exc} (left out of a rollup)"))
                    continue
            order = row.get(_norm(rollup.order_by)) if rollup.order_by else None
            groups.setdefault(str(row.get(_norm(rollup.by)) or ""), []).append((order, value))
        for rows in groups.values():
            if rollup.order_by:
                rows.sort(key=lambda pair: (pair[0] is None, str(pair[0])))
        return {k: _combine(rollup.op, [v for _o, v in rows]) for k, rows in groups.items()}


def _matches(value: Any, allowed: str | list[str]) -> bool:
    shown = _shown(value).lower()
    return any(shown == a.strip().lower() for a in ([allowed] if isinstance(allowed, str) else allowed))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _flagged(row: dict[str, Any], check: Warn) -> bool:
    value = row.get(_norm(check.column))
    other = row.get(_norm(check.before or check.after or ""))
    if value in (None, "") or other in (None, ""):
        return False
    a, b = _comparable(value, other)
    try:
        return bool(a < b) if check.before else bool(a > b)
    except TypeError:
        return False


def _grouped(
    spec: Entity, rows: list[tuple[str, dict[str, Any]]], problems: list[Problem]
) -> Iterator[tuple[str, dict[str, Any]]]:
    groups: dict[tuple[str, ...], tuple[str, dict[str, Any], dict[str, list[Any]]]] = {}
    for where, values in rows:
        try:
            parts = {f: _number(values.get(f)) for f, op in spec.aggregate.items() if op in ("sum", "min", "max")}
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        key = tuple(_shown(values.get(f)) for f in spec.group_by)
        if key not in groups:
            groups[key] = (where, values, {f: [] for f in spec.aggregate})
        for field in spec.aggregate:
            groups[key][2][field].append(parts.get(field, values.get(field)))
    for where, first, collected in groups.values():
        out = dict(first)
        for field, op in spec.aggregate.items():
            combined = _combine(op, collected[field])
            out[field] = int(combined) if isinstance(combined, Decimal) and combined == int(combined) else combined
        yield where, out


def connector(name: str, config: Config, cursor: dict[str, Any] | None, full: bool = False) -> MappedSource:
    return MappedSource(name, config.mapping, config.path)  # full exports: no cursor to follow
