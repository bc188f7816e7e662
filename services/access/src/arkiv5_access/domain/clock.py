"""Today and now, the way every rule here means them: dates in Europe/Oslo, instants in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(OSLO).date()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
