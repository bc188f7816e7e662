"""The conversion service's app factory."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from fastapi import FastAPI

from arkiv5_contracts.events.journal import DokumentAdded
from arkiv5_kit.accounts import follow_disabled_accounts
from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .consumers import dokument_added_handler, journalfoert_handlers
from .engine import ghostscript
from .engine.listeners import ListenerPool, libreoffice_available
from .engine.verapdf import VeraPdf, default_classpath, verapdf_available
from .journal_client import HttpJournalClient, JournalClient
from .metrics import ENGINE_AVAILABLE
from .models import DisabledAccount
from .pipeline import Converter, OfficeEngine
from .policy import load_policy
from .service import ConversionService
from .settings import ConversionSettings
from .validate import BasicPdfaValidator, UnavailableValidator, Validator, VeraPdfValidator

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
INSTALL_HINT = (
    "apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui "
    "libreoffice-impress-nogui python3-uno ghostscript fonts-dejavu fonts-liberation"
)


def create_app(
    settings: ConversionSettings | None = None,
    bus: Transport | None = None,
    *,
    journal: JournalClient | None = None,
    office: OfficeEngine | None = None,
    validator: Validator | None = None,
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
        # A missing converter is not a readiness failure: everything else still converts, and
        # /internal/engines, the engine metric and the alert say what is missing. Without a
        # writable work directory nothing can be converted at all.
        readiness={"workspace": workspace_check(settings)},
    )
    office_missing = None if office is not None else libreoffice_available(settings.soffice_path, settings.uno_python)
    pool: ListenerPool | None = None
    if office is None and office_missing is None:
        pool = ListenerPool(
            settings.listeners,
            soffice=settings.soffice_path,
            python=settings.uno_python,
            memory_mb=settings.memory_limit_mb,
            restart_after=settings.listener_restart_after,
            start_timeout_s=settings.listener_start_timeout_s,
            spares=settings.listener_spares,
            niceness=settings.tool_niceness,
        )
        office = pool
    gs_missing = None if ghostscript.available(settings.ghostscript_path) else "Ghostscript is not installed"
    verapdf: VeraPdf | None = None
    verapdf_state = "not used (CONVERSION_VALIDATOR=basic)"
    if validator is None:
        validator, verapdf, verapdf_state = _make_validator(settings)
    else:
        verapdf_state = f"ok ({type(validator).__name__})" if validator.full else verapdf_state
    app.state.engines = {
        "libreoffice": office_missing or "ok",
        "ghostscript": gs_missing or "ok",
        "verapdf": verapdf_state,
        "validator": "verapdf" if validator.full else "basic",
        "install": INSTALL_HINT if (office_missing or gs_missing) else None,
    }
    ENGINE_AVAILABLE.labels("conversion", "libreoffice").set(0 if office_missing else 1)
    ENGINE_AVAILABLE.labels("conversion", "ghostscript").set(0 if gs_missing else 1)
    if settings.validator != "basic":
        ENGINE_AVAILABLE.labels("conversion", "verapdf").set(1 if validator.full else 0)
    for engine, state in app.state.engines.items():
        if engine in ("libreoffice", "ghostscript", "verapdf") and not str(state).startswith(("ok", "not used")):
            log.warning("conversion engine missing", extra={"engine": engine, "detail": state})

    if journal is None:
        auth = None
        if settings.token_url and settings.client_id and settings.client_secret:
            auth = ClientCredentials(
                settings.token_url,
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                audience="journal",
                scopes=["journal.documents.read", "journal.documents.write-archival"],
            )
        journal = HttpJournalClient(settings.journal_url, auth=auth, timeout_s=settings.journal_timeout_s)

    converter = Converter(
        settings,
        load_policy(settings.format_policy_file),
        office,
        validator,
        office_missing=office_missing,
        ghostscript_missing=gs_missing,
    )
    conversion = ConversionService(
        settings=settings,
        database=runtime.database,
        outbox=runtime.outbox,
        journal=journal,
        converter=converter,
    )
    app.state.conversion = conversion
    runtime.add_consumer("journalpost-status", journalfoert_handlers(settings, conversion))
    runtime.add_consumer("dokument-added", {DokumentAdded: dokument_added_handler(settings, conversion)})
    # A disabled account's token is refused as invalid (401) as soon as AccountDisabled is read.
    app.state.account_disabled = follow_disabled_accounts(runtime, DisabledAccount)
    runtime.add_job("worker", conversion.worker_loop)
    if settings.nightly_enabled:
        runtime.add_job("nightly", conversion.nightly_loop)

    async def close() -> None:
        await conversion.stop_batches()
        if pool is not None:
            await pool.close()
        if verapdf is not None:
            await verapdf.stop()
        if isinstance(journal, HttpJournalClient):
            await journal.aclose()

    async def close_engines(stopping: asyncio.Event) -> None:
        await stopping.wait()
        await close()

    runtime.add_job("engines", close_engines)
    app.state.close_engines = close  # the command line's batch, which never starts the runtime
    return app


def _make_validator(settings: ConversionSettings) -> tuple[Validator, VeraPdf | None, str]:
    """The validator the setting asks for: veraPDF when installed (auto) or demanded (verapdf)."""
    if settings.validator == "basic":
        return BasicPdfaValidator(), None, "not used (CONVERSION_VALIDATOR=basic)"
    classpath = settings.verapdf_classpath or default_classpath()
    missing = verapdf_available(settings.java_path, classpath)
    if missing is None:
        verapdf = VeraPdf(
            java=settings.java_path,
            classpath=classpath,
            heap_mb=settings.verapdf_heap_mb,
            timeout_s=settings.verapdf_timeout_s,
            restart_after=settings.verapdf_restart_after,
            niceness=settings.tool_niceness,
        )
        return VeraPdfValidator(verapdf), verapdf, "ok"
    if settings.validator == "verapdf":
        return UnavailableValidator(f"{missing}; CONVERSION_VALIDATOR=verapdf requires it"), None, missing
    return BasicPdfaValidator(), None, f"{missing}; basic validation only"


def workspace_check(settings: ConversionSettings):  # type: ignore[no-untyped-def]
    """Readiness: a conversion needs a writable work directory, whatever engines there are."""

    async def check() -> None:
        def probe() -> None:
            with tempfile.TemporaryFile(dir=settings.work_dir):
                pass

        await asyncio.to_thread(probe)

    return check
