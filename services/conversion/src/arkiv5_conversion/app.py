"""The conversion service's app factory."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from arkiv5_contracts.events.journal import JournalpostStatusChanged
from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .engine import ghostscript
from .engine.listeners import ListenerPool, libreoffice_available
from .journal_client import HttpJournalClient, JournalClient
from .metrics import ENGINE_AVAILABLE
from .pipeline import Converter, OfficeEngine
from .policy import load_policy
from .service import ConversionService, status_changed_handler
from .settings import ConversionSettings
from .validate import BasicPdfaValidator, Validator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
INSTALL_HINT = (
    "apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui "
    "libreoffice-impress-nogui python3-uno ghostscript fonts-dejavu fonts-liberation"
)


def create_app(
    settings: ConversionSettings | None = None, bus: Transport | None = None, *,
    journal: JournalClient | None = None, office: OfficeEngine | None = None, validator: Validator | None = None,
) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process.

    `journal`, `office` and `validator` replace the real ones (tests, benchmarks).
    """
    settings = settings or ConversionSettings()
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    app = create_service_app(
        runtime,
        title="Arkiv5 conversion",
        description="Identifies document formats and converts them to archival formats (PDF/A), nightly and on demand.",
        routers=routers,
    )
    office_missing = None if office is not None else libreoffice_available(settings.soffice_path, settings.uno_python)
    pool: ListenerPool | None = None
    if office is None and office_missing is None:
        pool = ListenerPool(
            settings.listeners, soffice=settings.soffice_path, python=settings.uno_python,
            memory_mb=settings.memory_limit_mb, restart_after=settings.listener_restart_after,
            start_timeout_s=settings.listener_start_timeout_s,
        )
        office = pool
    gs_missing = None if ghostscript.available(settings.ghostscript_path) else "Ghostscript is not installed"
    app.state.engines = {
        "libreoffice": office_missing or "ok", "ghostscript": gs_missing or "ok",
        "install": INSTALL_HINT if (office_missing or gs_missing) else None,
    }
    ENGINE_AVAILABLE.labels("conversion", "libreoffice").set(0 if office_missing else 1)
    ENGINE_AVAILABLE.labels("conversion", "ghostscript").set(0 if gs_missing else 1)

    if journal is None:
        auth = None
        if settings.token_url and settings.client_id and settings.client_secret:
            auth = ClientCredentials(
                settings.token_url, client_id=settings.client_id, client_secret=settings.client_secret,
                audience="journal", scopes=["journal.documents.read", "journal.documents.write-archival"],
            )
        journal = HttpJournalClient(settings.journal_url, auth=auth, timeout_s=settings.journal_timeout_s)

    converter = Converter(
        settings, load_policy(settings.format_policy_file), office, validator or BasicPdfaValidator(),
        office_missing=office_missing, ghostscript_missing=gs_missing,
    )
    conversion = ConversionService(
        settings=settings, database=runtime.database, outbox=runtime.outbox, journal=journal, converter=converter,
    )
    app.state.conversion = conversion
    runtime.add_consumer("journalpost-status", {JournalpostStatusChanged: status_changed_handler(settings)})
    runtime.add_job("worker", conversion.worker_loop)
    if settings.nightly_enabled:
        runtime.add_job("nightly", conversion.nightly_loop)

    async def close_engines(stopping: asyncio.Event) -> None:
        await stopping.wait()
        if pool is not None:
            await pool.close()
        if isinstance(journal, HttpJournalClient):
            await journal.aclose()

    runtime.add_job("engines", close_engines)
    return app
