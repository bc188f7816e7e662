"""What every use case is given besides the session: settings, the outbox, and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from arkiv5_kit.outbox import Outbox

from .settings import JournalSettings


@dataclass(frozen=True)
class Context:
    settings: JournalSettings
    outbox: Outbox


def now_utc() -> datetime:
    return datetime.now(UTC)
