"""Metrics of the svarut-gateway (outcomes and reason codes only — never ids or personal data in labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SERVICE = "svarut-gateway"

DISPATCHES = Counter(
    "arkiv5_svarut_dispatches_total", "Letters by outcome (accepted, rejected, completed)", ["service", "outcome"]
)
SVARUT_CALLS = Counter(
    "arkiv5_svarut_calls_total", "Calls to SvarUt by operation and outcome", ["service", "operation", "outcome"]
)
WAITING = Gauge(
    "arkiv5_svarut_dispatches_waiting",
    "Letters not on their way yet, by the reason they wait (counted in the database, one query)",
    ["service", "reason"],
)
OLDEST_WAITING = Gauge(
    "arkiv5_svarut_dispatch_oldest_waiting_seconds",
    "How long the longest-waiting letter has waited for its current reason (0 when none waits)",
    ["service", "reason"],
)
