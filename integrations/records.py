"""The normalized records of the data contract (../shared/DATA_CONTRACT.md), validated by pydantic.

Every connector (files, CRM, support, billing, usage) produces these; storage and scoring see nothing else.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else value


# What the storage columns hold (PostgreSQL's integer is 4 bytes, money is NUMERIC(16, 2)): a value beyond
# them is a row error here, not an overflow that aborts the whole sync when it is stored.
INT4_MAX = 2**31 - 1
MONEY_LIMIT = Decimal(10) ** 14

Opt = BeforeValidator(_blank_to_none)
Text = Annotated[str | None, Opt]
Email = Annotated[Annotated[str, Field(max_length=320)] | None, Opt, AfterValidator(_lower)]
Id = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1, max_length=200)]
Timestamp = Annotated[datetime, AfterValidator(_as_utc)]
OptTimestamp = Annotated[datetime | None, Opt, AfterValidator(_as_utc)]
OptDate = Annotated[date | None, Opt]
Count = Annotated[Annotated[int, Field(ge=0, le=INT4_MAX)] | None, Opt]
Money = Annotated[Annotated[Decimal, Field(gt=-MONEY_LIMIT, lt=MONEY_LIMIT)] | None, Opt]


# Optional texts that fit their String(n) columns.
Text64 = Annotated[Annotated[str, Field(max_length=64)] | None, Opt]
Text100 = Annotated[Annotated[str, Field(max_length=100)] | None, Opt]
Text200 = Annotated[Annotated[str, Field(max_length=200)] | None, Opt]
Text300 = Annotated[Annotated[str, Field(max_length=300)] | None, Opt]
Text1000 = Annotated[Annotated[str, Field(max_length=1000)] | None, Opt]


Currency = Annotated[Annotated[str, Field(max_length=8)] | None, Opt, AfterValidator(lambda v: v.upper() if v else v)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


def _country(v: str | None) -> str | None:
    if v is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", v):
        raise ValueError("country must be a two-letter ISO 3166 code like DE or AU")
    return v.upper()


class AccountRecord(Record):
    account_id: Id
    name: Annotated[str, Opt, Field(min_length=1, max_length=300)]
    domain: Annotated[Annotated[str, Field(max_length=300)] | None, Opt, AfterValidator(_lower)] = None
    am_email: Email = None
    csm_email: Email = None
    arr: Annotated[Annotated[Decimal, Field(ge=0, lt=MONEY_LIMIT)] | None, Opt] = None
    currency: Currency = None
    plan: Text100 = None
    seats_purchased: Count = None
    contract_start: OptDate = None
    renewal_date: OptDate = None
    segment: Text100 = None
    crm_url: Text1000 = None
    # ISO 3166 alpha-2 ("DE", "au"): the public holidays usage is read against.
    country: Annotated[str | None, Opt, AfterValidator(_country)] = None


ContactRole = Literal["decision_maker", "champion", "influencer", "user", "detractor"]


class ContactRecord(Record):
    contact_id: Id
    account_id: Id
    name: Text300 = None
    email: Email = None
    phone: Text64 = None
    title: Text300 = None
    role: Annotated[ContactRole | None, Opt, BeforeValidator(_lower)] = None
    is_key: Annotated[bool, BeforeValidator(lambda v: False if _blank_to_none(v) is None else v)] = False
    status: Annotated[Literal["active", "left"], BeforeValidator(lambda v: (_blank_to_none(v) or "active").lower())] = (
        "active"
    )
    updated_at: OptTimestamp = None

    @property
    def is_key_stakeholder(self) -> bool:
        return self.is_key or self.role in ("decision_maker", "champion")


class UsageRecord(Record):
    account_id: Id
    date: date
    active_users: Count = None
    seats_used: Count = None
    events: Count = None


class TicketRecord(Record):
    ticket_id: Id
    account_id: Id
    opened_at: Timestamp
    closed_at: OptTimestamp = None
    priority: Annotated[Literal["low", "normal", "high", "urgent"] | None, Opt, BeforeValidator(_lower)] = None
    status: Annotated[Literal["open", "pending", "solved", "closed"] | None, Opt, BeforeValidator(_lower)] = None
    subject: Text = None
    body: Text = None
    csat: Annotated[Annotated[int, Field(ge=1, le=5)] | None, Opt] = None


class InvoiceRecord(Record):
    invoice_id: Id
    account_id: Id
    issued_at: OptDate = None
    due_at: OptDate = None
    paid_at: OptDate = None
    amount: Money = None
    currency: Currency = None
    status: Annotated[Literal["paid", "open", "overdue", "failed", "void"] | None, Opt, BeforeValidator(_lower)] = None


class NoteRecord(Record):
    note_id: Id
    account_id: Id
    created_at: Timestamp
    author_email: Email = None
    body: Text = None


ContractKind = Literal["new", "renewal", "expansion", "contraction", "churn"]


class ContractRecord(Record):
    """One term of a contract or subscription, as a CRM opportunity or billing subscription export gives it:
    history from before Tandem was connected. `arr` is the account's whole ARR from start_date on (not the
    change); a churn row means the ARR is 0 from start_date on, whatever its arr says (often the ARR lost).
    end_date is when the term is due for renewal."""

    account_id: Id
    start_date: date
    arr: Annotated[Decimal, Field(ge=0, lt=MONEY_LIMIT)]
    end_date: OptDate = None
    kind: Annotated[
        ContractKind,
        Field(validation_alias=AliasChoices("kind", "status", "type")),
        BeforeValidator(lambda v: (_blank_to_none(v) or "renewal").lower() if isinstance(v, str) or v is None else v),
    ] = "renewal"
    contract_id: Annotated[str | None, Opt, Field(max_length=200)] = None

    @property
    def key(self) -> str:
        """The contract's id, or what identifies the term when the export has none."""
        return self.contract_id or f"{self.account_id}:{self.start_date.isoformat()}:{self.kind}"


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TeamMemberRecord(Record):
    email: Annotated[str, BeforeValidator(_blank_to_none), AfterValidator(str.lower), Field(min_length=3)]
    name: Text200 = None
    role: Annotated[Literal["am", "csm", "manager"], BeforeValidator(lambda v: (_blank_to_none(v) or v).lower())]
    slack_user_id: Text64 = None
    teams_user_id: Text200 = None
    timezone: Text64 = None
    digest_time: Text = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (expected an IANA name like Europe/Paris)") from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None and not _HHMM.match(value):
            raise ValueError(f"digest_time {value!r} is not HH:MM")
        return value
