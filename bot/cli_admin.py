"""`tandem org ...`, `tandem person erase` and `tandem keys rotate`: the data-protection commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.cli_common import fail, open_db, out
from bot.crypto import SecretBox, SecretsUnavailable
from bot.erasure import erase_person
from bot.gdpr import delete_org, export_org
from bot.models import ChatInstallation, SourceState
from bot.orgs import get_org
from bot.settings import get_settings

org_app = typer.Typer(help="Export or delete an organization's data.", no_args_is_help=True)
person_app = typer.Typer(help="Erase one person's personal data.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys of stored secrets.", no_args_is_help=True)


@org_app.command("export")
def org_export(
    org: Annotated[str, typer.Argument(help="Organization slug.")],
    out_file: Annotated[Path, typer.Option("--out", help="Zip file to write.")],
) -> None:
    """Write all of an organization's data as JSON (one file per table) and a manifest, in a zip."""
    with open_db().session() as session:
        try:
            organization = get_org(session, org)
        except LookupError as exc:
            raise fail(str(exc)) from None
        counts = export_org(session, organization, out_file)
        audit.record(session, organization.id, "cli", "org.export", f"org:{org}", rows=sum(counts.values()))
    out.print(f"Exported {sum(counts.values())} rows from {len(counts)} tables to {out_file}")


@org_app.command("delete")
def org_delete(
    org: Annotated[str, typer.Argument(help="Organization slug.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove every row of an organization. This cannot be undone: export first."""
    if not yes and not typer.confirm(f"Delete ALL data of organization {org!r}?"):
        raise typer.Exit(code=1)
    with open_db().session() as session:
        try:
            organization = get_org(session, org)
        except LookupError as exc:
            raise fail(str(exc)) from None
        counts = delete_org(session, organization)
    out.print(f"Deleted organization {org!r}: {sum(counts.values())} rows.")


@person_app.command("erase")
def person_erase(
    email: Annotated[str, typer.Option("--email", help="The person's email address.")],
    org: Annotated[str | None, typer.Option("--org", help="Organization slug.")] = None,
) -> None:
    """Erase a person (contact or member) everywhere: their record, and every text or message naming them."""
    with open_db().session() as session:
        try:
            organization = get_org(session, org or get_settings().org)
        except LookupError as exc:
            raise fail(str(exc)) from None
        report = erase_person(session, organization, email)
        audit.record(
            session,
            organization.id,
            "cli",
            "person.erase",
            "person",
            contacts=report.contacts,
            members=report.members,
            texts=report.texts,
        )
    out.print(f"Erased: {report.contacts} contact(s), {report.members} member(s), {report.texts} text(s) redacted.")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of TANDEM_SECRET_KEYS."""
    try:
        box = SecretBox.from_settings(get_settings())
        with open_db().session() as session:
            count = 0
            for row in session.scalars(select(ChatInstallation)):
                row.encrypted = box.rotate(row.encrypted)
                count += 1
            count += rotate_source_secrets(session, box)
    except SecretsUnavailable as exc:
        raise fail(str(exc)) from None
    out.print(f"Re-encrypted {count} stored secret(s) with the newest key.")


def rotate_source_secrets(session: Session, box: SecretBox) -> int:
    """Connector credentials (source_states.config["secrets"], each a Fernet token) rotate with them."""
    count = 0
    for state in session.scalars(select(SourceState)):
        config = dict(state.config or {})
        secrets = dict(config.get("secrets", {}))
        if not secrets:
            continue
        config["secrets"] = {k: box.rotate(v) for k, v in secrets.items()}
        state.config = config
        count += len(secrets)
    return count
