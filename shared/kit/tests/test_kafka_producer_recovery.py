"""A producer out of step with the broker after a restart is replaced, not retried forever."""

from __future__ import annotations

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from arkiv5_kit.transport.base import OutgoingMessage
from arkiv5_kit.transport.kafka import KafkaTransport


class FakeProducer:
    def __init__(self, *, out_of_step: bool) -> None:
        self.out_of_step = out_of_step
        self.sent: list[bytes] = []
        self.stopped = False

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: list) -> object:  # type: ignore[type-arg]
        if self.out_of_step:
            raise OutOfOrderSequenceNumber()
        self.sent.append(value)

        async def acked() -> None:
            return None

        return acked()

    async def stop(self) -> None:
        self.stopped = True


async def test_a_producer_out_of_step_is_replaced_and_the_batch_goes_out_on_the_next_try() -> None:
    transport = KafkaTransport("127.0.0.1:1", create_topics=False)
    broken, fresh = FakeProducer(out_of_step=True), FakeProducer(out_of_step=False)
    transport._producer = broken  # type: ignore[assignment]
    transport._users = 1

    async def connect() -> None:  # what KafkaTransport._connect does once the broker answers
        transport._producer = fresh  # type: ignore[assignment]

    transport._connect = connect  # type: ignore[method-assign]
    message = OutgoingMessage("dispatch.status", b"k", b"event")

    with pytest.raises(OutOfOrderSequenceNumber):
        await transport.publish([message])  # the relay keeps the batch and tries again
    assert broken.stopped

    await transport.publish([message])
    assert fresh.sent == [b"event"]
