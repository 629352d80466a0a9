"""Teams Adaptive Cards 1.5 for conversations: the `account` answer, the chooser, help, no match, handoff form.

The same facts and actions as the Slack blocks in `blocks_chat.py`. Every piece of data goes through
`plain()`. Buttons are `Action.Submit`; their `data` is one of the shapes below, read back by
`parse_chat_submit` (chat actions) or `actions.parse_submit_data` (digest item actions).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.handoffs import HandoffDraft
from bot.render import actions as act
from bot.render import escape as esc
from bot.render import format as fmt
from bot.render.cards import CARD_BUDGET, Element, card, fact_set, lines, open_action, plain, submit, text_block
from bot.render.facts import account_facts
from bot.render.validate import card_size
from bot.views import AccountAnswer, AccountChooser, HandoffSummary

# Teams has no modal like Slack's: "Hand off" answers with a small form card, submitted with this action.
HANDOFF_SUBMIT = "handoff_submit"
NOTE_INPUT = "note"
TOPIC_INPUT = "topic"
PROMISES_INPUT = "promises"
NEXT_STEP_INPUT = "next_step"
DUE_INPUT = "due"
CHOICE_INPUT = "account_id"  # the chooser's choice set: Teams merges its value (a string) into the data
FORM_INPUTS = (NOTE_INPUT, TOPIC_INPUT, PROMISES_INPUT, NEXT_STEP_INPUT, DUE_INPUT)
MAX_CHOICES = 5
MAX_STAKEHOLDERS = 6
MAX_SIGNALS = 5
CHAT_SUBMIT_ACTIONS = (act.CHOOSE, act.HANDOFF_ACK, act.HANDOFF_DONE, act.MODEL_INPUT, HANDOFF_SUBMIT)

HELP_LINES = (
    "**Tandem**: the shared read of every account.",
    "• **account <name or domain>** shows an account: health, signals, stakeholders, usage, tickets, handoffs.",
    "• **handoff <account>: <note>** hands an account over to your pair (the AM's CSM, the CSM's AM).",
    "• Reply in a handoff conversation: your pair sees it, in Teams or in Slack.",
    "• **portfolio** shows your renewal rate, retention, value at risk, pipeline and coverage.",
    "• **settings** sets your working days and digest time.",
    "In a team channel, mention me first: **@Tandem account acme**.",
)


def chat_submit(action: str, **ids: int) -> Element:
    """An Action.Submit about one stored object: {"action": "choose_account", "account_id": 12}."""
    return {
        "type": "Action.Submit",
        "title": act.LABELS.get(action, "Send"),
        "data": {"action": action, **{k: int(v) for k, v in ids.items()}},
    }


def parse_chat_submit(data: Any) -> tuple[str, int, dict[str, str]]:
    """(action, id, text inputs) of a chat action's submitted data; ValueError when it is none of ours.

    The id is the account for `choose_account` and `handoff_submit`, the handoff for acknowledge / done,
    the model text for "What did the model see?".
    Inputs of a form card (the handoff note) come back beside the data, as strings.
    """
    if not isinstance(data, dict) or data.get("action") not in CHAT_SUBMIT_ACTIONS:
        raise ValueError("malformed action payload")
    action = str(data["action"])
    key = (
        "handoff_id"
        if action in (act.HANDOFF_ACK, act.HANDOFF_DONE)
        else "model_text_id"
        if action == act.MODEL_INPUT
        else "account_id"
    )
    ident = data.get(key)
    if action == act.CHOOSE and isinstance(ident, str) and ident.isdigit() and len(ident) < 19:
        ident = int(ident)  # the chooser's choice set answers with the id as text
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ValueError("malformed action payload")
    inputs = {k: v for k, v in data.items() if k in FORM_INPUTS and isinstance(v, str)}
    return action, ident, inputs


def help_card() -> Element:
    return card([text_block(line, spacing="Small") for line in HELP_LINES], [], "How to use Tandem")


def message_card(text: str) -> Element:
    """A short notice (not a member, no such account, done): one text block."""
    return card([text_block(plain(text, 1000, multiline=True))], [], text)


def no_match_card(query: str) -> Element:
    return card(
        [
            text_block(
                f"No account matches **{plain(query, fmt.NAME)}** in your organization. "
                "Try part of the name or the domain (`account acme` or `account acme.com`)."
            )
        ],
        [],
        "No account matches",
    )


def chooser_card(chooser: AccountChooser) -> Element:
    """The matches as a list of radio buttons (names wrap, never cut) and one button to show the choice."""
    choices = chooser.choices[:MAX_CHOICES]
    body: list[Element] = [
        text_block(f"Several accounts match **{plain(chooser.query, fmt.NAME)}**. Which one?"),
        {
            "type": "Input.ChoiceSet",
            "id": CHOICE_INPUT,
            "label": "Account",
            "style": "expanded",
            "wrap": True,
            "isRequired": True,
            "errorMessage": "Pick an account.",
            "value": str(choices[0].account_id) if choices else "",
            "choices": [
                {
                    "title": fmt.clean(c.name, fmt.NAME) + (f" ({fmt.clean(c.domain, fmt.SHORT)})" if c.domain else ""),
                    "value": str(c.account_id),
                }
                for c in choices
            ],
        },
    ]
    show = {"type": "Action.Submit", "title": "Show this account", "data": {"action": act.CHOOSE}}
    return card(body, [show], "Several accounts match")


def _facts(a: AccountAnswer) -> list[tuple[str, str]]:
    return [(title, esc.teams(value)) for title, value in account_facts(a)]  # values are data: as plain() does


def _section(title: str, lines: list[str]) -> Element:
    return text_block(f"**{title}**\n\n" + "\n".join(lines), separator=True, spacing="Medium")


def _signals(a: AccountAnswer) -> Element:
    if not a.signals:
        return text_block("**Signals:** none active.", separator=True, spacing="Medium")
    lines = []
    for s in a.signals[:MAX_SIGNALS]:
        lines.append(f"- {fmt.severity(s.severity)} {plain(s.title, fmt.HEADLINE)}")
        lines += [f"    - {plain(r, fmt.REASON)}" for r in s.reasons[:2]]
    return _section("Signals", lines)


def _people(a: AccountAnswer) -> Element:
    if not a.stakeholders:
        return text_block("**Stakeholders:** none on file.", separator=True, spacing="Medium")
    lines = []
    for c in a.stakeholders[:MAX_STAKEHOLDERS]:
        mark = "🔑 " if c.is_key else ""
        status = "" if c.status == "active" else " — **left**"
        lines.append(f"- {mark}{plain(fmt.person(c.name, c.title, c.role), 3 * fmt.SHORT)}{status}")
    return _section("Stakeholders", lines)


def _tickets(a: AccountAnswer) -> list[Element]:
    if not a.recent_tickets:
        return []
    lines = []
    for t in a.recent_tickets:
        details = " · ".join(plain(x, fmt.SHORT) for x in (t.priority, t.status) if x)
        opened = f" · {fmt.day_label(t.opened_on)}" if t.opened_on else ""
        lines.append(f"- {plain(t.external_id, 40)} {plain(t.subject, fmt.HEADLINE)} ({details}{opened})")
    return [_section("Recent tickets", lines)]


def _handoffs(a: AccountAnswer) -> list[Element]:
    if not a.handoffs:
        return []
    return [_section("Open handoffs", [handoff_line(h) for h in a.handoffs[:5]])]


def handoff_line(h: HandoffSummary) -> str:
    due = f" · due {fmt.day_label(h.due_date)}" if h.due_date else ""
    return (
        f"- {plain(h.topic, fmt.SHORT)} from {plain(h.from_name, fmt.SHORT)} · {plain(h.status, fmt.SHORT)}{due}: "
        f"{plain(h.note, fmt.NOTE)}"
    )


def account_fallback(a: AccountAnswer) -> str:
    return fmt.clip(f"{plain(a.name, fmt.NAME)}: health {a.health if a.health is not None else 'unknown'}", 300)


def account_card(a: AccountAnswer, shared_by: str | None = None) -> Element:
    """The answer to `account`: facts, the brief, signals, people, tickets, handoffs and actions."""
    title = plain(a.name, fmt.NAME) + (f" · {plain(a.domain, fmt.SHORT)}" if a.domain else "")
    body: list[Element] = [text_block(title, size="Large", weight="Bolder"), fact_set(_facts(a))]
    if brief := plain(a.brief, fmt.OPENING, multiline=True):
        body += lines(brief)  # one paragraph a line: Teams would join them
        if a.brief_by_model:
            body.append(text_block("(written by the model from masked data)", size="Small", isSubtle=True))
    body += [_signals(a), _people(a), *_tickets(a), *_handoffs(a)]
    if shared_by is not None:
        body.append(text_block(f"Shared by {plain(shared_by, fmt.SHORT)}", isSubtle=True, size="Small"))
    actions = [submit(act.HANDOFF, a.account_id, [])]
    if fmt.safe_url(a.crm_url):
        actions.insert(0, open_action(a.account_id, [], a.crm_url))
    if a.brief_by_model and a.brief_model_text_id is not None and shared_by is None:
        actions.append({**chat_submit(act.MODEL_INPUT, model_text_id=a.brief_model_text_id), "mode": "secondary"})
    return card(body, actions, account_fallback(a))


def handoff_form_card(account_id: int, account_name: str, pair_name: str | None, draft: HandoffDraft) -> Element:
    """Teams' stand-in for Slack's handoff modal: topic, note, promises, next step, due date; prefilled."""
    to = f" to {plain(pair_name, fmt.SHORT)}" if pair_name else ""
    topics = ("risk", "opportunity", "request")
    body: list[Element] = [
        text_block(f"Hand off **{plain(account_name, fmt.NAME)}**{to}", weight="Bolder"),
        {
            "type": "Input.ChoiceSet",
            "id": TOPIC_INPUT,
            "label": "Topic",
            "value": draft.topic if draft.topic in topics else "request",
            "choices": [{"title": t.capitalize(), "value": t} for t in topics],
        },
        _text_input(NOTE_INPUT, "What should your pair know or do?", draft.note, required=True),
        _text_input(PROMISES_INPUT, "Promises made to the customer", draft.promises),
        _text_input(NEXT_STEP_INPUT, "Next step", draft.next_step),
        {
            "type": "Input.Date",
            "id": DUE_INPUT,
            "label": "Due",
            **({"value": draft.due_date.isoformat()} if draft.due_date else {}),
        },
    ]
    send = chat_submit(HANDOFF_SUBMIT, account_id=account_id)
    send["title"] = "Send handoff"
    return card(body, [send], f"Hand off {plain(account_name, fmt.NAME)}")


def _text_input(ident: str, label: str, value: str | None, required: bool = False, multiline: bool = True) -> Element:
    field: Element = {"type": "Input.Text", "id": ident, "label": label, "isMultiline": multiline, "maxLength": 3000}
    if value:
        field["value"] = fmt.clean(value, 3000, multiline=multiline)  # no control or direction characters
    if required:
        field["isRequired"], field["errorMessage"] = True, "Say what your pair should know or do."
    return field


def handoff_draft_of(inputs: dict[str, str]) -> HandoffDraft:
    """The draft from a submitted form; a malformed date is left out rather than refused."""
    try:
        due = date.fromisoformat(inputs.get(DUE_INPUT, "").strip()[:10]) if inputs.get(DUE_INPUT) else None
    except ValueError:
        due = None
    return HandoffDraft(
        topic=inputs.get(TOPIC_INPUT) or "request",
        note=inputs.get(NOTE_INPUT, "").strip(),
        promises=inputs.get(PROMISES_INPUT, "").strip() or None,
        next_step=inputs.get(NEXT_STEP_INPUT, "").strip() or None,
        due_date=due,
    )


MODEL_INPUT_CHUNK = 2000


def model_input_card(heading: str, masked_input: str) -> Element:
    """The masked input in monospace blocks, as much as one card carries (Teams' size limit)."""
    body: list[Element] = [text_block(plain(heading, 300), weight="Bolder")]
    used = card_size(card(body, [], heading)) + 200  # room for the "more characters" notice
    done = 0
    for chunk in fmt.chunks_at_spaces(masked_input, MODEL_INPUT_CHUNK):
        element = text_block(plain(chunk, len(chunk), multiline=True), fontType="Monospace", spacing="None")
        if used + card_size(element) > CARD_BUDGET:
            rest = len(masked_input) - done
            body.append(text_block(f"…and {rest} more characters, beyond what one card holds.", isSubtle=True))
            break
        body.append(element)
        used, done = used + card_size(element), done + len(chunk)
    return card(body, [], heading)
