"""The stories planted in the demo book: each window an AM or a CSM must see, and the noise they must not."""

from __future__ import annotations

from collections.abc import Callable

from bot.demo.book import Account, Book


def northwind_renewal_at_risk(book: Book, a: Account) -> None:
    """Renewal in 45 days on steadily falling usage, serious tickets open, CSAT down."""
    a.row.update(arr="180000", renewal_date=book.day(-45).isoformat())
    book.set_usage(
        a, lambda ago: 95 if ago > 60 else 50 + 45 * ago / 60, lambda ago: (95 if ago > 60 else 50 + 45 * ago / 60) + 5
    )
    book.add_ticket(
        a,
        18,
        priority="high",
        subject="Routing engine drops stops",
        body="Since the last release our dispatchers lose stops. Call our ops desk at +44 20 7946 0311.",
    )
    book.add_ticket(
        a,
        9,
        priority="high",
        subject="Reports empty for the Leeds depot",
        body="Reports have been empty for a week. Please reply to ops-team@northwind.example.",
    )
    book.add_ticket(a, 25, priority="normal", subject="Slow map loading", closed_ago=20, csat=2)
    book.add_ticket(a, 15, priority="normal", subject="Password reset loop", closed_ago=12, csat=3)


def acme_expansion(book: Book, a: Account) -> None:
    """95% seat use and growing, healthy, renewal far away: an expansion window."""
    a.row.update(arr="96000", seats_purchased="100", renewal_date=book.day(-200).isoformat())
    a.seats = 100
    book.set_usage(
        a,
        lambda ago: 70 * (1 + 0.15 * (60 - min(ago, 60)) / 60),
        lambda ago: 80 if ago > 30 else 80 + 15 * (30 - ago) / 30,
    )


def umbrella_escalation_and_desync(book: Book, a: Account) -> None:
    """Escalation streak and a falling CSAT while the AM pitches an upsell: a desynchronized pair."""
    a.row.update(arr="220000", seats_purchased="150")
    a.seats = 150
    book.set_usage(a, lambda _ago: 125, lambda ago: 132 if ago > 30 else 132 + 6 * (30 - ago) / 30)
    book.add_ticket(a, 45, priority="normal", subject="Label printer setup", closed_ago=40, csat=4)
    book.add_ticket(
        a,
        24,
        priority="urgent",
        subject="Checkout sync failing in 12 stores",
        body="Stores cannot sync sales. Escalate to our CTO, +1 (415) 555-0187.",
    )
    book.add_ticket(a, 19, priority="high", subject="Price updates delayed", closed_ago=15, csat=3)
    book.add_ticket(a, 14, priority="high", subject="Inventory counts wrong after sync")
    book.add_ticket(a, 10, priority="urgent", subject="Outage during Saturday peak", closed_ago=7, csat=2)
    book.add_ticket(a, 6, priority="high", subject="Sync failing again", body="Same as last week. Call 415.555.0199.")
    book.add_note(
        a,
        8,
        "Pitched the analytics add-on upsell to their VP Ops, wants a quote for 40 more seats.",
        author=a.row["am_email"],
    )


def globex_champion_left(book: Book, a: Account) -> None:
    """The champion left three days ago; the CRM says so, and so does a bounce. One key contact remains."""
    a.row.update(arr="140000", renewal_date=book.day(-100).isoformat())
    for contact in list(a.contacts):
        book.contacts.remove(contact)
    a.contacts.clear()
    book.add_contact(
        a,
        "champion",
        True,
        name="Maria Gonzalez",
        email="maria.gonzalez@globex.example",
        status="left",
        updated=book.day(3),
        title="Director of Clinical Operations",
    )
    book.add_contact(a, "decision_maker", True, name="Li Wei", email="li.wei@globex.example", title="CFO")
    book.add_contact(a, "user", False, name="Sam Roe", email="sam.roe@globex.example", title="Ops lead")
    book.add_contact(a, "influencer", False, name="Priya Nair", email="priya.nair@globex.example", title="IT Director")
    book.add_ticket(
        a,
        5,
        priority="normal",
        subject="Automatic reply: Onboarding of the Boston clinic",
        body="Automatic reply: Maria Gonzalez is no longer with Globex Health. Your message to "
        "maria.gonzalez@globex.example could not be delivered. For urgent matters call "
        "+1 (617) 555-0142 or write to it-helpdesk@globex.example.",
        closed_ago=4,
    )


def initech_failed_invoices(book: Book, a: Account) -> None:
    """Two failed payments this month and an overdue invoice."""
    a.row.update(arr="60000")
    ext = a.row["account_id"]
    book.invoices = [i for i in book.invoices if i["account_id"] != ext]
    book.add_invoice(a, 80, 5000, "paid", 60)
    book.add_invoice(a, 50, 5000, "overdue")
    book.add_invoice(a, 25, 5000, "failed")
    book.add_invoice(a, 10, 5000, "failed")


def soylent_renewal_prep(book: Book, a: Account) -> None:
    """Healthy and growing, renewing in 60 days: time to prepare the value story."""
    a.row.update(arr="75000", seats_purchased="90", renewal_date=book.day(-60).isoformat())
    a.seats = 90
    book.set_usage(a, lambda ago: 40 * (1 + 0.1 * (60 - min(ago, 60)) / 60))
    book.add_ticket(a, 30, priority="normal", subject="API rate limits", closed_ago=28, csat=5)
    book.add_ticket(a, 12, priority="low", subject="Invoice address change", closed_ago=11, csat=5)


def hooli_no_contact(book: Book, a: Account) -> None:
    """Material and healthy, but nobody has talked to them for 80 days."""
    a.row.update(arr="130000")
    ext = a.row["account_id"]
    book.notes = [n for n in book.notes if n["account_id"] != ext]
    for ago in (80, 95, 110):
        book.add_note(a, ago, "Quarterly review done, no open questions.", author=a.row["am_email"])


def vandelay_one_day_dip(book: Book, a: Account) -> None:
    """Noise: one odd day at 10% of normal usage. Must not fire."""
    level = a.seats * 0.6
    book.set_usage(a, lambda ago: level * 0.1 if ago == 6 else level)


def stark_non_key_contact_left(book: Book, a: Account) -> None:
    """Noise: a plain user left. Must not fire."""
    book.add_contact(a, "user", False, status="left", updated=book.day(5), title="Coordinator")


def wayne_single_low_ticket(book: Book, a: Account) -> None:
    """Noise: one open low-priority ticket. Must not fire."""
    book.add_ticket(a, 3, priority="low", subject="Typo in the settings page")


STORIES: dict[str, Callable[[Book, Account], None]] = {
    "ACC-001": northwind_renewal_at_risk,
    "ACC-002": acme_expansion,
    "ACC-005": umbrella_escalation_and_desync,
    "ACC-010": vandelay_one_day_dip,
    "ACC-011": stark_non_key_contact_left,
    "ACC-012": wayne_single_low_ticket,
    "ACC-023": globex_champion_left,
    "ACC-024": initech_failed_invoices,
    "ACC-026": soylent_renewal_prep,
    "ACC-027": hooli_no_contact,
}
