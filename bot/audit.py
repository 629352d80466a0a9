"""The audit log: who looked up which account, who changed what, exports and deletions.

Entries name people by their member email (they are Tandem's users, not the customer's contacts) and
things by id; they never carry the content of personal data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.models import AuditEntry

SAFE_DETAIL_TYPES = (int, float, bool)


def record(session: Session, org_id: int, actor: str, action: str, target: str = "", **details: Any) -> None:
    # Only numbers, flags and short identifiers pass: free text could carry someone's personal data.
    safe = {
        k: v
        for k, v in details.items()
        if isinstance(v, SAFE_DETAIL_TYPES) or (isinstance(v, str) and len(v) <= 64 and "@" not in v)
    }
    session.add(AuditEntry(org_id=org_id, actor=actor[:320], action=action[:64], target=target[:300], details=safe))
