"""The sporingslogg's intake: the journal's screened reads in, expired entries out.

`ScreenedReadsLogged` events (topic journal.sporing) are kept by `domain.audit`, each read
once: the kit's inbox drops a redelivered event, and each entry's id is the read's own id,
so a replay adds nothing either. A periodic job deletes the entries older than
`sporingslogg_retention_days`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.audit import ScreenedReadsLogged
from arkiv5_kit.clock import SYSTEM_CLOCK, Clock
from arkiv5_kit.db import Database
from arkiv5_kit.service import ServiceRuntime

from .domain import audit
from .settings import AccessSettings

log = logging.getLogger(__name__)


async def screened_reads_logged(session: AsyncSession, envelope: Envelope[Any]) -> None:
    event: ScreenedReadsLogged = envelope.data
    await audit.record_screened_reads(session, event)


async def purge(database: Database, settings: AccessSettings, clock: Clock = SYSTEM_CLOCK) -> int:
    """Delete the screened-read entries older than the retention; the number deleted."""
    async with database.unit_of_work() as session:
        return await audit.purge_screened_reads(
            session, older_than=clock.now() - timedelta(days=settings.sporingslogg_retention_days))


def retention_job(database: Database, settings: AccessSettings,
                  clock: Clock = SYSTEM_CLOCK) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """A purge at start and then every `sporingslogg_purge_interval_s`."""

    async def run(stopping: asyncio.Event) -> None:
        while True:
            try:
                deleted = await purge(database, settings, clock)
                if deleted:
                    log.info("sporingslogg retention", extra={"deleted": deleted})
            except Exception:  # retried at the next interval; the service goes on
                log.exception("sporingslogg retention failed")
            try:
                await asyncio.wait_for(stopping.wait(), timeout=settings.sporingslogg_purge_interval_s)
                return
            except TimeoutError:
                pass

    return run


def register_audit_consumer(runtime: ServiceRuntime, settings: AccessSettings) -> None:
    runtime.add_consumer("sporingslogg", {ScreenedReadsLogged: screened_reads_logged})
    runtime.add_job("sporingslogg-retention", retention_job(runtime.database, settings))
