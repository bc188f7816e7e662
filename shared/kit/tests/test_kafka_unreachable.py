"""A service starts and stops while Kafka is away; publishing fails clearly until it is back."""

from __future__ import annotations

import asyncio
import time

import pytest

from arkiv5_kit.transport.kafka import KafkaTransport


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


async def test_start_publish_stop_without_a_broker() -> None:
    transport = KafkaTransport(f"127.0.0.1:{closed_port()}", request_timeout_ms=1000)
    started = time.monotonic()
    await transport.start()
    assert time.monotonic() - started < 1, "start must not wait for the broker"
    with pytest.raises(ConnectionError):
        await transport.publish([])
    await asyncio.wait_for(transport.stop(), timeout=5)
