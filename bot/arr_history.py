"""Writing ARR history: what a sync saw change (and first saw), and the terms of a contracts export.

Called from the ingest with plain values, so the ingest's write path can change (bulk upserts) without
touching this: hand it each synced account's values before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ArrChange
from integrations.records import ContractRecord


@dataclass(frozen=True)
class ArrSighting:
    """One synced account's ARR and renewal date as the sync left them, and as they were before it
    (None: the account is new to Tandem)."""

    account_id: int
    arr: Decimal | None
    renewal_date: date | None
    before: tuple[Decimal | None, date | None] | None


def record_arr_sightings(
    session: Session, org_id: int, sync_run_id: int, source: str, day: date, sightings: Iterable[ArrSighting]
) -> int:
    """Add a history row for each account whose ARR or renewal date changed, and for each account that has
    no history yet (its first sight, even when the account was synced before history was kept)."""
    sightings = [s for s in sightings if s.arr is not None or s.renewal_date is not None]
    if not sightings:
        return 0
    # The organization's whole set, not an IN list of every synced id: one cheap query at any book size.
    known = set(session.scalars(select(ArrChange.account_id).where(ArrChange.org_id == org_id).distinct()))
    added = 0
    for s in sightings:
        first = s.account_id not in known
        if not first and s.before is not None and s.before == (s.arr, s.renewal_date):
            continue
        session.add(
            ArrChange(
                org_id=org_id,
                account_id=s.account_id,
                effective_on=day,
                arr=s.arr,
                renewal_date=s.renewal_date,
                kind="first_seen" if first else "change",
                origin="sync",
                external_id=f"{source}:{s.account_id}:{sync_run_id}",
                sync_run_id=sync_run_id,
            )
        )
        added += 1
    return added


def record_contracts(
    session: Session, org_id: int, contracts: Iterable[ContractRecord], accounts: dict[str, int]
) -> int:
    """Store each contract term once (by its id); a term read again with other values replaces it."""
    contracts = list(contracts)
    if not contracts:
        return 0
    existing = {
        row.external_id: row
        for row in session.scalars(select(ArrChange).where(ArrChange.org_id == org_id, ArrChange.origin == "contracts"))
    }
    changed = 0
    for rec in contracts:
        values = {
            "account_id": accounts[rec.account_id],
            "effective_on": rec.start_date,
            "arr": Decimal(0) if rec.kind == "churn" else rec.arr,
            "renewal_date": rec.end_date,
            "kind": rec.kind,
        }
        row = existing.get(rec.key)
        if row is None:
            row = ArrChange(org_id=org_id, origin="contracts", external_id=rec.key, **values)
            session.add(row)
            existing[rec.key] = row
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    return changed
