"""What a digest item says, decided once for every platform: its figures, the reasons worth reading, its
badge, and the one primary action that fits it (the rest go behind an overflow menu).
"""

from __future__ import annotations

import re

from bot.render import actions as act
from bot.render import format as fmt
from bot.views import Digest, DigestItem

# Items where talking to the pair is the next move; on the others the CRM record is.
HANDOFF_FIRST = ("pair_desync", "support_escalation")
_WORDS = re.compile(r"[^0-9a-z]+")
_RENEWAL_REASON = re.compile(r"^\s*renewal (in|on|due)\b", re.IGNORECASE)


def figures_line(item: DigestItem, currency: str) -> str:
    """ARR $140k · renews Mar 9 (100 days) · health 86/100: every figure once, in one format."""
    facts = [f"ARR {fmt.money(item.arr, currency)}"]
    if item.renewal_date is not None:
        facts.append(f"renews {fmt.renewal(item.renewal_date, item.days_to_renewal)}")
    if item.health is not None:
        facts.append(f"health {item.health}/100")
    return " · ".join(facts)


def _norm(text: str) -> str:
    return _WORDS.sub(" ", text.lower()).strip()


def reasons(item: DigestItem) -> list[str]:
    """The reasons that add something: none that repeats the headline, the renewal, or another reason."""
    seen = {_norm(item.headline)}
    kept = []
    for reason in item.reasons:
        key = _norm(reason)
        if not key or any(key in other for other in seen):
            continue
        if item.renewal_date is not None and _RENEWAL_REASON.match(reason):
            continue
        seen.add(key)
        kept.append(reason)
    return kept[: fmt.MAX_REASONS]


def badge(item: DigestItem, digest: Digest) -> str:
    """ "worse", or "new" when not everything is (on a first digest every item is new: no badge)."""
    if item.change == "worse":
        return "worse"
    if item.change == "new" and any(i.change != "new" for i in digest.items):
        return "new"
    return ""


def pair_word(role: str) -> str:
    return {"am": "your CSM", "csm": "your AM"}.get(role, "your pair")


def primary(item: DigestItem, role: str) -> str:
    """The one action a person most likely takes next on this item."""
    if fmt.safe_url(item.crm_url) and not any(k in HANDOFF_FIRST for k in item.kinds[:1]):
        return act.OPEN_ACCOUNT
    return act.HANDOFF


def label(action: str, role: str, has_url: bool) -> str:
    """A label that says what it acts on."""
    if action == act.HANDOFF:
        return f"Hand off to {pair_word(role)}"
    if action == act.OPEN_ACCOUNT:
        return "Open in CRM" if has_url else "Show the account"
    return act.LABELS[action]


def secondary(item: DigestItem, role: str) -> list[str]:
    """The overflow menu: the other main action, then snooze, done, and feedback (five at most, Slack's cap)."""
    first = primary(item, role)
    other = act.HANDOFF if first == act.OPEN_ACCOUNT else act.OPEN_ACCOUNT
    return [other, act.SNOOZE, act.DONE, *act.FEEDBACK_ACTIONS]


def header_figures(d: Digest) -> list[tuple[str, str]]:
    """The digest's header figures: short labels, values that say what they count, and that add up."""
    f = d.figures
    touched = round(f.coverage_30d * f.accounts)
    at_risk = fmt.money(f.arr_at_risk, f.currency)
    if f.accounts_at_risk:
        at_risk += f" on {f.accounts_at_risk} account{'s' if f.accounts_at_risk != 1 else ''}"
    return [
        ("ARR at risk", at_risk),
        ("Renewing in 90 days", f"{f.renewals_90d} ({fmt.money(f.renewals_90d_arr, f.currency)})"),
        ("Expansion in sight", fmt.money(f.expansion_pipeline, f.currency)),
        ("Contacted in 30 days", f"{touched} of {f.accounts} accounts"),
    ]
