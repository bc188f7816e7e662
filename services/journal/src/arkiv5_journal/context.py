"""What every use case is given besides the session: settings, the outbox, and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from arkiv5_kit.clock import SYSTEM_CLOCK, Clock
from arkiv5_kit.outbox import Outbox

from .settings import JournalSettings


@dataclass(frozen=True)
class Context:
    settings: JournalSettings
    outbox: Outbox
    clock: Clock = SYSTEM_CLOCK
    """The kit's one clock; use cases moving to it take `ctx.clock.now()`/`.today()` (a test sets the day)."""


def now_utc() -> datetime:
    return datetime.now(UTC)
