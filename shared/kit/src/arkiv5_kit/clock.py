"""One clock for every service: instants in UTC, calendar dates in Europe/Oslo.

Rules take a `Clock` (from the service's context) instead of calling `datetime.now()`, so a
test can set the day a right starts or a deadline passes. `SystemClock` is the real one;
`SettableClock` is the test double, standing still until told to move.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """This instant, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """Today's date in Norway (a right valid from a date starts at Oslo midnight)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(OSLO).date()


class SettableClock:
    """A clock for tests: it reads `at` until `set()` or `advance()` moves it."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = as_utc(at) if at is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.astimezone(OSLO).date()

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, by: timedelta) -> None:
        self._at += by


SYSTEM_CLOCK: Clock = SystemClock()


def as_utc(moment: datetime) -> datetime:
    """An aware instant in UTC; SQLite hands timestamps back without their zone (stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
