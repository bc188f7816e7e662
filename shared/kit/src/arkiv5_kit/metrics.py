"""Every Prometheus metric of Arkiv5, registered once, labelled by service.

prometheus-client's default registry is per process and all services share one process in
the embedded suite, so each metric carries a `service` label and each service's `/metrics`
shows its own series (plus the process-wide ones). Labels never hold ids, names or numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests",
    ["service", "http_request_method", "http_route", "http_response_status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "arkiv5_events_published_total", "Events the outbox relay handed to the bus and saw acknowledged",
    ["service", "topic"],
)
EVENTS_CONSUMED = Counter(
    "arkiv5_events_consumed_total",
    "Events a consumer finished, by outcome (processed, duplicate, ignored, dead_lettered)",
    ["service", "consumer", "topic", "outcome"],
)
EVENTS_RETRIED = Counter(
    "arkiv5_events_retried_total", "Handler attempts that failed and were retried", ["service", "consumer", "topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "arkiv5_events_dead_lettered_total", "Events sent to a dead-letter topic", ["service", "consumer", "topic"]
)
RELAY_FAILURES = Counter(
    "arkiv5_outbox_relay_failures_total", "Relay batches the bus did not acknowledge (retried)", ["service"]
)
OUTBOX_BACKLOG = Gauge("arkiv5_outbox_backlog", "Outbox events not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "arkiv5_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox event (0 when empty)", ["service"]
)
CONSUMER_LAG = Gauge(
    "arkiv5_consumer_lag", "Events on the bus not yet committed by the consumer", ["service", "consumer", "topic"]
)
BUILD_INFO = Gauge("arkiv5_build_info", "Build information (always 1)", ["service", "version"])


class _ServiceView:
    """A collector view of the registry with only one service's series (and unlabelled ones)."""

    def __init__(self, service: str) -> None:
        self.service = service

    def collect(self) -> Iterable[Metric]:
        for family in REGISTRY.collect():
            samples = [s for s in family.samples if s.labels.get("service", self.service) == self.service]
            if not samples and any("service" in s.labels for s in family.samples):
                continue
            clone = Metric(family.name, family.documentation, family.type, family.unit)
            clone.samples = samples
            yield clone


def metrics_response(service: str) -> Response:
    return Response(generate_latest(_ServiceView(service)), media_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware:
    """Pure ASGI middleware: request duration by route template, never by raw path."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            if template in ("/metrics", "/healthz/live", "/healthz/ready"):
                pass  # scrapes and probes would drown the real traffic
            else:
                HTTP_REQUEST_DURATION.labels(self.service, scope["method"], template, str(status)).observe(
                    time.perf_counter() - started
                )


async def metrics_endpoint(request: Request) -> Response:
    return metrics_response(request.app.state.service_name)
