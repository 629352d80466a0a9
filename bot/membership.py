"""Who is asking: a chat user maps to an active member of the organization linked to their workspace.

Every chat request passes here before any query on the book: a user of a workspace that is not linked,
or who is not an active member, sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ChatLink, Member, Organization
from bot.tenancy import scope_session


class NotAMember(PermissionError):
    """The acting user may not see this organization's data."""


@dataclass(frozen=True)
class Actor:
    org: Organization
    member: Member


def link_workspace(session: Session, org: Organization, platform: str, external_id: str) -> ChatLink:
    link = session.scalar(select(ChatLink).where(ChatLink.platform == platform, ChatLink.external_id == external_id))
    if link is None:
        link = ChatLink(org_id=org.id, platform=platform, external_id=external_id)
        session.add(link)
        session.flush()
    elif link.org_id != org.id:
        raise ValueError(f"{platform} workspace {external_id} is already linked to another organization")
    return link


def resolve_actor(
    session: Session, platform: str, workspace_id: str | None, user_id: str, default_org: str | None = None
) -> Actor:
    """The organization of the workspace, and the member behind the chat user id.

    `default_org` serves single-workspace deployments (one bot token, no link rows yet).
    """
    org: Organization | None = None
    if workspace_id:
        link = session.scalar(
            select(ChatLink).where(ChatLink.platform == platform, ChatLink.external_id == workspace_id)
        )
        if link is not None:
            org = session.get(Organization, link.org_id)
    if org is None and default_org is not None:
        org = session.scalar(select(Organization).where(Organization.slug == default_org))
    if org is None:
        raise NotAMember("this workspace is not linked to a Tandem organization")
    scope_session(session, org.id)
    column = Member.slack_user_id if platform == "slack" else Member.teams_user_id
    member = session.scalar(select(Member).where(Member.org_id == org.id, column == user_id, Member.active.is_(True)))
    if member is None:
        raise NotAMember("you are not an active member of this Tandem organization")
    return Actor(org, member)
