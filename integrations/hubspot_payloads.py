"""Reading HubSpot's payloads: associations, paging cursors, dates and numbers as its APIs write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from integrations.files import describe_error


def associated(obj: dict[str, Any], kind: str) -> list[str]:
    return [str(a["id"]) for a in (obj.get("associations") or {}).get(kind, {}).get("results", [])]


def next_after(page: dict[str, Any]) -> str | None:
    return ((page.get("paging") or {}).get("next") or {}).get("after")


def parse_when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def whole_number(value: str | None) -> int | None:
    return int(float(value)) if value not in (None, "") else None


def epoch_ms(value: str | None) -> int:
    """A modified-date property as epoch milliseconds (the search API returns ISO strings)."""
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def reason_of(exc: Exception) -> str:
    return describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
