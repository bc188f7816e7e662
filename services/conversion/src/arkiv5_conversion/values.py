"""Small conversions of what the database hands back, shared by the service's modules."""

from __future__ import annotations

from datetime import UTC, datetime


def rowcount(result: object) -> int:
    """Rows an UPDATE matched (the async Result's type does not show `rowcount`)."""
    return int(getattr(result, "rowcount", 0) or 0)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None
