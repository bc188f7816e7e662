"""The runtime every service is built from, and the FastAPI app around it.

`ServiceRuntime` owns a service's database, outbox, relay, consumers and scheduled jobs
and starts and stops them. A standalone app runs it from its own lifespan; when the suite
mounts several apps in one process (Starlette never runs a mounted app's lifespan) the
parent calls `start()` and `stop()` of each runtime itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arkiv5_contracts.envelope import EventData
from arkiv5_contracts.identifiers import allow_synthetic_identifiers

from . import migrations
from .apidocs import documented_app
from .auth import JwksCache, TokenVerifier
from .bus import create_transport
from .consumer import BatchHandler, EventConsumer, Handler
from .context import correlation_id_var
from .db import Database
from .dberrors import add_database_error_handlers
from .errors import add_exception_handlers, declare_problem_responses, internal_error_response
from .health import ReadinessCheck, health_router
from .inputs import InputPolicyMiddleware
from .limits import InputLimits
from .metrics import BUILD_INFO, HttpMetricsMiddleware, metrics_endpoint
from .outbox import Outbox
from .proxy import ForwardedPrefixMiddleware
from .relay import OutboxRelay
from .settings import ServiceSettings
from .transport.base import Transport

log = logging.getLogger(__name__)

BackgroundJob = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
Hook = Callable[[], Awaitable[None]]


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        transport: Transport | None = None,
        *,
        migrations_dir: Path | None = None,
        version: str = "0.1.0",
    ) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.version = version
        self.transport = transport or create_transport(settings)
        self.database = Database(settings.resolved_database_url(), pool_size=settings.database_pool_size)
        self.outbox = Outbox()
        self.migrations_dir = migrations_dir
        self.relay = OutboxRelay(
            service=self.name,
            database=self.database,
            transport=self.transport,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            idle_poll_max_s=settings.outbox_idle_poll_max_s,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self.consumers: list[EventConsumer] = []
        self._jobs: list[tuple[str, BackgroundJob]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._start_hooks: list[Hook] = []
        self._stop_hooks: list[Hook] = []
        self.started = False

    def on_start(self, hook: Hook) -> Hook:
        """Run `hook` at every start: after migrations and the bus, before the relay, consumers
        and jobs (so a signing key or a seed exists before anything serves). In order added;
        usable as a decorator."""
        self._start_hooks.append(hook)
        return hook

    def on_stop(self, hook: Hook) -> Hook:
        """Run `hook` at every stop: after consumers, jobs and the relay have ended, before the
        bus and the database close. In reverse order of adding; a failing hook is logged and
        the others still run."""
        self._stop_hooks.append(hook)
        return hook

    def add_consumer(
        self,
        name: str,
        handlers: Mapping[type[EventData], Handler] | None = None,
        *,
        batch_handlers: Mapping[type[EventData], BatchHandler] | None = None,
    ) -> EventConsumer:
        """An idempotent consumer group `<service>.<name>`; `batch_handlers` take a list of
        events in one transaction (see `consumer.py`)."""
        consumer = EventConsumer(
            service=self.name,
            name=name,
            database=self.database,
            transport=self.transport,
            handlers=handlers,
            batch_handlers=batch_handlers,
            batch_size=self.settings.consumer_batch_size,
            max_attempts=self.settings.consumer_max_attempts,
            retry_initial_s=self.settings.consumer_retry_initial_s,
            retry_max_s=self.settings.consumer_retry_max_s,
            fetch_timeout_s=self.settings.resolved_consumer_idle_wait_s(self.transport.name),
        )
        self.consumers.append(consumer)
        return consumer

    def add_job(self, name: str, job: BackgroundJob) -> None:
        """A scheduled or long-running job; it must return soon after the event is set."""
        self._jobs.append((name, job))

    async def migrate(self) -> None:
        if self.migrations_dir is not None:
            await migrations.upgrade(self.database, self.migrations_dir)

    async def start(self) -> None:
        if self.started:
            return
        allow_synthetic_identifiers(self.settings.allows_synthetic_identifiers)
        BUILD_INFO.labels(self.name, self.version).set(1)
        if self.settings.migrate_on_start:
            await self.migrate()
        await self.transport.start()
        try:
            for hook in self._start_hooks:
                await hook()
        except BaseException:
            await self.transport.stop()
            raise
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self.relay.run(), name=f"{self.name}-relay")]
        self._tasks += [asyncio.create_task(c.run(), name=c.group) for c in self.consumers]
        self._tasks += [asyncio.create_task(job(self._stopping), name=f"{self.name}-{n}") for n, job in self._jobs]
        self.started = True
        log.info("service started", extra={"service": self.name, "transport": self.transport.name})

    async def stop(self) -> None:
        """Graceful: consumers finish and commit their batch, the relay flushes, then close."""
        if not self.started:
            return
        self.started = False
        self._stopping.set()
        for consumer in self.consumers:
            consumer.stop()
        consumer_tasks = self._tasks[1 : 1 + len(self.consumers)]
        await self._await(consumer_tasks + self._tasks[1 + len(self.consumers) :])
        self.relay.stop()
        await self._await(self._tasks[:1])
        self._tasks = []
        for hook in reversed(self._stop_hooks):
            try:
                await hook()
            except Exception as exc:
                log.error("stop hook %s failed with %s", getattr(hook, "__qualname__", hook), type(exc).__name__)
        await self.transport.stop()
        await self.database.dispose()
        log.info("service stopped", extra={"service": self.name})

    async def _await(self, tasks: Sequence[asyncio.Task[None]]) -> None:
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=self.settings.shutdown_timeout_s)
        for task in pending:
            log.warning("task %s did not stop in time; cancelling", task.get_name())
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("task %s ended with %s", task.get_name(), type(task.exception()).__name__)
        if pending:
            await asyncio.wait(pending, timeout=5)

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


class CorrelationIdMiddleware:
    """Takes `X-Correlation-ID` (a UUID) from the request or makes one, and echoes it.

    It also turns a crash into the 500 problem itself: Starlette's outermost error
    middleware would answer outside the correlation context and without the header.
    """

    header = b"x-correlation-id"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation = _parse_uuid(dict(scope["headers"]).get(self.header)) or uuid4()
        token = correlation_id_var.set(correlation)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((self.header, str(correlation).encode()))
            await send(message)

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send_wrapper(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unhandled error", exc_info=exc, extra={"error_type": type(exc).__name__})
            if response_started:
                raise
            await internal_error_response(scope.get("path", ""))(scope, receive, send_wrapper)
        finally:
            correlation_id_var.reset(token)


def _parse_uuid(raw: bytes | None) -> UUID | None:
    if not raw:
        return None
    try:
        return UUID(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    readiness: Mapping[str, ReadinessCheck] | None = None,
    input_limits: InputLimits | None = None,
) -> FastAPI:
    """The FastAPI app of one service with everything every service has.

    Every request passes the input policy (`inputs.py`, limits from `input_limits`) before
    its body is parsed; database errors answer as precise problems (`dberrors.py`); the
    OpenAPI document declares the problem+json answers of each operation.
    """
    settings = runtime.settings
    app = documented_app(title=title, description=description, version=runtime.version, lifespan=runtime.lifespan)
    app.state.service_name = runtime.name
    app.state.runtime = runtime
    if settings.jwks_url and settings.token_issuer:
        app.state.token_verifier = TokenVerifier(
            JwksCache(settings.jwks_url), issuer=settings.token_issuer, audience=runtime.name
        )
    add_exception_handlers(app)
    add_database_error_handlers(app)
    declare_problem_responses(app)
    app.add_middleware(InputPolicyMiddleware, routes_of=app.router, limits=input_limits or InputLimits())
    app.add_middleware(HttpMetricsMiddleware, service=runtime.name)
    app.add_middleware(CorrelationIdMiddleware)
    # Outermost: behind an ingress that strips /<service>, every later step sees the path the
    # caller used, and links (Location, OpenAPI servers) carry the prefix (proxy.py).
    app.add_middleware(ForwardedPrefixMiddleware)
    app.include_router(health_router({"database": runtime.database.ping, **(readiness or {})}))
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    return app
