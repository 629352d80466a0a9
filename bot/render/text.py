"""Plain text for the terminal: the same facts, readable without any chat client."""

from __future__ import annotations

from bot.render.format import CHANGE_LABELS, ROLE_NAMES, money, percent, renewal, severity
from bot.views import Digest, StakeholderAlert


def digest_text(d: Digest) -> str:
    f = d.figures
    lines = [
        f"{d.member_name} · {ROLE_NAMES.get(d.role, d.role)} · {d.day.isoformat()}",
        f"{f.accounts} accounts · ARR at risk {money(f.arr_at_risk, f.currency)} · expansion pipeline "
        f"{money(f.expansion_pipeline, f.currency)} · renewals in 90 days {f.renewals_90d} "
        f"({money(f.renewals_90d_arr, f.currency)}) · coverage {percent(f.coverage_30d)}",
        "",
        d.opening + ("  (written by the model)" if d.opening_by_model else ""),
    ]
    if d.stale_sources:
        lines.append(f"! Stale data: {', '.join(d.stale_sources)}")
    for number, item in enumerate(d.items, 1):
        lines += [
            "",
            f"{number}. [{severity(item.severity)}] {item.account_name} — {item.headline}"
            f"  ({CHANGE_LABELS.get(item.change, item.change)})",
            f"   ARR {money(item.arr, f.currency)} · "
            f"renewal {renewal(item.renewal_date, item.days_to_renewal)}"
            + (f" · health {item.health}/100" if item.health is not None else ""),
        ]
        lines += [f"   - {reason}" for reason in item.reasons[:3]]
        if item.next_step:
            lines.append(f"   Next step: {item.next_step}")
    if d.more_count:
        lines += ["", f"…and {d.more_count} more."]
    if d.handoffs:
        lines += ["", "Handoffs waiting on you:"]
        lines += [
            f" - {h.account_name} from {h.from_name} ({h.topic}, {h.status}): {h.note}" for h in d.handoffs
        ]
    return "\n".join(lines)


def alert_text(a: StakeholderAlert) -> str:
    role = ", ".join(x for x in (a.contact_title, a.contact_role) if x)
    lines = [
        f"Key stakeholder left {a.account_name}: {a.contact_name}{f' ({role})' if role else ''}"
        + (f", since {a.since.isoformat()}" if a.since else ""),
        f"ARR {money(a.arr)} · renewal {renewal(a.renewal_date, a.days_to_renewal)}",
    ]
    if a.single_threaded:
        lines.append("The account is now single-threaded: fewer than two key contacts remain.")
    if a.others_to_engage:
        lines.append("Who else to engage: " + ", ".join(a.others_to_engage))
    if a.evidence:
        lines.append("Evidence: " + ", ".join(a.evidence))
    if a.next_step:
        lines.append(f"Next step: {a.next_step}")
    return "\n".join(lines)
