"""The conversion service's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .settings import ConversionSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: ConversionSettings | None = None, bus: Transport | None = None) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process."""
    settings = settings or ConversionSettings()
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    return create_service_app(
        runtime,
        title="Arkiv5 conversion",
        description="Identifies document formats and converts them to archival formats (PDF/A), nightly and on demand.",
        routers=routers,
    )
