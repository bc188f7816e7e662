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
from typing import Any, TypeVar

from fastapi import FastAPI

from arkiv5_access.app import create_app as create_access_app
from arkiv5_access.settings import AccessSettings
from arkiv5_conversion.app import create_app as create_conversion_app
from arkiv5_conversion.settings import ConversionSettings
from arkiv5_intake.app import create_app as create_intake_app
from arkiv5_intake.settings import IntakeSettings
from arkiv5_journal.app import create_app as create_journal_app
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.errors import add_exception_handlers
from arkiv5_kit.metrics import metrics_response
from arkiv5_kit.service import ServiceRuntime
from arkiv5_kit.settings import ServiceSettings
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_svarut_gateway.app import create_app as create_svarut_gateway_app
from arkiv5_svarut_gateway.settings import SvarutGatewaySettings
from arkiv5_svarut_gateway.simulator import SimulatorConfig, create_simulator_app, encryption_keypair

from .wiring import DEMO_CLIENT_SECRET, Endpoints, service_values

__all__ = ["DEMO_CLIENT_SECRET", "SIMULATOR_PREFIX", "MountedService", "create_suite_app", "suite_settings"]


@dataclass(frozen=True)
class MountedService:
    name: str
    prefix: str
    app: FastAPI

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtime


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

# KS SvarUt is played by the simulator on one machine; production points the gateway at KS.
SIMULATOR_PREFIX = "/svarut-simulator"


def configured(cls: type[SettingsT], **values: Any) -> SettingsT:
    """Settings for one mounted service; a misspelt name fails here, not silently later."""
    unknown = set(values) - set(cls.model_fields)
    if unknown:
        raise TypeError(f"{cls.__name__} has no setting(s) {sorted(unknown)}")
    return cls(**values)


def simulator_keys(var_dir: Path) -> tuple[str, str]:
    """The simulator's encryption key pair (kept under var/), so screened letters go out on one machine."""
    return encryption_keypair(var_dir / "svarut-simulator")


def suite_settings(var_dir: Path, base_url: str) -> dict[str, ServiceSettings]:
    """How the services find each other in one process: over HTTP on the suite's own port,
    with the demo municipality's client credentials — the wiring `make run-distributed` and
    the manifests take from the same place (`wiring.py`)."""
    values = service_values(
        Endpoints.one_process(base_url, SIMULATOR_PREFIX),
        client_secret=DEMO_CLIENT_SECRET,
        # The simulator's certificate: screened letters are encrypted to it as to KS's in production.
        svarut_certificate_pem=simulator_keys(var_dir)[1],
    )
    classes: dict[str, type[ServiceSettings]] = {
        "journal": JournalSettings, "access": AccessSettings, "conversion": ConversionSettings,
        "svarut-gateway": SvarutGatewaySettings, "intake": IntakeSettings,
    }
    return {name: configured(cls, var_dir=var_dir, bus="embedded", **values[name]) for name, cls in classes.items()}


def create_suite_app(var_dir: Path = Path("var"), base_url: str = "http://127.0.0.1:8000") -> FastAPI:
    var_dir.mkdir(parents=True, exist_ok=True)
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{var_dir}/bus.sqlite")
    settings = suite_settings(var_dir, base_url)
    factories = {
        "journal": create_journal_app,
        "access": create_access_app,
        "conversion": create_conversion_app,
        "svarut-gateway": create_svarut_gateway_app,
        "intake": create_intake_app,
    }
    services = [
        MountedService(name, f"/{name}", factory(settings[name], bus)) for name, factory in factories.items()
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
    add_exception_handlers(app)  # a path no service takes is answered as problem+json too

    @app.get("/", summary="Where each service and its API documentation are")
    async def index() -> dict[str, object]:
        return {
            "services": {
                s.name: {"base": s.prefix, "docs": f"{s.prefix}/docs", "openapi": f"{s.prefix}/openapi.json"}
                for s in services
            },
            "simulators": {"svarut": {"base": f"{SIMULATOR_PREFIX}/api"}},
        }

    @app.get("/metrics", include_in_schema=False)
    async def metrics():  # type: ignore[no-untyped-def]
        return metrics_response("suite")

    for service in services:
        app.mount(service.prefix, service.app)
    key_pem, cert_pem = simulator_keys(var_dir)
    app.mount(SIMULATOR_PREFIX, create_simulator_app(SimulatorConfig(
        encryption_key_pem=key_pem, encryption_certificate_pem=cert_pem)))
    return app
