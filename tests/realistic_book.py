"""Realistic books with ground truth: what a seasoned CSM would flag, on data shaped like a real book.

Weekly rhythm, a late-December holiday fortnight, public holidays, noise, missing days, both hemispheres,
schools with breaks (last year had the same), multi-year contracts, gradual declines, sudden drops, recovered
outages, tiny teams, multilingual auto-replies naming successors, bounces, CSM notes, over-licence, chronic
late payers and quiet accounts. Written as CSV in the data contract, so it goes through the real file source.

    book = generate(seed=3, as_of=date(2026, 1, 20), accounts=300)
    book.write(directory)          # accounts.csv, contacts.csv, usage.csv, ...
    book.truth["R0001"]            # {"usage_drop", "renewal_risk"}
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import holidays

from tests.csvbook import write_csv

EVALUATED = ("usage_drop", "renewal_risk", "stakeholder_left", "expansion", "billing_risk", "support_escalation")
HISTORY_DAYS = 400  # thirteen months
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "AU", "NZ", "BR", "ZA", "NL", ""]
SOUTH = {"AU", "NZ", "BR", "ZA"}
CSM, AM = "csm@vendor.example", "am@vendor.example"
FIRST = ["Joshua", "Maria", "Lena", "Pierre", "Sofia", "Kenji", "Amara", "Lucas", "Ines", "Tomas", "Priya", "Noah"]
LAST = ["Keller", "Gonzalez", "Martin", "Dubois", "Rossi", "Tanaka", "Okafor", "Silva", "Novak", "Berg", "Shah"]
STORIES = {  # story -> weight
    "quiet": 34,
    "school": 6,
    "outage": 6,
    "tiny": 5,
    "meeting_noise": 4,
    "chronic_late": 4,
    "small_overage": 3,
    "gradual": 7,
    "sudden": 5,
    "no_return": 3,
    "departure_status": 4,
    "autoreply": 6,
    "bounce": 3,
    "csm_note": 3,
    "over_licence": 4,
    "growth": 4,
    "escalation": 5,
    "billing_failed": 3,
    "billing_overdue": 3,
    "low_seats": 3,
}
AUTOREPLY = {
    "en": [
        "Automatic reply: {leaver} has left {org}. Please contact {succ} ({succ_email}) for anything urgent.",
        "Thank you for your message. {leaver} is no longer with {org}; {succ} has taken over her accounts and can be "
        "reached at {succ_email}.",
        "Out of office - {leaver}: I have left {org}. For any questions please reach out to {succ} ({succ_email}).",
    ],
    "de": [
        "Automatische Antwort: {leaver} hat {org} zum {when} verlassen. Bitte wenden Sie sich an {succ} "
        "({succ_email}).",
        "Abwesenheitsnotiz: {leaver} ist nicht mehr bei {org} tätig. Ihre Anfragen übernimmt {succ} ({succ_email}).",
    ],
    "fr": [
        "Réponse automatique : {leaver} ne fait plus partie de {org}. Veuillez contacter {succ} ({succ_email}).",
        "Message automatique de {leaver} : j'ai quitté la société le {when}. Merci de contacter {succ} ({succ_email}).",
    ],
    "es": [
        "Respuesta automática: {leaver} ya no trabaja en {org}. Por favor contacte a {succ} ({succ_email}).",
        "Respuesta automática de {leaver}: he dejado la empresa. Para cualquier consulta, póngase en contacto con "
        "{succ} ({succ_email}).",
    ],
}
CSM_NOTES = [
    "{first} has left, his last day was {when}. Need a new champion.",
    "Heard from the team that {name} has left the company ({when}).",
    "{first} is no longer with them, last day {when}; {succ} is the new contact.",
]
BOUNCES = [
    "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
    "550 5.1.1 <{e}>: Recipient address rejected: User unknown in virtual mailbox table",
    "The email account that you tried to reach does not exist. 550 5.1.1 user unknown",
    "Unzustellbar: Die E-Mail-Adresse {e} wurde nicht gefunden. 550 5.1.1 RecipNotFound",
]
NOISE_TEXTS = [
    "{name} left the meeting early, we will follow up by mail.",
    "{name} a quitté la réunion plus tôt, on reprend jeudi.",
    "{name} left a comment on the rollout plan.",
    "{name} left the call before the demo of exports.",
]


@dataclass
class Book:
    as_of: date
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truth: dict[str, set[str]] = field(default_factory=dict)
    stories: dict[str, str] = field(default_factory=dict)
    successors: dict[str, str] = field(default_factory=dict)  # contact id -> account id: never departed

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, rows in self.files.items():
            write_csv(directory / f"{name}.csv", rows)
        return directory


def _school_break(d: date, south: bool, shift: int) -> bool:
    """A school's breaks; `shift` moves them a few days from one year to the next."""
    doy = (d - timedelta(days=shift)).timetuple().tm_yday
    if south:
        return doy >= 350 or doy <= 33 or 180 <= doy <= 194 or 268 <= doy <= 282
    return 182 <= doy <= 243 or doy >= 354 or doy <= 4 or 100 <= doy <= 110


