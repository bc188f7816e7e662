"""Metrics of the svarut-gateway (outcomes only — never ids or personal data in labels)."""

from __future__ import annotations

from prometheus_client import Counter

SERVICE = "svarut-gateway"

DISPATCHES = Counter(
    "arkiv5_svarut_dispatches_total", "Letters by outcome (accepted, rejected, completed)", ["service", "outcome"]
)
SVARUT_CALLS = Counter(
    "arkiv5_svarut_calls_total", "Calls to SvarUt by operation and outcome", ["service", "operation", "outcome"]
)
