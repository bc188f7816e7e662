"""The journal service's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import configure_mappers

from arkiv5_kit.accounts import account_check
from arkiv5_kit.clock import SYSTEM_CLOCK, Clock
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .api.clock import ClockMiddleware
from .api.sporing import SporingMiddleware
from .blobstore import FilesystemBlobStore
from .blobsweep import sweep_job
from .consumers import register_consumers
from .context import Context
from .models import KontoSperre
from .noark5.allow import Noark5Allow
from .noark5.cors import add_cors
from .settings import JournalSettings
from .uttrekk.jobs import UttrekkRunner

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: JournalSettings | None = None, bus: Transport | None = None,
               clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process; `clock` is the
    day decisions are taken for (a test passes a settable one)."""
    settings = settings or JournalSettings()
    # Mappers are otherwise set up by the first ORM query; records built with model_construct
    # (registration) need them before that.
    configure_mappers()
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    context = Context(settings=settings, outbox=runtime.outbox, clock=clock)
    register_consumers(runtime, context)
    app = create_service_app(
        runtime,
        title="Arkiv5 journal",
        description="The Noark 5 archive: saksmappe, journalpost, dokumenter, numbering, workflow, public journal, reports and search.",
        routers=routers,
    )
    app.add_middleware(SporingMiddleware, runtime=runtime)  # the sporingslogg of screened reads
    app.add_middleware(ClockMiddleware, state=app.state)  # decisions on the context's clock
    app.add_middleware(Noark5Allow)  # the Noark 5 interface's Allow, and its OPTIONS
    add_cors(app, settings.noark5_cors_origins)  # outermost: the Noark 5 interface's CORS, if origins are named
    app.state.journal_context = context
    app.state.blob_store = FilesystemBlobStore(settings.resolved_blob_dir())
    # A disabled account's token is refused as invalid (401) as soon as AccountDisabled is read.
    app.state.account_disabled = account_check(runtime.database, KontoSperre, clock)
    app.state.uttrekk_runner = UttrekkRunner(settings, runtime.database, app.state.blob_store)
    if settings.uttrekk_runner:
        runtime.add_job("uttrekk", app.state.uttrekk_runner.run)
    if settings.blob_sweep_interval_hours > 0:
        runtime.add_job("blob-sweep", sweep_job(settings, runtime.database, app.state.blob_store))
    return app
