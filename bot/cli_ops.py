"""Operations commands: `tandem worker` (the scheduler alone) and `tandem status`."""

from __future__ import annotations

import json
import signal
import sys
from typing import Annotated, Any

import typer

from bot.cli_common import open_db, out
from bot.settings import get_settings
from bot.status import all_status


def worker(
    poll: Annotated[float, typer.Option("--poll", help="Seconds between attempts to lead the scheduler.")] = 15.0,
) -> None:
    """Run the scheduler without the web application: nightly sync and score, digests at local times."""
    from bot.scheduler.worker import Worker

    db = open_db()
    runner = Worker(get_settings(), db, poll_seconds=poll)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    out.print("Tandem worker started: it schedules while it holds the leader lock (Ctrl-C to stop).")
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()


def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Last and next runs per organization, each source's health, delivery failures, unreachable people."""
    from bot.scheduler.worker import Worker

    db = open_db()
    next_runs = Worker.stored_next_runs(db)
    with db.session() as session:
        reports = [r.as_dict() for r in all_status(session, next_runs)]
    if as_json:
        sys.stdout.write(json.dumps(reports, indent=2) + "\n")
        return
    if not reports:
        out.print("No organization yet: `tandem demo` loads one, `tandem sync` imports yours.")
    for r in reports:
        _print_org(r)


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h"


def _print_org(r: dict[str, Any]) -> None:
    out.print(f"[bold]{r['slug']}[/]")
    for run in r["last_runs"] or [{"source": "-", "status": "never run", "started_at": ""}]:
        out.print(f"  last sync   {run['source']}: {run['status']} {run['started_at'] or ''}")
    for job in r["last_jobs"]:
        error = f" ({job['error']})" if job["error"] else ""
        out.print(f"  last run    {job['job']}: {job['status']} {job['started_at']}{error}")
    for job, when in sorted(r["next_runs"].items()):
        out.print(f"  next run    {job}: {when}")
    if not r["next_runs"]:
        out.print("  next run    none scheduled (is a worker or `tandem serve` running?)")
    for s in r["sources"]:
        health = "failing" if s["last_error"] else "ok"
        out.print(f"  source      {s['source']}: {health}, last success {s['last_success_at'] or 'never'}")
        if s["last_error"]:
            out.print(f"              error: {s['last_error']}")
    out.print(f"  deliveries  {len(r['failed_deliveries'])} failed or waiting for a retry")
    for d in r["failed_deliveries"][:10]:
        out.print(f"              {d['key']} ({d['status']}, {d['attempts']} attempts): {d['error']}")
    pending = r["pending_deliveries"]
    out.print(f"  pending     {len(pending)} message(s) recorded and not sent yet")
    for d in pending[:10]:
        error = f": {d['error']}" if d["error"] else ""
        out.print(f"              {d['key']} ({_age(d['age_seconds'])} old, {d['attempts']} attempts){error}")
    planned = r["planned_digests"]
    if planned.get("counts"):
        counts = ", ".join(f"{n} {state}" for state, n in sorted(planned["counts"].items()))
        ahead = f"; {planned['upcoming']} planned ahead" if planned.get("upcoming") else ""
        out.print(f"  digests     due in the last day: {counts}{ahead}")
    for p in planned.get("problems", [])[:10]:
        error = f": {p['error']}" if p["error"] else ""
        out.print(f"              {p['member']} {p['day']} {p['status']}, due {_age(p['late_seconds'])} ago{error}")
    if r["unreachable"]:
        out.print(f"  unreachable {', '.join(r['unreachable'])} (removed the bot; digests kept for their return)")
