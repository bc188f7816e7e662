"""The nightly batch: everything that reached J on a date, converted; run on schedule, caught up
after a missed night, or run now for a date or range (API and command line)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from datetime import time as dtime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlmodel import col

from arkiv5_kit.errors import Conflict, Unprocessable

from .jobs import JobEngine
from .models import ConversionJob, JournalfoertJournalpost, NightlyBatch
from .values import iso, rowcount, utcnow

log = logging.getLogger(__name__)

MAX_BATCH_DAYS = 31  # dates one batch request may cover


def _log_batch(what: str, day: str, counts: dict[str, int]) -> None:
    """A batch's progress line: readable as text (`make run`) and as JSON fields; counts only."""
    log.info(f"conversion batch {what} j_date=%s done=%d failed=%d remaining=%d", day, counts["done"],
             counts["failed"], counts["remaining"],
             extra={"j_date": day, **{f"documents_{k}": v for k, v in counts.items()}})


class NightlyBatches(JobEngine):
    """The nightly batch and the batch in hand."""

    async def run_nightly(self, j_date: date) -> dict[str, int]:
        """Convert everything that reached J on `j_date` and is not converted yet.

        Safe to run twice (done jobs are never redone) and after a crash (the batch row
        stays 'running', stale running jobs are taken again when their lease runs out).
        A journalpost that reaches J on the date while the batch runs marks it stale, and
        the batch takes it too before it says done: it never ends with one left out.
        The log says when it starts, every `batch_progress_every` documents how far it got,
        and when it ends: documents done, failed and remaining. Returns those counts.
        """
        async with self.database.unit_of_work() as session:
            batch = await session.get(NightlyBatch, j_date)
            if batch is None:
                session.add(NightlyBatch(j_date=j_date, status="running", started_at=utcnow()))
            else:
                batch.runs += 1
                batch.status, batch.started_at, batch.finished_at = "running", utcnow(), None
        day = j_date.isoformat()
        finished = 0

        async def progress() -> None:
            nonlocal finished
            finished += 1
            if finished % self.settings.batch_progress_every == 0:
                _log_batch("progress", day, await self._batch_documents(j_date))

        taken: set[UUID] = set()
        while True:
            async with self.database.sessions() as session:
                journalposts = [jp for jp in (await session.execute(select(JournalfoertJournalpost).where(
                    col(JournalfoertJournalpost.reached_j_date) == j_date))).scalars().all()
                    if jp.journalpost_id not in taken]
            if not taken:
                log.info("conversion batch started j_date=%s journalposts=%d", day, len(journalposts),
                         extra={"j_date": day, "journalposts": len(journalposts)})
            for journalpost in journalposts:
                await self.queue_journalpost(journalpost, trigger="nightly")
                taken.add(journalpost.journalpost_id)
            if taken:
                await self.drain(journalpost_ids=list(taken), after_each=progress)
            counts = await self._batch_documents(j_date)
            if counts["remaining"]:
                break  # jobs waiting for a retry: the batch stays running and is resumed
            async with self.database.unit_of_work() as session:
                ended = rowcount(await session.execute(update(NightlyBatch).where(
                    col(NightlyBatch.j_date) == j_date, col(NightlyBatch.status) == "running",
                ).values(status="done", finished_at=utcnow())))
                if not ended:  # stale: a journalpost reached J on the date meanwhile; take it too
                    await session.execute(update(NightlyBatch).where(col(NightlyBatch.j_date) == j_date)
                                          .values(status="running"))
            if ended:
                break
        await self.refresh_report_gauge()
        _log_batch("ended", day, counts)
        return counts

    async def _batch_documents(self, j_date: date) -> dict[str, int]:
        """The batch's documents (of the journalposts that reached J on `j_date`): done, failed, remaining."""
        async with self.database.sessions() as session:
            by_status = dict((await session.execute(
                select(col(ConversionJob.status), func.count())
                .join(JournalfoertJournalpost,
                      col(JournalfoertJournalpost.journalpost_id) == col(ConversionJob.journalpost_id))
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date)
                .group_by(col(ConversionJob.status)))).all())
        counts = {status: int(by_status.get(status, 0)) for status in ("done", "failed", "queued", "running")}
        return {"done": counts["done"], "failed": counts["failed"], "queued": counts["queued"],
                "running": counts["running"], "remaining": counts["queued"] + counts["running"]}

    # the batch in hand ---------------------------------------------------------------------

    @staticmethod
    def batch_days(first: date, last: date | None = None) -> list[date]:
        """The J dates of one request (API or command line): `first` to `last`, at most MAX_BATCH_DAYS."""
        last = last or first
        if last < first or (last - first).days >= MAX_BATCH_DAYS:
            raise Unprocessable(f"Give a range of 1 to {MAX_BATCH_DAYS} days, `from` not after `to`.")
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    async def run_batches(self, days: list[date]) -> dict[date, dict[str, int]]:
        """Run the batch for each date, one after the other; one date's error does not stop the next."""
        results: dict[date, dict[str, int]] = {}
        for day in days:
            try:
                results[day] = await self.run_nightly(day)
            except Exception as exc:  # one date's failure must not stop the next
                log.error("conversion batch error", extra={"j_date": day.isoformat(),
                                                           "error_type": type(exc).__name__})
        return results

    async def start_batches(self, first: date, last: date) -> list[date]:
        """Run the batch now for each J date from `first` to `last`, one after the other, in the background."""
        days = self.batch_days(first, last)
        if self._batches is not None and not self._batches.done():
            raise Conflict("A batch is running; see GET /internal/batches/{date} and try again when it has ended.")

        async def run() -> None:
            await self.run_batches(days)

        self._batches = asyncio.create_task(run())
        return days

    async def wait_for_batches(self) -> None:
        if self._batches is not None:
            await asyncio.shield(self._batches)

    async def stop_batches(self) -> None:
        if self._batches is not None and not self._batches.done():
            self._batches.cancel()
            await asyncio.gather(self._batches, return_exceptions=True)

    async def batch_status(self, j_date: date) -> dict[str, object]:
        """How far the batch for a J date got: its run, and its documents by status (counted, not loaded)."""
        async with self.database.sessions() as session:
            batch = await session.get(NightlyBatch, j_date)
            journalposts = int((await session.execute(
                select(func.count()).select_from(JournalfoertJournalpost)
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date))).scalar_one())
            not_listed = int((await session.execute(
                select(func.count()).select_from(JournalfoertJournalpost)
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date,
                       col(JournalfoertJournalpost.queued_at).is_(None)))).scalar_one())
        return {
            "j_date": j_date.isoformat(),
            "status": batch.status if batch else "not-started",
            "runs": batch.runs if batch else 0,
            "started_at": iso(batch.started_at) if batch else None,
            "ended_at": iso(batch.finished_at) if batch else None,
            "journalposts": journalposts, "journalposts_not_yet_listed": not_listed,
            "documents": await self._batch_documents(j_date),
        }

    async def recent_batches(self, limit: int = 14) -> list[dict[str, object]]:
        """The latest batches (by J date, newest first), each as `batch_status` tells it."""
        async with self.database.sessions() as session:
            days = (await session.execute(select(col(NightlyBatch.j_date))
                                          .order_by(col(NightlyBatch.j_date).desc()).limit(limit))).scalars().all()
        return [await self.batch_status(day) for day in days]

    def next_run(self, after: datetime) -> datetime:
        hour, minute = (int(p) for p in self.settings.nightly_time.split(":"))
        local = after.astimezone(self.zone)
        candidate = datetime.combine(local.date(), dtime(hour, minute), self.zone)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), dtime(hour, minute), self.zone)
        return candidate

    async def nightly_loop(self, stopping: asyncio.Event) -> None:
        """At the scheduled local time, run the batch for yesterday; catch up a missed or crashed run."""
        while not stopping.is_set():
            try:
                await self._catch_up()
            except Exception as exc:
                log.error("nightly batch error", extra={"error_type": type(exc).__name__})
            wait = (self.next_run(utcnow()) - utcnow()).total_seconds()
            try:
                await asyncio.wait_for(stopping.wait(), timeout=max(1.0, min(wait, 3600)))
            except TimeoutError:
                pass

    async def _catch_up(self) -> None:
        now = utcnow().astimezone(self.zone)
        hour, minute = (int(p) for p in self.settings.nightly_time.split(":"))
        today_run = datetime.combine(now.date(), dtime(hour, minute), self.zone)
        if now < today_run:
            return
        j_date = now.date() - timedelta(days=1)
        async with self.database.sessions() as session:
            batch = await session.get(NightlyBatch, j_date)
        if batch is None or batch.status != "done":
            await self.run_nightly(j_date)
