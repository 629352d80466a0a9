"""Operations: `tandem status` and `/metrics` report a failing source and a failed delivery; `/readyz`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.app import create_app
from bot.db import Database
from bot.models import Member
from bot.pipeline import run_digests
from bot.scheduler import jobs
from bot.scheduler.worker import Worker
from bot.settings import Settings
from bot.sources import remember_source
from tests.test_demo_pipeline import run
from tests.test_scheduler import _Recording, _worker, book  # noqa: F401  (fixture)

BRUNO = "bruno.costa@tandem-demo.example"


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _break_a_night(db: Database, tmp_path: Path) -> None:
    """A night where the files source is gone and Bruno's digest cannot be delivered."""
    remember_source(db, "default", "files", {"kind": "files", "path": str(tmp_path / "gone")})
    _worker(db, tmp_path / "out")
    with db.session() as session:
        org_id = session.scalar(select(Member.org_id))
    assert org_id is not None
    jobs.nightly(org_id)
    channel = _Recording(refuse=BRUNO)
    run_digests(db, "default", datetime.now(UTC).date(), {"slack": channel, "teams": channel})


@pytest.fixture
def broken_night(book: Database, tmp_path: Path) -> Iterator[Database]:  # noqa: F811
    _break_a_night(book, tmp_path)
    yield book


def test_status_reports_sources_runs_and_failed_deliveries(
    broken_night: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    worker = Worker(Settings(database_url=broken_night.url), broken_night)
    worker.start(paused=True)  # plans and stores the jobs, runs nothing
    try:
        report = json.loads(run("status", "--json"))
    finally:
        worker.stop()
    (org,) = report
    assert org["slug"] == "default"
    (source,) = org["sources"]
    assert source["source"] == "files" and "not a directory" in source["last_error"]
    assert any(job.startswith("nightly:") for job in org["next_runs"])
    assert any(job.startswith("digest:") for job in org["next_runs"])
    failed = [d for d in org["failed_deliveries"] if d["member"] == BRUNO]
    assert failed and "ConnectionError" in failed[0]["error"]
    assert all(d["member"] == BRUNO for d in org["failed_deliveries"])

    text = run("status")
    assert "files: failing" in text and "error:" in text and "failed or waiting for a retry" in text


def test_metrics_count_runs_deliveries_and_failures(book: Database, tmp_path: Path) -> None:  # noqa: F811
    client = TestClient(create_app(Settings(database_url=book.url), book))
    before = _samples(client)
    _break_a_night(book, tmp_path)
    after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("tandem_runs_total", stage="sync", outcome="failed") == 1
    assert grew("tandem_runs_total", stage="score", outcome="ok") == 1
    assert grew("tandem_deliveries_total", platform="slack", kind="digest", status="failed") >= 1
    assert grew("tandem_deliveries_total", platform="slack", kind="digest", status="sent") >= 1
    assert after[("tandem_active_signals", (("org", "default"),))] > 0
    assert grew("tandem_run_seconds_count", stage="score") == 1
    assert not any(BRUNO in name or any(BRUNO in v for _, v in labels) for name, labels in after)


def test_ready_only_on_a_current_schema(db: Database, tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(database_url=db.url), db))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200

    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # reachable, never migrated
    fresh = TestClient(create_app(Settings(database_url=empty.url), empty))
    assert fresh.get("/healthz").status_code == 200
    response = fresh.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "not ready"}


def test_status_of_an_empty_database_says_what_to_do(cli_env: dict[str, str]) -> None:
    assert "No organization yet" in run("status")
