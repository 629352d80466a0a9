"""What the CLI prints and the rows its --json options emit."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.ingest import IngestReport
from bot.models import Account, Feedback, HealthScore, Signal
from bot.pipeline import DeliveryReport
from bot.render.text import alert_text, digest_text
from scoring.results import SEVERITY_NAMES

MAX_PROBLEMS_SHOWN = 20


def print_sync(console: Console, report: IngestReport, problems_file: Path | None = None) -> None:
    created = ", ".join(f"{n} {k}" for k, n in sorted(report.created.items())) or "nothing new"
    updated = ", ".join(f"{n} {k}" for k, n in sorted(report.updated.items())) or "nothing"
    console.print(f"Synced: created {created}; updated {updated}.")
    if report.departures:
        console.print(f"Departures seen: {len(report.departures)} contact(s) left.")
    for heading, lines in (("row(s) skipped", report.problems), ("warning(s), rows kept", report.warnings)):
        if not lines:
            continue
        console.print(f"{len(lines)} {heading}:", style="yellow")
        for line in lines[:MAX_PROBLEMS_SHOWN]:
            console.print(f"  {line}", style="yellow", markup=False)
        if len(lines) > MAX_PROBLEMS_SHOWN:
            rest = "see them all with --problems FILE" if problems_file is None else f"all in {problems_file}"
            console.print(f"  ... and {len(lines) - MAX_PROBLEMS_SHOWN} more ({rest})", style="yellow")
    if problems_file is not None:
        write_problems(report, problems_file)
        console.print(f"Problems written to {problems_file}: {len(report.problems) + len(report.warnings)}.")


def write_problems(report: IngestReport, target: Path) -> None:
    """Every problem of the sync, one a line: skipped rows first, then warnings about kept rows."""
    lines = [f"skipped\t{p}" for p in report.problems] + [f"warning\t{w}" for w in report.warnings]
    target.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def print_alerts(console: Console, report: DeliveryReport) -> None:
    if not report.alerts:
        console.print("No new stakeholder alerts.")
    for recipients, alert in report.alerts:
        console.rule(f"ALERT for {', '.join(recipients) or 'nobody (no owner on file)'}")
        console.print(alert_text(alert), markup=False)


def print_digests(console: Console, report: DeliveryReport) -> None:
    for email, digest in report.digests:
        console.rule(f"Digest for {digest.member_name} <{email}> ({digest.role.upper()})")
        console.print(digest_text(digest), markup=False)


def print_deliveries(console: Console, reports: list[DeliveryReport], out: Path | None) -> None:
    if out is None:
        return
    sent = sum(r.count("sent") for r in reports)
    skipped = sum(r.count("skipped") for r in reports)
    failed = sum(r.count("failed") for r in reports)
    console.print(f"Outbox {out}: {sent} written, {skipped} already there, {failed} failed.")


def account_rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    latest = (
        select(HealthScore.account_id, func.max(HealthScore.day).label("day"))
        .where(HealthScore.org_id == org_id)
        .group_by(HealthScore.account_id)
        .subquery()
    )
    health = {
        account_id: score
        for account_id, score in session.execute(
            select(HealthScore.account_id, HealthScore.score).join(
                latest, (latest.c.account_id == HealthScore.account_id) & (latest.c.day == HealthScore.day)
            )
        )
    }
    kinds: dict[int, list[str]] = defaultdict(list)
    for account_id, kind in session.execute(
        select(Signal.account_id, Signal.kind)
        .where(Signal.org_id == org_id, Signal.status == "active")
        .order_by(Signal.severity.desc(), Signal.kind)
    ):
        kinds[account_id].append(kind)
    return [
        {
            "id": a.external_id,
            "name": a.name,
            "arr": float(a.arr) if a.arr is not None else None,
            "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None,
            "health": health.get(a.id),
            "signals": kinds[a.id],
        }
        for a in session.scalars(select(Account).where(Account.org_id == org_id).order_by(Account.name))
    ]


def signal_rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Signal, Account.external_id, Account.name)
        .join(Account, Account.id == Signal.account_id)
        .where(Signal.org_id == org_id, Signal.status == "active")
        .order_by(Signal.severity.desc(), Account.name, Signal.kind)
    )
    return [
        {
            "account_id": external_id,
            "account_name": name,
            "kind": s.kind,
            "severity": SEVERITY_NAMES.get(s.severity, str(s.severity)),
            "reasons": list(s.reasons),
            "title": s.title,
            "key": s.key,
            "value_at_stake": float(s.value_at_stake) if s.value_at_stake is not None else None,
            "evidence": s.evidence,
            "first_seen_at": s.first_seen_at.isoformat(),
        }
        for s, external_id, name in rows
    ]


def feedback_rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Per signal kind, how people rated its digest items: the noisiest kinds first, to tune their thresholds
    (`PUT /admin/orgs/<slug>/settings`)."""
    useful = func.sum(case((Feedback.useful.is_(True), 1), else_=0))
    rows = session.execute(
        select(Feedback.kind, func.count(), useful).where(Feedback.org_id == org_id).group_by(Feedback.kind)
    )
    shaped = [
        {"kind": kind, "ratings": total, "useful": int(yes or 0), "not_useful": total - int(yes or 0)}
        for kind, total, yes in rows
    ]
    for row in shaped:
        row["not_useful_share"] = round(row["not_useful"] / row["ratings"], 2)
    return sorted(shaped, key=lambda r: (-r["not_useful_share"], -r["ratings"], r["kind"]))


def print_table(console: Console, rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(
            *(
                ", ".join(v) if isinstance(v, list) else "" if v is None else str(v)
                for v in (row.get(c) for c in columns)
            )
        )
    console.print(table)
