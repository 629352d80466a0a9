"""Organizations and the people who receive Tandem's messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow

ROLES = ("am", "csm", "manager")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Per-organization overrides of scoring thresholds and other settings (validated on load).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(OrgOwned, Base):
    """An AM, CSM or manager: who gets a digest, where and when."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    slack_user_id: Mapped[str | None] = mapped_column(String(64))
    teams_user_id: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    digest_time: Mapped[str] = mapped_column(String(5), default="08:30")
    digest_budget: Mapped[int] = mapped_column(default=5)
    # Where the digest goes when not a DM (a Slack channel id, for example).
    digest_channel: Mapped[str | None] = mapped_column(String(200))
    # Signal kinds the member chose not to see in their digest (critical items still show).
    muted_kinds: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    # Weekdays the digest goes out ("mon", ...); None: the locale's working week (bot.working_days).
    working_days: Mapped[list[Any] | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
