"""The embedded bus wakes a waiting subscriber only for its own topics.

In `make run` a dozen consumer groups share one bus; a publish to one topic must not send
every other group to read the log for nothing. What a subscriber receives is unchanged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from arkiv5_kit.transport.base import OutgoingMessage
from arkiv5_kit.transport.embedded import EmbeddedSubscriber, EmbeddedTransport


def _message(topic: str, n: int) -> OutgoingMessage:
    return OutgoingMessage(topic=topic, key=str(n).encode(), value=f"{topic}-{n}".encode())


async def test_a_waiting_subscriber_reads_the_log_again_only_when_its_own_topic_was_published_to(
    tmp_path: Path,
) -> None:
    transport = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    await transport.start()
    try:
        subscriber = transport.subscriber("wake-test", ["journal.dokument"])
        await subscriber.start()
        reads = 0
        read = subscriber._read

        async def counted(max_records: int):  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return await read(max_records)

        subscriber._read = counted  # type: ignore[method-assign]
        waiting = asyncio.create_task(subscriber.fetch(10, timeout_s=60))
        while reads == 0:  # the subscriber found nothing and waits
            await asyncio.sleep(0.01)
        for n in range(20):  # other topics: no reason to read again
            await transport.publish([_message("conversion.result", n)])
            await asyncio.sleep(0)
        assert not waiting.done()
        assert reads == 1
        await transport.publish([_message("conversion.result", 20), _message("journal.dokument", 1)])
        records = await waiting
    finally:
        await transport.stop()
    assert [r.value for r in records] == [b"journal.dokument-1"]
    assert reads == 2


async def test_a_subscriber_of_several_topics_wakes_for_each(tmp_path: Path) -> None:
    transport = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    await transport.start()
    try:
        subscriber: EmbeddedSubscriber = transport.subscriber("wake-test", ["a", "b"])
        await subscriber.start()
        received: list[bytes] = []
        for topic in ("b", "a", "b"):
            waiting = asyncio.create_task(subscriber.fetch(10, timeout_s=60))
            await asyncio.sleep(0.05)
            await transport.publish([_message(topic, len(received))])
            received += [r.value for r in await waiting]
    finally:
        await transport.stop()
    assert received == [b"b-0", b"a-1", b"b-2"]
