"""Configured sources: the registry of source kinds, their stored configurations, and syncing them.

A source's configuration lives in `source_states.config`: {"kind": "mapped", "path": ..., "secrets": {...}}.
Fields a kind types as SecretStr are stored Fernet-encrypted under "secrets" (what `tandem keys rotate`
re-encrypts); the rest in clear. Its cursor (where an incremental sync stopped) is `source_states.cursor`,
JSON, replaced only after a batch is in. The nightly job syncs every configured source of an organization.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import SecretBox, SecretsUnavailable
from bot.db import Database
from bot.ingest import IngestReport
from bot.models import Account, SourceState
from bot.orgs import ensure_org, get_org
from bot.pipeline import run_sync
from bot.settings import Settings
from integrations.base import ENTITIES, Connector, Problem, SourceBatch, SourceError, StreamedBatch, StreamingConnector
from integrations.files import FileSource
from integrations.records import AccountRecord


class SourceKind(Protocol):
    """What a kind module exposes (integrations.hubspot, integrations.mapping, ...)."""

    KIND: str
    Config: type[BaseModel]

    def connector(self, name: str, config: Any, cursor: dict[str, Any] | None, full: bool = False) -> Connector: ...


class FilesKind:
    """The reference file source, adapted to the kind interface (its module predates it)."""

    KIND = "files"

    class Config(BaseModel):
        path: Path

    @staticmethod
    def connector(name: str, config: Any, cursor: dict[str, Any] | None, full: bool = False) -> Connector:
        source = FileSource(config.path)
        source.name = name
        return source


# Kind -> "module" or "module:attribute". Imported only when used, so a kind whose module or SDK is
# missing fails with a clear message for its own sources and breaks nothing else.
KINDS: dict[str, str] = {
    "files": "bot.sources:FilesKind",
    "mapped": "integrations.mapping",
    "usage_sql": "integrations.usage:SQL",
    "usage_files": "integrations.usage:FILES",
    "hubspot": "integrations.hubspot",
    "stripe": "integrations.stripe_billing",
    "zendesk": "integrations.zendesk",
    "salesforce": "integrations.salesforce",
    "freshdesk": "integrations.freshdesk",
}


def load_kind(kind: str) -> SourceKind:
    spec = KINDS.get(kind)
    if spec is None:
        raise SourceError(f"unknown source kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    module_name, _, attr = spec.partition(":")
    try:
        module: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SourceError(
            f"source kind {kind!r} is not available: {module_name} cannot be imported ({exc}). "
            "Install Tandem with its connector dependencies (pip install -e .)."
        ) from None
    found = getattr(module, attr) if attr else module
    if not all(hasattr(found, a) for a in ("KIND", "Config", "connector")):
        raise SourceError(f"source kind {kind!r}: {spec} does not expose KIND, Config and connector")
    return cast(SourceKind, found)


def _secret_fields(model: type[BaseModel]) -> set[str]:
    return {
        n for n, f in model.model_fields.items() if f.annotation is SecretStr or SecretStr in get_args(f.annotation)
    }


def describe_invalid(kind: str, exc: ValidationError) -> str:
    """Which settings are wrong, without echoing their values (one may be a secret)."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors()]
    return f"invalid {kind} source settings: " + "; ".join(parts)


