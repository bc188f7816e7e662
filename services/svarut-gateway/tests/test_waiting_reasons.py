"""Nothing stuck in silence: a waiting letter says why, within seconds, in every place a person looks.

The read API (per recipient), the `DispatchWaiting` event back to the journal, one WARNING
log line without personal data, and the gauge per reason counted in the database.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from svarut_helpers import make_fnr, publish, read_events
from test_gateway import Harness, person

from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchWaiting
from arkiv5_contracts.topics import DISPATCH_STATUS
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_svarut_gateway.service import refused_by_svarut
from arkiv5_svarut_gateway.simulator import Faults, SimulatorConfig
from arkiv5_svarut_gateway.svarut.client import SendRefused

RNG = random.Random(13)
READ = "svarut-gateway.read"
# How long a reason may take to show. On a quiet machine it shows in well under a second; the
# bound is generous so that a loaded machine does not fail the test, and still far below the
# 600 s retry interval whose absence it proves.
WITHIN_S = 30.0


class Api:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.issuer = TestTokenIssuer()
        harness.app.state.token_verifier = self.issuer.verifier("svarut-gateway")
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.app), base_url="http://t")

    async def recipient(self, dispatch_id: uuid.UUID) -> dict[str, Any] | None:
        headers = self.issuer.headers(sub="sak-system", audience="svarut-gateway", scopes=(READ,))
        response = await self.client.get(f"/dispatches/{dispatch_id}", headers=headers)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        [recipient] = response.json()["recipients"]
        return recipient


@asynccontextmanager
async def started(harness: Harness) -> AsyncIterator[Api]:
    await harness.app.state.runtime.start()
    api = Api(harness)
    try:
        yield api
    finally:
        await api.client.aclose()
        await harness.app.state.runtime.stop()
        await harness.http.aclose()


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def gauge(reason: str) -> float | None:
    return REGISTRY.get_sample_value("arkiv5_svarut_dispatches_waiting",
                                     {"service": "svarut-gateway", "reason": reason})


@pytest.fixture
async def no_certificate(tmp_path: Path, db_backend: Any) -> AsyncIterator[Api]:
    harness = Harness(tmp_path, svarut_encryption_certificate_pem=None, waiting_gauge_interval_s=0.1,
                      send_retry_max_s=600.0, database_url=db_backend.url)
    async with started(harness) as api:
        yield api


async def test_a_screened_letter_without_the_encryption_certificate_says_why_within_seconds(
    no_certificate: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api = no_certificate
    fnr = make_fnr(RNG)
    event, _ = await api.harness.dispatch([person(fodselsnummer=fnr)], skjermet=True)
    caplog.set_level(logging.WARNING)
    begun = time.monotonic()
    await publish(api.harness.bus, event)

    async def waiting() -> dict[str, Any] | None:
        recipient = await api.recipient(event.dispatch_id)
        return recipient if recipient and recipient["reason_code"] else None

    recipient = await eventually(waiting, timeout_s=WITHIN_S, what="a reason in the read API")
    assert time.monotonic() - begun < WITHIN_S  # seconds, not the 600 s retry
    assert recipient["state"] == "PENDING" and recipient["reason_code"] == "encryption-certificate-missing"
    assert "SVARUT_GATEWAY_SVARUT_ENCRYPTION_CERTIFICATE_PEM" in recipient["reason"]
    assert recipient["waiting_since"] and recipient["next_attempt_at"] and recipient["rejection_reason"] is None

    async def waiting_event() -> list[DispatchWaiting]:
        return [e.data for e in await read_events(api.harness.bus, DISPATCH_STATUS) if isinstance(e.data, DispatchWaiting)]

    [sent] = await eventually(waiting_event, timeout_s=WITHIN_S, what="DispatchWaiting on the bus")
    assert (sent.dispatch_id, sent.recipient_id) == (event.dispatch_id, event.recipient_ids[0])
    assert sent.reason_code == "encryption-certificate-missing" and sent.reason == recipient["reason"]

    async def counted() -> bool:
        return gauge("encryption-certificate-missing") == 1
    await eventually(counted, timeout_s=WITHIN_S, what="the waiting gauge")
    assert gauge("svarut-unreachable") == 0  # every reason is exported, 0 when none waits

    lines = [r for r in caplog.records if r.levelno == logging.WARNING and "encryption-certificate-missing" in r.getMessage()]
    assert len(lines) == 1 and lines[0].forsendelse_id  # type: ignore[attr-defined]
    everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert fnr not in everything and "Kari" not in everything
    assert fnr not in sent.model_dump_json() and "Kari" not in sent.model_dump_json()
    assert not api.harness.sim.deliveries


class SvarutDown(httpx.AsyncBaseTransport):
    """SvarUt's API refuses connections while `down`; Maskinporten (the simulator) still answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down and request.url.path.startswith("/api/"):
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_svarut_down_shows_unreachable_then_the_open_circuit_and_clears_once_delivered(
    tmp_path: Path, db_backend: Any
) -> None:
    wrapped: list[SvarutDown] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wrapped.append(SvarutDown(inner))
        return wrapped[0]

    harness = Harness(tmp_path, wrap=wrap, breaker_failure_threshold=2, breaker_reset_s=0.3,
                      send_retry_initial_s=0.05, send_retry_max_s=0.1, database_url=db_backend.url)
    [down] = wrapped
    async with started(harness) as api:
        event, _ = await harness.dispatch([person(fodselsnummer=make_fnr(RNG))])
        await publish(harness.bus, event)

        async def reason(code: str) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                recipient = await api.recipient(event.dispatch_id)
                return bool(recipient and recipient["reason_code"] == code)
            return check

        await eventually(await reason("svarut-unreachable"), timeout_s=WITHIN_S, what="svarut-unreachable")
        await eventually(await reason("circuit-open"), timeout_s=WITHIN_S, what="circuit-open")
        down.down = False

        async def delivered() -> dict[str, Any] | None:
            recipient = await api.recipient(event.dispatch_id)
            return recipient if recipient and recipient["state"] in ("ACCEPTED", "COMPLETED") else None

        recipient = await eventually(delivered, timeout_s=WITHIN_S, what="delivery once SvarUt is back")
        assert recipient["reason_code"] is None and recipient["reason"] is None
        assert list(harness.sim.deliveries.values()) == [1]
        events = [e.data for e in await read_events(harness.bus, DISPATCH_STATUS)]
        codes = [e.reason_code for e in events if isinstance(e, DispatchWaiting)]
        # Published when the cause changes, not on every retry.
        assert codes[:2] == ["svarut-unreachable", "circuit-open"]
        assert all(a != b for a, b in zip(codes, codes[1:], strict=False))
        assert any(isinstance(e, DispatchAccepted) for e in events)


