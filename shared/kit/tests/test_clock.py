"""The one clock: instants in UTC, dates in Norway; the test clock moves only when told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from arkiv5_kit.clock import Clock, SettableClock, SystemClock, as_utc


def test_today_is_the_date_in_oslo_not_in_utc() -> None:
    clock = SettableClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on New Year's Day in Oslo
    assert clock.today() == date(2027, 1, 1)
    clock.set(datetime(2026, 7, 1, 21, 59, tzinfo=UTC))  # summer time: 23:59 in Oslo
    assert clock.today() == date(2026, 7, 1)
    clock.advance(timedelta(minutes=1))
    assert clock.today() == date(2026, 7, 2)
    assert clock.now() == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)


def test_the_test_clock_stands_still_and_keeps_instants_in_utc() -> None:
    clock = SettableClock(datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == clock.now() == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_the_system_clock_is_a_clock_and_tells_utc() -> None:
    clock: Clock = SystemClock()
    assert isinstance(clock, Clock) and isinstance(SettableClock(), Clock)
    assert clock.now().utcoffset() == timedelta(0)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_as_utc_reads_a_naive_timestamp_as_utc() -> None:
    assert as_utc(datetime(2026, 1, 1, 12)) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert as_utc(datetime(2026, 1, 1, 13, tzinfo=timezone(timedelta(hours=1)))) == datetime(2026, 1, 1, 12, tzinfo=UTC)
