"""What should be scheduled: one nightly job per organization, one digest job per member, from the database."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot import working_days
from bot.db import Database
from bot.localtime import zone_of
from bot.models import Member, Organization
from bot.tenancy import scope_session

DEFAULT_NIGHTLY_CRON = "0 2 * * *"
DEFAULT_DIGEST_TIME = "08:30"
FIRST_READ_MINUTES = 5


@dataclass(frozen=True)
class JobSpec:
    id: str  # "nightly:3", "digest:17"
    func: str  # textual reference, so the job store can persist it
    args: tuple[int, ...]
    trigger: CronTrigger

    @property
    def signature(self) -> str:
        """What the job is, to tell whether a stored job must be replaced."""
        return f"{self.func}{self.args}{self.trigger!r}"  # as worker._signature reads a stored job


def _digest_trigger(value: str | None, zone: ZoneInfo, days: tuple[str, ...] = working_days.MON_FRI) -> CronTrigger:
    """The member's digest time, on their working days only."""
    hour, _, minute = (value or DEFAULT_DIGEST_TIME).partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        hour, minute = DEFAULT_DIGEST_TIME.split(":")
    return CronTrigger(day_of_week=working_days.cron_field(days), hour=int(hour), minute=int(minute), timezone=zone)


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab's numbering: 0 (and 7) is Sunday


def _crontab_days(field: str) -> str:
    """A crontab day-of-week field as weekday names: APScheduler 3 numbers Monday 0, crontab Sunday 0, so
    "1-5" would silently mean Tuesday to Saturday."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day of week: {part!r}")
        if base == "*":
            first, last = 0, 6
        else:
            low, _, high = base.partition("-")
            first = _cron_day(low)
            last = _cron_day(high) if high else (6 if step_text else first)
            if last < first:
                raise ValueError(f"backwards range in day of week: {part!r}")
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


def _cron_day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3] in _CRON_DAYS:
        return _CRON_DAYS.index(token[:3])
    raise ValueError(f"bad day of week: {token!r}")


def crontab_trigger(expr: str, timezone: ZoneInfo | None = None) -> CronTrigger:
    """A standard five-field crontab line (minute hour day month weekday, Sunday = 0) as a trigger."""
    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"a crontab line has 5 fields, got {len(values)}")
    minute, hour, day, month, weekday = values
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_crontab_days(weekday), timezone=timezone
    )


def nightly_cron(org: Organization) -> str:
    return str((org.settings or {}).get("schedule", {}).get("nightly_cron") or DEFAULT_NIGHTLY_CRON)


def plan(db: Database) -> list[JobSpec]:
    specs = []
    with db.session() as session:
        for org in session.scalars(select(Organization).order_by(Organization.id)):
            zone = zone_of(org.timezone)
            try:
                trigger = crontab_trigger(nightly_cron(org), zone)
            except ValueError:
                trigger = crontab_trigger(DEFAULT_NIGHTLY_CRON, zone)
            specs.append(JobSpec(f"nightly:{org.id}", "bot.scheduler.jobs:nightly", (org.id,), trigger))
            # Late handoffs are reminded when people work, not at 02:00.
            working_hours = CronTrigger(day_of_week="mon-fri", hour="9-17", minute=5, timezone=zone)
            specs.append(JobSpec(f"reminders:{org.id}", "bot.scheduler.jobs:reminders", (org.id,), working_hours))
            quarterly = CronTrigger(minute="7/15", timezone=zone)  # failed digests, sent again the same day
            specs.append(JobSpec(f"redeliver:{org.id}", "bot.scheduler.jobs:redeliver", (org.id,), quarterly))
            # The first read of a new organization or member goes out within minutes, not the next morning.
            soon = CronTrigger(minute=f"*/{FIRST_READ_MINUTES}", timezone=zone)
            specs.append(JobSpec(f"first_reads:{org.id}", "bot.scheduler.jobs:first_reads", (org.id,), soon))
            scope_session(session, org.id)  # each organization's members, read in its own scope
            members = session.scalars(
                select(Member).where(Member.org_id == org.id, Member.active.is_(True), Member.role.in_(("am", "csm")))
            )
            for m in members:
                zone_name = m.timezone or org.timezone
                days = working_days.of_member(m.working_days, zone_name)
                trigger = _digest_trigger(m.digest_time, zone_of(m.timezone, org.timezone), days)
                specs.append(JobSpec(f"digest:{m.id}", "bot.scheduler.jobs:member_digest", (m.id, org.id), trigger))
    return specs
