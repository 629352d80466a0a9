"""Prometheus metrics: runs, durations, signals, deliveries and failures (no labels carrying personal data)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RUNS = Counter("tandem_runs_total", "Pipeline stage runs", ["stage", "outcome"])
RUN_SECONDS = Histogram(
    "tandem_run_seconds", "Duration of pipeline stages", ["stage"], buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
)
ACTIVE_SIGNALS = Gauge("tandem_active_signals", "Active signals after the last rescore", ["org"])
DELIVERIES = Counter("tandem_deliveries_total", "Outgoing messages by outcome", ["platform", "kind", "status"])
FAILURES = Counter("tandem_failures_total", "Failures that did not stop the run", ["kind"])
SCHEDULER_LEADER = Gauge("tandem_scheduler_leader", "1 when this process runs the scheduler")
