"""The svarut-gateway service's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .settings import SvarutGatewaySettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: SvarutGatewaySettings | None = None, bus: Transport | None = None) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process."""
    settings = settings or SvarutGatewaySettings()
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    return create_service_app(
        runtime,
        title="Arkiv5 SvarUt gateway",
        description="Sends outgoing letters and decisions through KS SvarUt — never twice, never lost — and reports delivery.",
        routers=routers,
    )