class _Maker:
    def __init__(self, rng: random.Random, as_of: date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.rows: dict[str, list[dict[str, Any]]] = {
            k: [] for k in ("accounts", "contacts", "usage", "tickets", "invoices", "notes", "team")
        }
        self.rows["team"] = [
            {"email": CSM, "name": "Casey CSM", "role": "csm"},
            {"email": AM, "name": "Alex", "role": "am"},
        ]
        self.cal: dict[str, holidays.HolidayBase] = {}

    def ts(self, days_ago: float) -> str:
        when = datetime.combine(self.as_of, time(10), tzinfo=UTC) - timedelta(days=days_ago)
        return when.isoformat()

    def off(self, country: str, d: date) -> bool:
        if (d.month == 12 and d.day >= 22) or (d.month == 1 and d.day <= 2):
            return True
        if not country:
            return False
        if country not in self.cal:
            years = range(self.as_of.year - 2, self.as_of.year + 1)
            self.cal[country] = holidays.country_holidays(country, years=years)
        return d in self.cal[country]


def generate(seed: int, as_of: date, accounts: int = 300) -> Book:
    rng = random.Random(seed)
    m = _Maker(rng, as_of)
    book = Book(as_of)
    names = list(STORIES)
    weights = [STORIES[n] for n in names]
    for n in range(accounts):
        story = rng.choices(names, weights)[0]
        if story == "no_return" and not (as_of.month == 1 and as_of.day >= 14):
            story = "sudden"
        ident = f"R{n + 1:04d}"
        book.truth[ident] = _account(m, book, ident, story)
        book.stories[ident] = story
    book.files = m.rows
    return book


def _account(m: _Maker, book: Book, ident: str, story: str) -> set[str]:
    rng, as_of = m.rng, m.as_of
    country = rng.choice(COUNTRIES)
    south = country in SOUTH
    truth: set[str] = set()
    usage_story = story in ("gradual", "sudden", "no_return", "growth", "over_licence", "low_seats")
    tiny = story == "tiny" or (rng.random() < 0.06 and not usage_story)  # a story of one user is no story
    seats = (
        rng.randint(3, 6)
        if tiny
        else int(rng.choice([rng.uniform(10, 40), rng.uniform(50, 300), rng.uniform(300, 1500)]))
    )
    util = rng.uniform(0.55, 0.8)
    if story == "low_seats":
        util = rng.uniform(0.3, 0.42)
    level = max(1.5, seats * util) if not tiny else rng.choice([1.5, 2.0, 2.5])
    price = rng.uniform(300, 1200)
    arr = round(seats * price, -2)
    renewal = rng.randint(5, 360)
    risk_window = 120  # renewal_risk looks this far ahead
    if story in ("billing_failed", "billing_overdue", "over_licence", "growth"):
        renewal = rng.randint(130, 360)  # their own signal, not a renewal story
    if story == "low_seats":
        renewal = rng.randint(40, 80)
    if story in ("departure_status", "autoreply", "bounce", "csm_note") and rng.random() < 0.35:
        renewal = rng.randint(20, 85)
    weekend = rng.choice([(0.25, 0.2), (0.1, 0.05), (0.9, 0.85)])
    noise = rng.uniform(0.04, 0.1)
    yearly = rng.uniform(-0.05, 0.08)
    shift = rng.randint(-5, 5)
    ly_shift = rng.randint(-5, 5)
    seats_reported = rng.random() < 0.7
    start_decline = rng.randint(56, 84)
    depth = rng.uniform(0.3, 0.42)
    sudden_at = rng.randint(9, 24)
    sudden_depth = rng.uniform(0.4, 0.65)
    outage_end = rng.randint(8, 20)
    growth = rng.uniform(0.18, 0.3)
    over = rng.uniform(1.07, 1.1)
    for d_ago in range(HISTORY_DAYS, -1, -1):
        day = as_of - timedelta(days=d_ago)
        f = 1 + yearly * (HISTORY_DAYS - d_ago) / 365
        wd = day.weekday()
        f *= weekend[wd - 5] if wd >= 5 else 1.0
        if m.off(country, day):
            f *= rng.uniform(0.25, 0.45)
        if story == "school" and _school_break(day, south, shift if d_ago < 200 else ly_shift):
            f *= rng.uniform(0.05, 0.15)
        if story == "gradual" and d_ago < start_decline:
            f *= 1 - depth * (start_decline - d_ago) / start_decline
        if story == "sudden" and d_ago < sudden_at:
            f *= 1 - sudden_depth
        if story == "no_return" and day >= date(as_of.year, 1, 3):
            f *= 0.6
        if story == "outage" and outage_end <= d_ago < outage_end + 7:
            f *= rng.uniform(0.1, 0.4)
        if story == "growth" and d_ago < 90:
            f *= 1 + growth * (90 - d_ago) / 90
        if rng.random() < 0.02:
            continue  # a missing day
        users = level * f * (1 + rng.gauss(0, noise))
        if story == "over_licence":
            used: float | None = seats * (over if d_ago < 75 else 0.95)
        elif seats_reported or story == "growth":
            grow = 1 + (growth * (90 - d_ago) / 90 if story == "growth" and d_ago < 90 else 0)
            used = min(seats, level * 1.15 * grow) if story != "low_seats" else seats * util
            if story == "growth":
                used = min(seats * 1.02, seats * 0.8 * grow)
        else:
            used = None
        users_out = (
            max(0, round(users)) if not tiny else max(0, min(seats, round(level * f + rng.choice([-1, 0, 0, 1]))))
        )
        m.rows["usage"].append(
            {
                "account_id": ident,
                "date": day.isoformat(),
                "active_users": users_out,
                "seats_used": round(used) if used is not None else "",
                "events": round(max(0.0, users) * rng.uniform(14, 22)),
            }
        )
    if story == "growth" and not seats_reported:
        pass
    m.rows["accounts"].append(
        {
            "account_id": ident,
            "name": f"Account {ident}",
            "domain": f"{ident.lower()}.example",
            "am_email": AM,
            "csm_email": CSM,
            "arr": arr,
            "currency": "USD",
            "seats_purchased": seats,
            "contract_start": (as_of - timedelta(days=rng.randint(400, 1100))).isoformat(),
            "renewal_date": (as_of + timedelta(days=renewal)).isoformat(),
            "country": country,
        }
    )
    # People: three key stakeholders and a couple of users.
    people: list[dict[str, Any]] = []
    for k, role in enumerate(["decision_maker", "champion", "champion", "user", "user"]):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        if any(p["name"].split()[0] == first for p in people):
            first = f"{first}a"
            name = f"{first} {last}"
        cid = f"{ident}-C{k + 1}"
        people.append(
            {
                "contact_id": cid,
                "account_id": ident,
                "name": name,
                "email": f"{first.lower()}.{last.lower()}@{ident.lower()}.example",
                "role": role,
                "is_key": "yes" if k < 3 else "no",
                "status": "active",
                "updated_at": m.ts(200),
            }
        )
    leaver, successor = people[1], people[2]
    left_ago = rng.randint(2, 25)
    org = f"Account {ident}"
    if story == "departure_status":
        leaver["status"], leaver["updated_at"] = "left", m.ts(left_ago)
    m.rows["contacts"].extend(people)
    # Notes: the CSM every few weeks.
    d_ago = rng.randint(2, 20)
    while d_ago < 170:
        m.rows["notes"].append(
            {
                "note_id": f"{ident}-N{d_ago}",
                "account_id": ident,
                "created_at": m.ts(d_ago),
                "author_email": CSM,
                "body": rng.choice(
                    ["Check-in, all fine.", "QBR done; roadmap chat.", "Training session for new users."]
                ),
            }
        )
        d_ago += rng.randint(14, 30)
    tickets = m.rows["tickets"]
    for k in range(rng.randint(1, 5)):
        opened = rng.randint(20, 160)
        tickets.append(
            {
                "ticket_id": f"{ident}-T{k}",
                "account_id": ident,
                "opened_at": m.ts(opened),
                "closed_at": m.ts(opened - 2),
                "priority": rng.choice(["low", "normal"]),
                "status": "solved",
                "subject": "How do I export?",
                "body": "Question about exports.",
                "csat": rng.choice([4, 5, 5]),
            }
        )
    if story == "autoreply":
        lang = rng.choice(list(AUTOREPLY))
        text = rng.choice(AUTOREPLY[lang]).format(
            leaver=leaver["name"],
            org=org,
            succ=successor["name"],
            succ_email=successor["email"],
            when=(as_of - timedelta(days=left_ago + 3)).strftime("%d.%m."),
        )
        tickets.append(
            {
                "ticket_id": f"{ident}-AR",
                "account_id": ident,
                "opened_at": m.ts(left_ago),
                "priority": "normal",
                "status": "solved",
                "closed_at": m.ts(left_ago - 1),
                "subject": "Automatic reply: renewal",
                "body": text,
            }
        )
        book.successors[successor["contact_id"]] = ident
    if story == "bounce":
        bounce = rng.choice(BOUNCES).format(e=leaver["email"])
        text = f"Delivery has failed to these recipients or groups: {leaver['email']}\n{bounce}"
        tickets.append(
            {
                "ticket_id": f"{ident}-BN",
                "account_id": ident,
                "opened_at": m.ts(left_ago),
                "priority": "low",
                "status": "solved",
                "closed_at": m.ts(left_ago - 1),
                "subject": "Undeliverable: QBR",
                "body": text,
            }
        )
    if story == "csm_note":
        when = (as_of - timedelta(days=left_ago + 2)).strftime("%B %d")
        template = rng.choice(CSM_NOTES)
        if "{succ}" in template:
            book.successors[successor["contact_id"]] = ident
        body = template.format(first=leaver["name"].split()[0], name=leaver["name"], when=when, succ=successor["name"])
        m.rows["notes"].append(
            {
                "note_id": f"{ident}-NL",
                "account_id": ident,
                "created_at": m.ts(left_ago),
                "author_email": CSM,
                "body": body,
            }
        )
    if story == "meeting_noise":
        text = rng.choice(NOISE_TEXTS).format(name=leaver["name"])
        m.rows["notes"].append(
            {
                "note_id": f"{ident}-NM",
                "account_id": ident,
                "created_at": m.ts(rng.randint(2, 20)),
                "author_email": CSM,
                "body": text,
            }
        )
    if story in ("departure_status", "autoreply", "bounce", "csm_note"):
        truth.add("stakeholder_left")
        if renewal <= 90:
            truth.add("renewal_risk")
    if story == "escalation":
        for k in range(rng.randint(3, 4)):
            opened = rng.randint(2, 24)
            still_open = k < 2
            tickets.append(
                {
                    "ticket_id": f"{ident}-E{k}",
                    "account_id": ident,
                    "opened_at": m.ts(opened),
                    "closed_at": "" if still_open else m.ts(max(0, opened - 3)),
                    "priority": rng.choice(["urgent", "high"]),
                    "status": "open" if still_open else "solved",
                    "subject": "Sync broken",
                    "body": "Production sync failing.",
                    "csat": "" if still_open else 2,
                }
            )
        truth.add("support_escalation")
        if renewal <= risk_window:
            truth.add("renewal_risk")
    _invoices(m, ident, story, arr)
    if story in ("billing_failed", "billing_overdue"):
        truth.add("billing_risk")
    if story in ("gradual", "sudden", "no_return"):
        truth.add("usage_drop")
        if renewal <= risk_window:
            truth.add("renewal_risk")
    if story in ("over_licence", "growth"):
        truth.add("expansion")
    if story == "low_seats":
        truth.add("renewal_risk")
    return truth


def _invoices(m: _Maker, ident: str, story: str, arr: float) -> None:
    rng, rows = m.rng, m.rows["invoices"]
    monthly = rng.random() < 0.5
    step, amount = (30, arr / 12) if monthly else (91, arr / 4)
    habit = rng.randint(8, 15) if story == "chronic_late" else None
    due_ago = (
        rng.randint(5, step - 3) if story == "chronic_late" and rng.random() < 0.7 else rng.randint(-20, step - 10)
    )
    if story == "chronic_late":
        due_ago = rng.randint(3, (habit or 8) - 1)
    k = 0
    while due_ago < 400:
        paid: int | None = due_ago - (habit + rng.randint(-3, 3) if habit else rng.randint(-5, 2))
        status = "paid"
        if paid is not None and paid < 0:  # not paid yet by as_of
            paid, status = None, "open"
        if due_ago < 0:
            paid, status = None, "open"
        row = {
            "invoice_id": f"{ident}-I{k}",
            "account_id": ident,
            "issued_at": (m.as_of - timedelta(days=due_ago + 30)).isoformat(),
            "due_at": (m.as_of - timedelta(days=due_ago)).isoformat(),
            "paid_at": (m.as_of - timedelta(days=paid)).isoformat() if paid is not None else "",
            "amount": round(amount, 2),
            "currency": "USD",
            "status": status,
        }
        if story == "billing_failed" and k < 2:
            row["due_at"] = (m.as_of - timedelta(days=5 + 12 * k)).isoformat()
            row["paid_at"], row["status"] = "", "failed"
        if story == "billing_overdue" and k == 0:
            row["due_at"] = (m.as_of - timedelta(days=rng.randint(40, 70))).isoformat()
            row["paid_at"], row["status"] = "", "open"
        rows.append(row)
        due_ago += step
        k += 1
    if story == "small_overage":
        rows.append(
            {
                "invoice_id": f"{ident}-OV",
                "account_id": ident,
                "issued_at": (m.as_of - timedelta(days=40)).isoformat(),
                "due_at": (m.as_of - timedelta(days=10)).isoformat(),
                "paid_at": "",
                "amount": round(min(150.0, arr * 0.002), 2),
                "currency": "USD",
                "status": "open",
            }
        )
