"""Snapshot builders for scoring tests: a quiet healthy account, and modifiers that tell each story.

    snap = Account().renewal_in(45).users(lambda d: ...).ticket("high", opened=10).build()

Days are counted back from AS_OF (0 = as_of, 30 = a month before); randomness is seeded, so every build
of the same chain gives the same snapshot.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from scoring.snapshot import AccountSnapshot, ContactView, InvoiceView, NoteView, TicketView, UsagePoint

AS_OF = date(2026, 11, 22)
HISTORY_DAYS = 120  # what bot.book loads
AM = "alex.am@tandem.example"
CSM = "casey.csm@tandem.example"

Curve = Callable[[int], float]  # days before as_of -> value


def day(days_ago: int) -> date:
    return AS_OF - timedelta(days=days_ago)


def at(days_ago: int, hour: int = 10) -> datetime:
    return datetime.combine(day(days_ago), time(hour), tzinfo=UTC)


def linear(start_days_ago: int, start: float, end: float) -> Curve:
    """Flat at `start` until `start_days_ago`, then a straight line to `end` at as_of."""

    def curve(d: int) -> float:
        if d >= start_days_ago:
            return start
        return end + (start - end) * d / start_days_ago

    return curve


class Account:
    """A quiet healthy account: nothing should fire on it until a modifier tells a story."""

    def __init__(self, name: str = "Quietco", seed: int = 7) -> None:
        self.name = name
        self.seed = seed
        self.arr: float | None = 120_000
        self.seats: int | None = 100
        self.renewal: int | None = 240
        self.am_email: str | None = AM
        self.active_users: Curve = lambda d: 65
        self.seats_used: Curve | None = lambda d: 68
        self.events: Curve | None = lambda d: 65 * 20
        self.noise = 0.03
        self.overrides: dict[int, float] = {}  # day -> factor on active users and events (one-off dips)
        self.contacts: dict[str, ContactView] = {}
        self.tickets: list[TicketView] = []
        self.invoices: list[InvoiceView] = []
        self.notes: list[NoteView] = []
        self.contact("C1", "Dana Reyes", "VP Operations", role="decision_maker")
        self.contact("C2", "Sam Ortiz", "Ops Manager", role="champion")
        self.contact("C3", "Lee Park", "Analyst", role="user")
        for i, ago in enumerate((75, 52, 33, 12)):
            self.ticket("normal" if i % 2 else "low", ago, closed=ago - 2, csat=5 if i % 2 else 4)
        for q, ago in enumerate((300, 210, 120, 30)):
            self.invoice(f"INV-Q{q}", due=ago, paid=ago + 3, status="paid", amount=30_000)
        for ago in (100, 78, 55, 38):
            self.note(ago, CSM, "Monthly check-in, all good.")
        self.note(19, AM, "Lunch with Dana, roadmap chat.")
        self.note(8, CSM, "Monthly check-in, all good. They like the new dashboards.")

    # --- account fields -------------------------------------------------------------------
    def with_arr(self, arr: float | None) -> Account:
        self.arr = arr
        return self

    def with_seats(self, seats: int | None) -> Account:
        self.seats = seats
        return self

    def renewal_in(self, days: int | None) -> Account:
        self.renewal = days
        return self

    # --- usage ----------------------------------------------------------------------------
    def users(self, curve: Curve, events_per_user: float | None = 20) -> Account:
        self.active_users = curve
        self.events = None if events_per_user is None else (lambda d: curve(d) * events_per_user)
        return self

    def seats_in_use(self, curve: Curve | None) -> Account:
        self.seats_used = curve
        return self

    def dip(self, days_ago: int, factor: float) -> Account:
        """One odd day: active users and events at `factor` of normal that day only."""
        self.overrides[days_ago] = factor
        return self

    def no_usage(self) -> Account:
        self.active_users = lambda d: float("nan")
        return self

    # --- people and activity --------------------------------------------------------------
    def contact(
        self,
        ident: str,
        name: str,
        title: str | None,
        *,
        role: str | None = None,
        is_key: bool = False,
        email: str | None = None,
    ) -> Account:
        email = email or f"{name.lower().replace(' ', '.')}@{self.name.lower()}.example"
        self.contacts[ident] = ContactView(ident, name, email, title, role, is_key, "active")
        return self

    def left(self, ident: str, days_ago: int | None, evidence: str = "status") -> Account:
        c = self.contacts[ident]
        when = at(days_ago) if days_ago is not None else None
        self.contacts[ident] = ContactView(
            c.external_id, c.name, c.email, c.title, c.role, c.is_key, "left", when, evidence
        )
        return self

    def drop_contact(self, ident: str) -> Account:
        del self.contacts[ident]
        return self

    def ticket(
        self,
        priority: str | None,
        opened: int,
        *,
        closed: int | None = None,
        csat: int | None = None,
        subject: str | None = None,
        body: str | None = None,
        ident: str | None = None,
    ) -> Account:
        ident = ident or f"T{len(self.tickets) + 1}"
        status = "solved" if closed is not None else "open"
        self.tickets.append(
            TicketView(
                ident,
                at(opened),
                at(closed, 16) if closed is not None else None,
                priority,
                status,
                subject or f"{priority} question",
                body,
                csat,
            )
        )
        return self

    def invoice(
        self,
        ident: str,
        *,
        due: int,
        paid: int | None = None,
        status: str = "open",
        amount: float = 30_000,
    ) -> Account:
        paid_on = day(paid) if paid is not None else None
        self.invoices.append(InvoiceView(ident, day(due + 30), day(due), paid_on, amount, "USD", status))
        return self

    def note(self, days_ago: int, author: str | None, body: str, ident: str | None = None) -> Account:
        self.notes.append(NoteView(ident or f"N{len(self.notes) + 1}", at(days_ago, 15), author, body))
        return self

    def clear_notes(self) -> Account:
        self.notes = []
        return self

    def clear_tickets(self) -> Account:
        self.tickets = []
        return self

    # --- build ----------------------------------------------------------------------------
    def _usage(self) -> list[UsagePoint]:
        rng = random.Random(self.seed)
        points = []
        for d in range(HISTORY_DAYS - 1, -1, -1):
            wobble = 1 + rng.uniform(-self.noise, self.noise)
            factor = self.overrides.get(d, 1.0)
            users = self.active_users(d)
            if users != users:  # nan: no usage feed
                return []
            seats = self.seats_used(d) if self.seats_used else None
            events = self.events(d) if self.events else None
            points.append(
                UsagePoint(
                    day(d),
                    round(users * wobble * factor),
                    round(seats) if seats is not None else None,
                    round(events * wobble * factor) if events is not None else None,
                )
            )
        return points

    def build(self) -> AccountSnapshot:
        return AccountSnapshot(
            account_id=1,
            external_id="A1",
            name=self.name,
            as_of=AS_OF,
            domain=f"{self.name.lower()}.example",
            arr=self.arr,
            currency="USD",
            plan="business",
            seats_purchased=self.seats,
            renewal_date=day(-self.renewal) if self.renewal is not None else None,
            am_email=self.am_email,
            csm_email=CSM,
            contacts=list(self.contacts.values()),
            usage=self._usage(),
            tickets=sorted(self.tickets, key=lambda t: t.opened_at),
            invoices=list(self.invoices),
            notes=sorted(self.notes, key=lambda n: n.created_at),
        )


# --- the calibration stories ------------------------------------------------------------------


def renewal_at_risk() -> Account:
    """1. Renewal in 45 days, 180k, users ~95 then a steady slide from as_of-60 to ~50, 2 open high, CSAT 2-3."""
    a = Account("Initech").with_arr(180_000).with_seats(120).renewal_in(45).clear_tickets()
    a.users(linear(60, 95, 50)).seats_in_use(lambda d: 100)
    a.ticket("high", 12, subject="Reports time out", ident="T-R1")
    a.ticket("high", 6, subject="SSO errors", ident="T-R2")
    a.ticket("normal", 25, closed=20, csat=2).ticket("normal", 18, closed=15, csat=3)
    return a


def expansion_ready() -> Account:
    """2. 100 seats, seats used 80 -> 95 over 30 days, users +15% over 60 days, healthy, renewal in 200."""
    a = Account("Hooli").renewal_in(200)
    a.users(linear(60, 80, 92)).seats_in_use(linear(30, 80, 95))
    return a


def champion_left() -> Account:
    """3. Champion left 3 days ago + bounce naming her; one other key contact; 140k; renewal in 100."""
    a = Account("Globex Health").with_arr(140_000).renewal_in(100)
    a.contact("C2", "Maria Gonzalez", "Head of Clinical Ops", role="champion", email="maria.gonzalez@globex.example")
    a.left("C2", 3)
    a.ticket(
        "normal",
        2,
        ident="T-BOUNCE",
        subject="Automatic reply: Q4 business review",
        body="Maria Gonzalez is no longer with Globex Health. Your message to maria.gonzalez@globex.example "
        "could not be delivered.",
    )
    return a


def billing_trouble() -> Account:
    """4. Two failed invoices in 30 days and one overdue."""
    a = Account("Umbrella")
    a.invoice("INV-F1", due=25, status="failed", amount=10_000)
    a.invoice("INV-F2", due=10, status="failed", amount=10_000)
    a.invoice("INV-O1", due=20, status="overdue", amount=5_000)
    return a


AM_PITCH = "Pitched the analytics add-on upsell to their VP Ops, wants a quote for 40 more seats."


def escalation_with_pitch() -> Account:
    """5. 220k, seats 92% rising slightly, 5 urgent/high in 21 days (3 open, one 24 days), CSAT 4 -> 2, AM pitch."""
    a = Account("Stark").with_arr(220_000).renewal_in(250).clear_tickets()
    a.users(lambda d: 85).seats_in_use(linear(30, 89, 93))
    a.ticket("urgent", 24, ident="T-S1", subject="Data sync broken")
    a.ticket("high", 13, ident="T-S2", subject="Exports fail")
    a.ticket("high", 9, ident="T-S3", subject="Slow dashboards")
    a.ticket("high", 19, closed=12, csat=2).ticket("urgent", 14, closed=8, csat=2)
    a.ticket("normal", 70, closed=60, csat=4).ticket("normal", 50, closed=45, csat=4)
    a.note(4, AM, AM_PITCH, ident="N-PITCH")
    return a


def renewal_coming() -> Account:
    """6. Renewal in 60 days, healthy, growing."""
    return Account("Pied Piper").renewal_in(60).users(linear(90, 60, 66))


def gone_quiet() -> Account:
    """7. 130k, healthy, last note 80 days ago."""
    return Account("Vandelay").with_arr(130_000).clear_notes().note(80, AM, "QBR done, renewal looks fine.")