class AnswerLost(httpx.AsyncBaseTransport):
    """SvarUt takes each letter, but its answer never arrives (the client's read timeout)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/forsendelser/person"):
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


async def test_a_send_that_timed_out_waits_uncertain_while_the_gateway_checks_with_svarut(tmp_path: Path) -> None:
    # The simulator still "processes" what it took under a fault for a minute: the look-up finds nothing yet.
    sim_config = SimulatorConfig(status_step_s=0.05, registration_delay_s=60.0,
                                 faults=Faults(rate=1.0, kinds=("timeout_after_accept",), hold_s=0.0,
                                               endpoints=("send",)))
    harness = Harness(tmp_path, sim_config=sim_config, wrap=AnswerLost, lookup_window_s=600.0)
    async with started(harness) as api:
        event, _ = await harness.dispatch([person(fodselsnummer=make_fnr(RNG))])
        await publish(harness.bus, event)

        async def uncertain() -> dict[str, Any] | None:
            recipient = await api.recipient(event.dispatch_id)
            return recipient if recipient and recipient["state"] == "UNCERTAIN" else None

        recipient = await eventually(uncertain, timeout_s=WITHIN_S, what="UNCERTAIN with a reason")
        assert recipient["reason_code"] == "svarut-timeout"
        assert "never gets it twice" in recipient["reason"]
        await asyncio.sleep(0.5)  # look-ups go on; nothing is sent again inside the window
        assert list(harness.sim.deliveries.values()) == [1]


def test_svarut_refusal_message_reaches_the_case_handler_without_numbers() -> None:
    text = refused_by_svarut(SendRefused(400, "UGYLDIG_DIGITAL_ID", "Ugyldig digitalId 12345678901 for mottaker."))
    assert "«Ugyldig digitalId … for mottaker»" in text and "400 UGYLDIG_DIGITAL_ID" in text
    assert "12345678901" not in text and len(text) <= 300
