"""The conversion service's metrics (labels: service, bounded format keys, outcomes — never ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOBS = Counter(
    "arkiv5_conversion_jobs_total", "Finished conversion jobs by source format and outcome (done|failed)",
    ["service", "format", "outcome"],
)
FAILURES = Counter(
    "arkiv5_conversion_failures_total",
    "Failed conversion jobs by reason code (password-protected, corrupt, unsupported-format, converter-crashed, …)",
    ["service", "reason"],
)
DURATION = Histogram(
    "arkiv5_conversion_duration_seconds", "Time to convert one document (fetch, convert, validate)",
    ["service", "format"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
FAILED_LAST_NIGHT = Gauge(
    "arkiv5_conversion_failed_last_night", "Failures in the morning report (last night's window)", ["service"]
)
ENGINE_AVAILABLE = Gauge(
    "arkiv5_conversion_engine_available", "1 when the converter is installed and usable", ["service", "engine"]
)
