"""Chat platforms: which workspace or tenant belongs to which organization, installs, and references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow


class ChatLink(OrgOwned, Base):
    """A Slack workspace (team id) or a Teams tenant mapped to exactly one organization."""

    __tablename__ = "chat_links"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))  # slack | teams
    external_id: Mapped[str] = mapped_column(String(200))  # Slack team_id / enterprise_id, Teams tenant id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatInstallation(Base):
    """An OAuth installation of the Slack app. The installation (tokens included) is stored encrypted;
    organization comes from the ChatLink, since an install happens before anyone maps it."""

    __tablename__ = "chat_installations"
    __table_args__ = (UniqueConstraint("platform", "enterprise_id", "team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), default="slack")
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(64), default="")  # "" for the bot installation
    encrypted: Mapped[str] = mapped_column(Text)  # Fernet token of the installation's JSON
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationRef(OrgOwned, Base):
    """A Teams conversation reference, stored on install or first message, for proactive messages."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("org_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reachable: Mapped[bool] = mapped_column(default=True)  # False once the user removed the bot
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(OrgOwned, Base):
    """Who did what (looked up an account, changed a setting, exported, deleted); never personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(320))  # member email, "admin-api", "cli"
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(300), default="")  # e.g. "account:ACC-001"
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
