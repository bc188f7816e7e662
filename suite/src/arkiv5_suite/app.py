"""The one-process suite: every service app mounted under its prefix, one embedded bus.

Starlette does not run a mounted app's lifespan, so this parent's lifespan starts the
shared transport and each service's runtime (relay, consumers, jobs) and stops them in
reverse order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from arkiv5_access.app import create_app as create_access_app
from arkiv5_access.settings import AccessSettings
from arkiv5_conversion.app import create_app as create_conversion_app
from arkiv5_conversion.settings import ConversionSettings
from arkiv5_journal.app import create_app as create_journal_app
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.metrics import metrics_response
from arkiv5_kit.service import ServiceRuntime
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_svarut_gateway.app import create_app as create_svarut_gateway_app
from arkiv5_svarut_gateway.settings import SvarutGatewaySettings


@dataclass(frozen=True)
class MountedService:
    name: str
    prefix: str
    app: FastAPI

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtime


def create_suite_app(var_dir: Path = Path("var")) -> FastAPI:
    var_dir.mkdir(parents=True, exist_ok=True)
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{var_dir}/bus.sqlite")
    common = {"var_dir": var_dir, "bus": "embedded"}
    services = [
        MountedService("journal", "/journal", create_journal_app(JournalSettings(**common), bus)),
        MountedService("access", "/access", create_access_app(AccessSettings(**common), bus)),
        MountedService("conversion", "/conversion", create_conversion_app(ConversionSettings(**common), bus)),
        MountedService(
            "svarut-gateway", "/svarut-gateway", create_svarut_gateway_app(SvarutGatewaySettings(**common), bus)
        ),
    ]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        started: list[MountedService] = []
        try:
            for service in services:
                await service.runtime.start()
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                await service.runtime.stop()
            await bus.stop()

    app = FastAPI(title="Arkiv5", description="All Arkiv5 services in one process", lifespan=lifespan)
    app.state.services = services

    @app.get("/", summary="Where each service and its API documentation are")
    async def index() -> dict[str, object]:
        return {
            "services": {
                s.name: {"base": s.prefix, "docs": f"{s.prefix}/docs", "openapi": f"{s.prefix}/openapi.json"}
                for s in services
            }
        }

    @app.get("/metrics", include_in_schema=False)
    async def metrics():  # type: ignore[no-untyped-def]
        return metrics_response("suite")

    for service in services:
        app.mount(service.prefix, service.app)
    return app
