"""The morning report: last night's conversions and failures, and the failure gauge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.errors import Unprocessable

from .metrics import FAILED_LAST_NIGHT
from .models import ConversionJob, NightlyBatch
from .queueing import JobQueue
from .values import iso, utcnow

SERVICE = "conversion"
REPORT_LIMIT = 1000  # failures listed in one morning report (the counts are always complete)


class MorningReport(JobQueue):
    """Last night's report and the failure gauge, from indexed counts."""

    def report_window(self, day: date) -> tuple[datetime, datetime]:
        """'Last night' for the morning of `day`: from noon the day before to noon on `day` (local)."""
        if not (date.min + timedelta(days=2) <= day <= date.max - timedelta(days=2)):
            raise Unprocessable("The report date is out of range.")
        cutoff = dtime(self.settings.report_cutoff_hour)
        end = datetime.combine(day, cutoff, self.zone)
        return end - timedelta(days=1), end

    def _window_utc(self, day: date | None) -> tuple[date, datetime, datetime]:
        day = day or utcnow().astimezone(self.zone).date()
        start, end = self.report_window(day)
        # Compare in UTC: SQLite keeps the wall-clock value and drops the offset.
        return day, start.astimezone(UTC), end.astimezone(UTC)

    async def _count(self, session: AsyncSession, status: str, start: datetime, end: datetime) -> int:
        """Jobs of a status finished in [start, end): one indexed count, never the rows."""
        finished = col(ConversionJob.finished_at)
        query = select(func.count()).select_from(ConversionJob).where(
            col(ConversionJob.status) == status, finished >= start, finished < end)
        return int((await session.execute(query)).scalar_one())

    async def morning_report(self, day: date | None = None) -> dict[str, object]:
        day, start, end = self._window_utc(day)
        finished = col(ConversionJob.finished_at)
        async with self.database.sessions() as session:
            failed = await self._count(session, "failed", start, end)
            done = await self._count(session, "done", start, end)
            failures = (await session.execute(select(ConversionJob).where(
                col(ConversionJob.status) == "failed", finished >= start, finished < end,
            ).order_by(finished).limit(REPORT_LIMIT))).scalars().all()
            j_date = day - timedelta(days=1)
            batch = await session.get(NightlyBatch, j_date)
        return {
            "date": day.isoformat(), "from": iso(start), "to": iso(end),
            "batch": {"j_date": j_date.isoformat(), "href": f"/internal/batches/{j_date.isoformat()}",
                      "status": batch.status if batch else "not-started"},
            "converted": done, "failed": failed, "listed": len(failures),
            "failures": [
                {"job_id": str(j.id), "dokumentobjekt_id": str(j.dokumentobjekt_id),
                 "journalpost_id": str(j.journalpost_id) if j.journalpost_id else None,
                 "saksmappe_id": str(j.saksmappe_id) if j.saksmappe_id else None,
                 "format": j.format, "source_puid": j.source_puid, "source_media_type": j.source_media_type,
                 "reason_code": j.reason_code, "reason": j.reason, "finished_at": iso(j.finished_at)}
                for j in failures
            ],
        }

    async def refresh_report_gauge(self) -> None:
        """The failure gauge from one indexed count (it runs after every failed job)."""
        _, start, end = self._window_utc(None)
        async with self.database.sessions() as session:
            failed = await self._count(session, "failed", start, end)
        FAILED_LAST_NIGHT.labels(SERVICE).set(failed)
