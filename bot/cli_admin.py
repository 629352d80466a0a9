"""`tandem org ...`, `tandem person erase` and `tandem keys rotate`: the data-protection commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import audit
from bot.cli_common import err, fail, open_db, out
from bot.crypto import SecretBox, SecretsUnavailable
from bot.erasure import erase_person
from bot.gdpr import delete_org, export_org
from bot.key_rotation import StoredSecret, rotate_all, secret_status
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
    out.print(f"Not reached: {report.unreachable}.")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of TANDEM_SECRET_KEYS, in every organization."""
    try:
        box = SecretBox.from_settings(get_settings())
    except SecretsUnavailable as exc:
        raise fail(str(exc)) from None
    report = rotate_all(open_db(), box)
    behind = report.not_on_newest
    if behind:
        for secret in behind:
            err.print(f"  {_describe(secret)}", markup=False)
        raise fail(
            f"{len(behind)} stored secret(s) are not under the newest key (listed above): keep the old key(s) "
            "in TANDEM_SECRET_KEYS until they are re-saved or removed."
        )
    out.print(f"Re-encrypted {report.rotated} stored secret(s) with the newest key; all {len(report.secrets)} use it.")


@keys_app.command("status")
def keys_status() -> None:
    """Which key of TANDEM_SECRET_KEYS each stored secret is under (key 1 is the first, the newest)."""
    try:
        box = SecretBox.from_settings(get_settings())
    except SecretsUnavailable as exc:
        raise fail(str(exc)) from None
    secrets = secret_status(open_db(), box)
    for secret in secrets:
        out.print(_describe(secret), markup=False)
    behind = sum(1 for s in secrets if s.key != 0)
    out.print(f"{len(secrets)} stored secret(s); {behind} not under the newest key.")
    if any(s.key is None for s in secrets):
        raise typer.Exit(code=1)


def _describe(secret: StoredSecret) -> str:
    key = "no configured key opens it" if secret.key is None else f"key {secret.key + 1}"
    return f"{secret.org or '(all organizations)'} | {secret.where} | {key}"