def _lists_from_text(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """`--set match=map,domain`: a comma-separated text where the setting is a list."""
    fixed = dict(values)
    for name, field in model.model_fields.items():
        if isinstance(fixed.get(name), str) and get_origin(field.annotation) in (list, tuple, set):
            fixed[name] = [part.strip() for part in fixed[name].split(",") if part.strip()]
    return fixed


def validate_config(kind: str, values: dict[str, Any]) -> BaseModel:
    model = load_kind(kind).Config
    try:
        return model.model_validate(_lists_from_text(model, values))
    except ValidationError as exc:
        raise SourceError(describe_invalid(kind, exc)) from None


def stored_config(kind: str, config: BaseModel, box: SecretBox | None) -> dict[str, Any]:
    """The row to store: secrets encrypted under "secrets", paths made absolute (the worker runs elsewhere)."""
    secret_names = _secret_fields(type(config))
    stored: dict[str, Any] = {"kind": kind}
    secrets: dict[str, str] = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if name in secret_names:
            if value is not None:
                if box is None:
                    raise SourceError(f"{kind} source setting {name!r} is a secret: set TANDEM_SECRET_KEYS first")
                secrets[name] = box.encrypt(value.get_secret_value())
        elif isinstance(value, Path):
            stored[name] = str(value.expanduser().resolve())
        else:
            stored[name] = config.model_dump(mode="json", include={name})[name]
    if secrets:
        stored["secrets"] = secrets
    return stored


def shown_config(config: dict[str, Any]) -> dict[str, Any]:
    """A stored configuration for display: secrets as ***."""
    shown = {k: v for k, v in config.items() if k not in ("kind", "secrets")}
    shown.update(dict.fromkeys(config.get("secrets", {}), "***"))
    return shown


def scrubbed(exc: Exception, config: dict[str, Any], settings: Settings) -> str | None:
    """The error's text with the source's secrets masked, or None when it quotes none.

    An SDK's message may quote a credential; none may reach the logs, source health or the terminal."""
    text = str(exc)
    secrets = config.get("secrets") or {}
    if not secrets:
        return None
    try:
        box = SecretBox.from_settings(settings)
        hidden = [v for v in (box.decrypt(t) for t in secrets.values()) if v and v in text]
    except SecretsUnavailable:
        return None  # then the secrets were never decrypted, so the message cannot hold them
    for secret in hidden:
        text = text.replace(secret, "***")
    return f"{type(exc).__name__}: {text}" if hidden else None


def connector_for(
    name: str,
    config: dict[str, Any],
    settings: Settings,
    cursor: dict[str, Any] | None = None,
    full: bool = False,
    accounts: dict[str, str | None] | None = None,
) -> Connector:
    """Build a stored source's connector (decrypting its secrets); SourceError if it cannot be.
    `accounts` (the book's account id -> domain) goes to the kinds whose connector takes it (Zendesk)."""
    kind_name = str(config.get("kind"))
    kind = load_kind(kind_name)
    values = {k: v for k, v in config.items() if k not in ("kind", "secrets")}
    secrets = config.get("secrets") or {}
    if secrets:
        box = SecretBox.from_settings(settings)
        values.update({k: box.decrypt(v) for k, v in secrets.items()})
    checked = validate_config(kind_name, values)
    if accounts is not None and "accounts" in inspect.signature(kind.connector).parameters:
        return kind.connector(name, checked, cursor, full, accounts=accounts)  # type: ignore[call-arg]
    return kind.connector(name, checked, cursor, full)


def remember_source(db: Database, org_slug: str, name: str, config: dict[str, Any]) -> None:
    """Store a source's configuration so the nightly run syncs it too."""
    with db.session() as session:
        org = ensure_org(session, org_slug)
        state = session.scalar(select(SourceState).where(SourceState.org_id == org.id, SourceState.source == name))
        if state is None:
            state = SourceState(org_id=org.id, source=name)
            session.add(state)
        state.config = dict(config)


@dataclass
class StoredSource:
    org_id: int
    name: str
    config: dict[str, Any]
    cursor: dict[str, Any] | None


def stored_source(session: Session, org_slug: str, name: str) -> StoredSource:
    org = get_org(session, org_slug)
    state = session.scalar(select(SourceState).where(SourceState.org_id == org.id, SourceState.source == name))
    if state is None or not (state.config or {}).get("kind"):
        configured = session.scalars(select(SourceState).where(SourceState.org_id == org.id)).all()
        names = ", ".join(s.source for s in configured if (s.config or {}).get("kind")) or "none"
        raise LookupError(f"no source named {name!r} in {org_slug!r} (configured: {names})")
    cursor = json.loads(state.cursor) if state.cursor else None
    return StoredSource(org.id, name, dict(state.config), cursor)


class ConfiguredSource:
    """A stored source, built when loaded (so a missing SDK or a bad key is recorded as the source's
    failure), with its records' accounts matched against the whole book before anything is stored."""

    def __init__(self, db: Database, org_slug: str, stored: StoredSource, settings: Settings, full: bool) -> None:
        self.name = stored.name
        self.db, self.org_slug, self.stored, self.settings, self.full = db, org_slug, stored, settings, full
        self.batch: SourceBatch | StreamedBatch | None = None

    def _open(self) -> tuple[Connector, dict[str, str | None]]:
        cursor = None if self.full else self.stored.cursor
        with self.db.session() as session:
            org_id = get_org(session, self.org_slug).id
            rows = session.execute(select(Account.external_id, Account.domain).where(Account.org_id == org_id))
            book: dict[str, str | None] = {external_id: domain for external_id, domain in rows}
        return connector_for(self.name, self.stored.config, self.settings, cursor, self.full, book), book

    def _scrubbed(self, exc: Exception) -> Exception:
        text = scrubbed(exc, self.stored.config, self.settings)
        return exc if text is None else SourceError(text)

    def load(self) -> SourceBatch:
        try:
            connector, book = self._open()
            batch = connector.load()
        except Exception as exc:
            raise self._scrubbed(exc) from None
        match_accounts(book, batch)
        self.batch = batch
        return batch

    def stream(self) -> StreamedBatch:
        """A streaming kind (files) is matched record by record as the ingest reads it; the others are
        loaded whole, as before, and matched."""
        try:
            connector, book = self._open()
            if not isinstance(connector, StreamingConnector):
                loaded = self.load()
                return StreamedBatch(
                    **{e: getattr(loaded, e) for e in ENTITIES},
                    problems=loaded.problems,
                    complete=loaded.complete,
                    cursor=loaded.cursor,
                )
            batch = match_streamed(book, connector.stream())
        except Exception as exc:
            raise self._scrubbed(exc) from None
        self.batch = batch
        return batch


def sync_source(db: Database, org_slug: str, name: str, settings: Settings, full: bool = False) -> IngestReport:
    """Sync one configured source from its cursor (or in full) and keep the new cursor once the batch is in.
    A failure raises after run_sync has recorded it; the previous data and cursor stay."""
    with db.session() as session:
        stored = stored_source(session, org_slug, name)
    source = ConfiguredSource(db, org_slug, stored, settings, full)
    report = run_sync(db, org_slug, source)
    assert source.batch is not None  # run_sync returned, so load() did
    with db.session() as session:
        org_id = get_org(session, org_slug).id  # scopes the session (row-level security) to the org
        state = session.scalar(select(SourceState).where(SourceState.org_id == org_id, SourceState.source == name))
        if state is not None:
            state.cursor = json.dumps(source.batch.cursor) if source.batch.cursor is not None else None
    return report


# --- Matching records to accounts across sources ---------------------------------------------------------

DOMAIN_PREFIX = "domain:"  # a connector that only knows the customer's domain sets account_id="domain:acme.com"
CHILDREN = ("contacts", "usage", "tickets", "invoices", "notes")


def normalize_domain(value: str) -> str:
    host = value.strip().lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    host = host.rsplit("@", 1)[-1]  # an email address names its domain too
    return host.removeprefix("www.")


class _Matcher:
    """Points records at known accounts: by the account's id (the same external id in every source, e.g.
    the CRM id carried in Stripe metadata) or by "domain:..." against the accounts' domains. `book`: the
    stored accounts (id -> domain); the batch's own accounts are added as they are read."""

    def __init__(self, book: dict[str, str | None], problems: list[Problem]) -> None:
        self.known: set[str] = set()
        self.by_domain: dict[str, set[str]] = {}
        self.problems = problems
        for ext, domain in book.items():
            self.add(ext, domain)

    def add(self, ext: str, domain: str | None) -> None:
        self.known.add(ext)
        if domain:
            self.by_domain.setdefault(normalize_domain(domain), set()).add(ext)

    def accounts(self, records: Iterable[AccountRecord]) -> Iterator[AccountRecord]:
        for record in records:
            self.add(record.account_id, record.domain)
            yield record

    def matched(self, entity: str, records: Iterable[Any]) -> Iterator[Any]:
        """The records that match exactly one account (re-pointed at it); the others become problems."""
        for record in records:
            ref: str = record.account_id
            if ref.startswith(DOMAIN_PREFIX):
                domain = normalize_domain(ref.removeprefix(DOMAIN_PREFIX))
                found = sorted(self.by_domain.get(domain, ()))
                if len(found) != 1:
                    why = "no account has" if not found else f"{len(found)} accounts ({', '.join(found[:3])}) share"
                    reason = f"{why} the domain {domain!r}"
                    self.problems.append(Problem(_where(entity, record), reason, contact_id=_contact_of(record)))
                    continue
                record = record.model_copy(update={"account_id": found[0]})
            elif ref not in self.known:
                reason = f"unknown account {ref!r}"
                self.problems.append(Problem(_where(entity, record), reason, contact_id=_contact_of(record)))
                continue
            yield record


def match_accounts(book: dict[str, str | None], batch: SourceBatch) -> None:
    """Point every record of a loaded batch at a known account (the stored ones plus the batch's own).
    Records that match no account, or a domain shared by several, become problems instead of rows."""
    matcher = _Matcher(book, batch.problems)
    batch.accounts = list(matcher.accounts(batch.accounts))
    for entity in CHILDREN:
        setattr(batch, entity, list(matcher.matched(entity, getattr(batch, entity))))


def match_streamed(book: dict[str, str | None], batch: StreamedBatch) -> StreamedBatch:
    """The same matching, record by record as the batch is read (its accounts are read first)."""
    matcher = _Matcher(book, batch.problems)
    batch.accounts = matcher.accounts(batch.accounts)
    for entity in CHILDREN:
        setattr(batch, entity, matcher.matched(entity, getattr(batch, entity)))
    return batch


def _where(entity: str, record: Any) -> str:
    for id_field in ("contact_id", "ticket_id", "invoice_id", "note_id"):
        if (value := getattr(record, id_field, None)) is not None:
            return f"{entity} {value}"
    return f"{entity} {record.account_id} {getattr(record, 'date', '')}".rstrip()


def _contact_of(record: Any) -> str | None:
    """A contact set aside is still named by its source: it must not be taken for gone."""
    return getattr(record, "contact_id", None)
