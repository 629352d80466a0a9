"""Views Slack shows around the conversation: App Home, the handoff modal, "What did the model see?"."""

from __future__ import annotations

from typing import Any

from bot import audit, working_days
from bot.account_view import build_account_answer
from bot.chat_requests import model_input_as, today_for
from bot.digest import member_accounts
from bot.handoff_draft import prefill
from bot.handoffs import HandoffDraft
from bot.portfolio import member_portfolio
from bot.render import actions as act
from bot.render import format as fmt
from bot.render.blocks_chat import home_view, model_input_blocks
from bot.render.portfolio import portfolio_blocks
from bot.reports import account_rows
from bot.slack import modal, settings_modal
from bot.slack.flows import SlackFlows, Who


def home_for(flows: SlackFlows, who: Who) -> dict[str, Any]:
    """The member's book at a glance and their digest settings."""
    with flows.acting(who) as (session, actor):
        member = actor.member
        own = {a.external_id for a in member_accounts(session, actor.org.id, member)}
        rows = [r for r in account_rows(session, actor.org.id) if r["id"] in own]
        rows.sort(key=lambda r: (-len(r["signals"]), r["health"] if r["health"] is not None else 101))
        muted = ", ".join(k.replace("_", " ") for k in member.muted_kinds or []) or "none"
        settings = {
            "Digest time": f"{member.digest_time} ({member.timezone or actor.org.timezone})",
            "Working days": working_days.describe(working_days.of_member(member.working_days, member.timezone)),
            "Digest goes to": f"channel {member.digest_channel}" if member.digest_channel else "a DM from Tandem",
            "Items per digest": str(member.digest_budget),
            "Signals left out (critical ones always show)": muted,
        }
        today = today_for(actor)
        indicators = portfolio_blocks(member_portfolio(session, actor.org, member, today))
        return home_view(member.name or member.email, rows, settings, today, indicators)


def handoff_modal_for(flows: SlackFlows, who: Who, account_id: int | None, note: str) -> dict[str, Any]:
    """The handoff modal, prefilled from the account's signals (or from the message a shortcut was used on)."""
    with flows.acting(who) as (session, actor):
        accounts = [(a.id, a.name) for a in member_accounts(session, actor.org.id, actor.member)]
        draft = HandoffDraft(note=note)
        if account_id is not None:
            answer = build_account_answer(session, actor.org.id, account_id, today_for(actor))
            accounts.append((answer.account_id, answer.name))
            draft = prefill(answer, actor.member.role, today_for(actor))
        return modal.handoff_view(accounts, account_id, draft)


def model_input_reply(flows: SlackFlows, who: Who, value: str) -> tuple[str, list[dict[str, Any]]]:
    """Exactly what the model was sent for a text (masked): (fallback text, blocks holding all of it)."""
    text_id = act.parse_ref_value(value, "m")
    with flows.acting(who) as (session, actor):
        view = model_input_as(session, actor, text_id)
    if not view.masked_input:
        return view.heading, []
    return fmt.clip(f"{view.heading}\n{view.masked_input}", 3000), model_input_blocks(view.heading, view.masked_input)


def settings_modal_for(flows: SlackFlows, who: Who) -> dict[str, Any]:
    with flows.acting(who) as (_, actor):
        return settings_modal.settings_view(actor.member)


def save_settings(flows: SlackFlows, who: Who, change: settings_modal.SettingsChange) -> None:
    with flows.acting(who) as (session, actor):
        settings_modal.apply(actor.member, change)
        audit.record(session, actor.org.id, actor.member.email, "settings.update", f"member:{actor.member.id}")
