"""Sweeping the document store: orphan blobs and unfinished uploads, after a grace period.

A document's bytes are stored before the record that names them is committed, so a
refused or failed request can leave a blob no dokumentobjekt names (and a crash, an
unfinished temporary file). Nothing in the archive is lost by removing those; but only
after `JOURNAL_BLOB_ORPHAN_GRACE_HOURS`, far longer than any request, and never a blob an
upload wrote again meanwhile (see the blob store). Every replica may sweep: each step is
safe to repeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from arkiv5_kit.db import Database

from .blobstore import BlobStore
from .models import Dokumentobjekt
from .settings import JournalSettings

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    orphans_removed: int
    referenced_kept: int
    temporary_removed: int
    restored: int


async def referenced(database: Database, digests: list[str]) -> set[str]:
    """Which of the SHA-256 digests a dokumentobjekt names."""
    found: set[str] = set()
    async with database.unit_of_work() as session:
        for start in range(0, len(digests), _BATCH):
            batch = digests[start:start + _BATCH]
            found |= set((await session.execute(select(col(Dokumentobjekt.sjekksum)).where(
                col(Dokumentobjekt.sjekksum).in_(batch)))).scalars())
    return found


async def sweep(database: Database, blobs: BlobStore, *, grace_s: float, now: float | None = None) -> SweepResult:
    cutoff = (now if now is not None else time.time()) - grace_s
    restored = await blobs.restore_set_aside(lambda digests: referenced(database, digests))
    candidates = await blobs.written_before(cutoff)
    named = await referenced(database, candidates)
    removed = 0
    for digest in candidates:
        if digest not in named and await blobs.remove_if_not_rewritten(digest, cutoff):
            removed += 1
    temporary = await blobs.remove_stale_temporary(cutoff)
    return SweepResult(orphans_removed=removed, referenced_kept=len(named), temporary_removed=temporary,
                       restored=restored)


def sweep_job(settings: JournalSettings, database: Database, blobs: BlobStore):  # type: ignore[no-untyped-def]
    """The background job: a sweep every `blob_sweep_interval_hours`, the first one an interval after start."""
    interval_s = settings.blob_sweep_interval_hours * 3600
    grace_s = settings.blob_orphan_grace_hours * 3600

    async def run(stopping: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stopping.wait(), timeout=interval_s)
                return
            except TimeoutError:
                pass
            try:
                result = await sweep(database, blobs, grace_s=grace_s)
            except Exception:  # a failed sweep is retried at the next interval; the service goes on
                log.exception("blob sweep failed")
                continue
            log.info("blob sweep", extra={"orphans_removed": result.orphans_removed,
                                          "referenced_kept": result.referenced_kept,
                                          "temporary_removed": result.temporary_removed,
                                          "restored": result.restored})

    return run
