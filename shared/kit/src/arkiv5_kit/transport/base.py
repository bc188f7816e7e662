"""What the relay and the consumers need from a transport, and nothing more.

The relay hands over a batch with `publish` and treats the return as the broker's
acknowledgement; a consumer `fetch`es records and `commit`s them only after its database
transaction committed. Dead letters are published like any message to `<topic>.dlt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class IncomingRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class Subscriber(Protocol):
    group: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self, max_records: int, timeout_s: float) -> list[IncomingRecord]: ...

    def interrupt(self) -> None:
        """End a fetch waiting for records now, and every later one at once, until `start`:
        the consumer is stopping. Only the wait is cut short, never a read under way, so no
        record is taken without being returned."""
        ...

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        """Mark everything up to and including these records as done for the group."""
        ...

    async def rewind(self) -> None:
        """Go back to the last committed position (after a batch could not be finished)."""
        ...

    async def lag(self) -> dict[str, int]:
        """Records not yet committed, per topic."""
        ...


class Transport(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Return only when every message is durably accepted; raise otherwise."""
        ...

    def subscriber(self, group: str, topics: Sequence[str]) -> Subscriber: ...
