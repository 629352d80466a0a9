"""Every table of Tandem. Import from here so the metadata is always complete."""

from bot.models.answers import StoredAnswer
from bot.models.base import Base, OrgOwned, utcnow
from bot.models.book import Account, Contact, Invoice, Note, Ticket, UsageDay
from bot.models.chat import AuditEntry, ChatInstallation, ChatLink, ConversationRef
from bot.models.history import ArrChange
from bot.models.messages import Alert, Delivery, Digest, Feedback, Handoff, HandoffMessage, HandoffThread, PlannedDigest
from bot.models.org import ROLES, Member, Organization
from bot.models.signals import HealthScore, ModelText, Signal
from bot.models.sync import ChangeEvent, JobRun, SourceState, SyncRun

__all__ = [
    "ROLES",
    "Account",
    "Alert",
    "ArrChange",
    "AuditEntry",
    "Base",
    "ChangeEvent",
    "ChatInstallation",
    "ChatLink",
    "Contact",
    "ConversationRef",
    "Delivery",
    "Digest",
    "Feedback",
    "Handoff",
    "HandoffMessage",
    "HandoffThread",
    "HealthScore",
    "Invoice",
    "JobRun",
    "Member",
    "ModelText",
    "Note",
    "OrgOwned",
    "Organization",
    "PlannedDigest",
    "Signal",
    "SourceState",
    "StoredAnswer",
    "SyncRun",
    "Ticket",
    "UsageDay",
    "utcnow",
]
