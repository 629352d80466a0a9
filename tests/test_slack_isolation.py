"""Through every Slack entry point, a member of another organization sees and changes nothing of ours."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from bot.membership import link_workspace
from bot.models import Account, Feedback, HandoffMessage, Member, Signal
from bot.orgs import ensure_org
from bot.render import actions as act
from tests.slack_harness import SlackEnv, wait_for

OTHER_TEAM, OTHER_USER = "T2", "U-OTHER"


def _other_org(env: SlackEnv) -> None:
    with env.db.session() as session:
        other = ensure_org(session, "other")
        link_workspace(session, other, "slack", OTHER_TEAM)
        session.add(
            Member(org_id=other.id, email="eve@other.example", name="Eve", role="manager", slack_user_id=OTHER_USER)
        )


def test_another_organizations_member_gets_nothing_anywhere(slack_env: SlackEnv) -> None:
    _other_org(slack_env)
    with slack_env.db.session() as session:
        signal = session.scalars(select(Signal)).first()
        assert signal is not None
        signal_id, account_id = signal.id, signal.account_id
    # /account: their organization has no Northwind.
    slack_env.command("/account", "Northwind Logistics", user=OTHER_USER, team=OTHER_TEAM)
    payload = wait_for(lambda: slack_env.responses())[0]
    assert "No account matches" in json.dumps(payload) and "ARR" not in json.dumps(payload)
    # Buttons carrying our ids: a forged value from their workspace.
    value = act.button_value(account_id, [signal_id])
    for action in (act.CHOOSE, act.SNOOZE, act.FEEDBACK_USEFUL):
        slack_env.interact(
            {
                "type": "block_actions",
                "team": {"id": OTHER_TEAM},
                "user": {"id": OTHER_USER},
                "trigger_id": "t",
                "response_url": slack_env.fake.response_url(f"x-{action}"),
                "channel": {"id": "D9"},
                "actions": [
                    {
                        "type": "button",
                        "action_id": act.slack_action_id(action, 0),
                        "value": value,
                        "block_id": "b",
                        "action_ts": "1",
                    }
                ],
            }
        )
    wait_for(lambda: len(slack_env.responses()) >= 4)
    time.sleep(0.3)
    shown = json.dumps(slack_env.responses()[1:])
    assert "Northwind" not in shown and "Acme Robotics" not in shown and "ARR" not in shown
    assert "Snoozed" not in shown
    with slack_env.db.session() as session:
        assert session.get_one(Signal, signal_id).snoozed_until is None
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
    # A reply event in one of our handoff threads, from their workspace.
    slack_env.command("/handoff", "Northwind Logistics: please call them")
    channel, root = wait_for(lambda: len(slack_env.threads()) == 2 and slack_env.threads())[0]
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": OTHER_USER,
        "text": "hijack",
        "ts": "1900000000.1",
        "thread_ts": root,
    }
    assert slack_env.event(event, "EvX", team=OTHER_TEAM).status_code == 200
    time.sleep(0.5)
    with slack_env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Account).where(Account.name == "hijack")) == 0
