"""Through every Teams entry point, a member of another organization (another tenant) sees and changes
nothing of ours: typed commands, forged card actions carrying our ids, handoff buttons and replies."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.membership import link_workspace
from bot.models import Account, Feedback, Handoff, HandoffMessage, Member, Signal
from bot.orgs import ensure_org
from bot.render import actions as act
from tests.test_teams_bot import CHLOE, BotEnv, account_id, env, send, submit, text_of  # noqa: F401 (fixture)

EVE, OTHER_TENANT = "29:eve-other", "tenant-2"


def _other_org(env: BotEnv) -> None:  # noqa: F811
    with env.db.session() as session:
        other = ensure_org(session, "other")
        link_workspace(session, other, "teams", OTHER_TENANT)
        session.add(Member(org_id=other.id, email="eve@other.example", name="Eve", role="manager", teams_user_id=EVE))


async def test_another_organizations_member_gets_nothing_anywhere(env: BotEnv) -> None:  # noqa: F811
    _other_org(env)
    with env.db.session() as session:
        signal = session.scalars(select(Signal).join(Account).where(Account.csm_email == CHLOE)).first()
        assert signal is not None
        signal_id, northwind = signal.id, signal.account_id
        handoff = Handoff(
            org_id=env.org_id,
            account_id=northwind,
            from_member_id=session.scalars(select(Member.id).where(Member.email == CHLOE)).one(),
            to_member_id=session.scalars(select(Member.id).where(Member.role == "am")).first(),
            note="Ours only",
        )
        session.add(handoff)
        session.flush()
        handoff_id = handoff.id

    adapter = env.adapter(user=EVE)
    adapter.template.conversation.tenant_id = OTHER_TENANT
    adapter.template.channel_data = {"tenant": {"id": OTHER_TENANT}}
    shown = ""
    shown += text_of(await send(adapter, "account Northwind Logistics"))
    for data in (
        {"action": act.CHOOSE, "account_id": northwind},
        act.submit_data(act.OPEN_ACCOUNT, northwind, []),
        act.submit_data(act.HANDOFF, northwind, []),
        act.submit_data(act.SNOOZE, northwind, [signal_id]),
        act.submit_data(act.DONE, northwind, [signal_id]),
        act.submit_data(act.FEEDBACK_USEFUL, northwind, [signal_id]),
        {"action": act.HANDOFF_DONE, "handoff_id": handoff_id},
    ):
        shown += text_of(await send(adapter, submit(data)))
    shown += text_of(await send(adapter, "handoff Northwind Logistics: take it"))
    shown += text_of(await send(adapter, "a reply meant for their handoff"))

    assert "No account matches" in shown
    # Only the words they typed come back ("No account matches “Northwind Logistics”"), none of our facts.
    shown = shown.replace("“Northwind Logistics”", "").replace("**Northwind Logistics**", "")
    for ours in ("Northwind", "ARR", "Alice Martin", "Chloé", "Snoozed", "Marked as done", "Handed off"):
        assert ours not in shown
    with env.db.session() as session:
        assert session.get_one(Signal, signal_id).snoozed_until is None
        assert session.get_one(Signal, signal_id).handled_at is None
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
        assert session.get_one(Handoff, handoff_id).status == "open"
        assert session.scalar(select(func.count()).select_from(Handoff)) == 1
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 0
    assert env.channels["slack"].sent == [] and env.channels["teams"].sent == []
