"""`tandem sources add/list/test/remove` and `tandem sync --source NAME`: the configured sources.

Secrets given here are encrypted before they are stored and are never printed: `list` shows them as ***.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy import select

from bot import reports
from bot.cli_common import DATABASE_GONE, OrgOpt, database_gone, fail, open_db, org_slug, out
from bot.crypto import SecretBox, SecretsUnavailable
from bot.models import Organization, SourceState
from bot.orgs import ensure_org, get_org
from bot.settings import get_settings
from bot.sources import (
    KINDS,
    connector_for,
    scrubbed,
    shown_config,
    stored_config,
    stored_source,
    sync_source,
    validate_config,
)
from integrations.base import SourceError

sources_app = typer.Typer(
    help="Configure the sources Tandem syncs: CRM, support, billing, product usage, your own exports.",
    no_args_is_help=True,
)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def parse_settings(pairs: list[str], config_file: Path | None) -> dict[str, Any]:
    """--config file (YAML or JSON) first, then each --set key=value over it (a.b=c sets {"a": {"b": "c"}})."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise fail(f"{config_file}: cannot be read as YAML or JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise fail(f"{config_file}: expected a mapping of settings")
        values.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--set {pair.split('=')[0]!r}: expected key=value")
        *parents, last = key.strip().split(".")
        target = values
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return values


@sources_app.command("add")
def add(
    kind: Annotated[str, typer.Argument(help=f"The kind of source: {', '.join(KINDS)}.")],
    name: Annotated[str, typer.Argument(help="A name for it (lowercase, e.g. crm, usage, ravenstack).")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="A setting, key=value (repeat it; a.b=c for nested).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Settings from a YAML or JSON file.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a source of that name (and its cursor).")] = False,
    org: OrgOpt = None,
) -> None:
    """Configure a source: its settings are checked, its secrets encrypted, and the nightly run syncs it."""
    if not NAME.match(name):
        raise fail(f"{name!r}: a source name is lowercase letters, digits, - and _ (up to 64)")
    values = parse_settings(set_ or [], config)
    settings = get_settings()
    try:
        checked = validate_config(kind, values)
        box = SecretBox.from_settings(settings) if settings.secret_keys else None
        row = stored_config(kind, checked, box)
    except (SourceError, SecretsUnavailable) as exc:
        raise fail(str(exc)) from None
    with open_db().session() as session:
        org_row = ensure_org(session, org_slug(org), timezone=settings.timezone)
        state = session.scalar(select(SourceState).where(SourceState.org_id == org_row.id, SourceState.source == name))
        if state is not None and (state.config or {}).get("kind") and not replace:
            raise fail(f"a source named {name!r} exists: `tandem sources remove {name}` first, or --replace")
        if state is None:
            state = SourceState(org_id=org_row.id, source=name)
            session.add(state)
        state.config, state.cursor = row, None
    out.print(f"Source {name!r} ({kind}) added. Check it with `tandem sources test {name}`, ", end="")
    out.print(f"then `tandem sync --source {name}`; the nightly run syncs it from now on.")


@sources_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    org: OrgOpt = None,
) -> None:
    """The configured sources, their settings (secrets as ***), cursors and last outcomes."""
    with open_db().session() as session:
        try:
            org_id = get_org(session, org_slug(org)).id
        except LookupError as exc:
            raise fail(str(exc)) from None
        states = session.scalars(select(SourceState).where(SourceState.org_id == org_id).order_by(SourceState.source))
        rows: list[dict[str, Any]] = [
            {
                "name": s.source,
                "kind": s.config.get("kind"),
                "settings": shown_config(s.config),
                "cursor": json.loads(s.cursor) if s.cursor else None,
                "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
                "last_error": s.last_error,
            }
            for s in states
            if (s.config or {}).get("kind")
        ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("No source configured: add one with `tandem sources add KIND NAME --set key=value ...`.")
        return
    for row in rows:  # one block per source: paths and queries are too long for a table's cells
        out.print(f"[bold]{row['name']}[/] ({row['kind']})")
        for key, value in row["settings"].items():
            out.print(f"  {key}: {value}", markup=False)
        out.print(f"  cursor: {json.dumps(row['cursor']) if row['cursor'] else '-'}", markup=False)
        out.print(f"  last success: {row['last_success_at'] or 'never'}", markup=False)
        if row["last_error"]:
            out.print(f"  last error: {row['last_error']}", style="yellow", markup=False)


@sources_app.command("test")
def test(name: Annotated[str, typer.Argument(help="The source's name.")], org: OrgOpt = None) -> None:
    """Connect to the source and read it without storing anything."""
    settings = get_settings()
    with open_db().session() as session:
        try:
            stored = stored_source(session, org_slug(org), name)
        except LookupError as exc:
            raise fail(str(exc)) from None
    try:
        connector = connector_for(name, stored.config, settings, stored.cursor)
        tester = getattr(connector, "test", None)
        if tester is not None:
            message = str(tester())
        else:
            batch = connector.load()
            read = ", ".join(f"{n} {k}" for k, n in batch.counts().items() if n) or "nothing"
            message = f"read {read}; {len(batch.problems)} problem(s)"
    except Exception as exc:
        text = scrubbed(exc, stored.config, settings) or f"{exc}"
        raise fail(f"source {name!r} does not work: {text}") from None
    out.print(f"Source {name!r} works: {message}")


@sources_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The source's name.")], org: OrgOpt = None) -> None:
    """Forget a source: its settings, secrets, cursor and health. The records it brought in stay."""
    with open_db().session() as session:
        try:
            stored = stored_source(session, org_slug(org), name)
        except LookupError as exc:
            raise fail(str(exc)) from None
        state = session.scalars(
            select(SourceState).where(SourceState.org_id == stored.org_id, SourceState.source == name)
        ).one()
        session.delete(state)
    out.print(f"Source {name!r} removed; the records it brought in stay.")


def is_configured(org_slug: str, name: str) -> bool:
    with open_db().session() as session:
        org = session.scalar(select(Organization).where(Organization.slug == org_slug))
        if org is None:
            return False
        try:
            stored_source(session, org_slug, name)
        except LookupError:
            return False
    return True


def sync_configured(name: str, org_slug: str, full: bool, problems: Path | None = None) -> None:
    """`tandem sync --source NAME`: from the stored cursor (or everything, with --full)."""
    try:
        report = sync_source(open_db(), org_slug, name, get_settings(), full=full)
    except LookupError as exc:
        raise fail(str(exc)) from None
    except (SourceError, SecretsUnavailable) as exc:
        raise fail(f"{exc}. Nothing was changed: the previous data stays (see `tandem status`).") from None
    except DATABASE_GONE as exc:
        raise database_gone(exc) from None
    except Exception as exc:  # an SDK's own error: already recorded as the source's health by run_sync
        raise fail(f"{type(exc).__name__}: {exc}. Nothing was changed (see `tandem status`).") from None
    reports.print_sync(out, report, problems)
