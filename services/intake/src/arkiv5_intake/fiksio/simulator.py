"""A Fiks IO simulator: plays KS (katalog, send API) and a fagsystem that sends Fiks Arkiv messages.

`deliver` packs a message as a fagsystem does (ASiC-E signed by the fagsystem, in a CMS
envelope for intake's certificate) and publishes it on intake's account queue of a real
AMQP broker with Fiks IO's headers. The send API takes intake's answers, opens them with
the fagsystem's key and keeps them per message id, so tests and benchmarks see what a
fagsystem would receive. It also plays Maskinporten (`POST /maskinporten/token`, the JWT
grant): the send API and the katalog answer 401 without a token it issued.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import aio_pika
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from jose import JOSEError, jwt
from starlette.datastructures import UploadFile

from arkiv5_kit.maskinporten import JWT_GRANT

from . import asice, crypto
from .consumer import CUSTOM, queue_name


@dataclass(frozen=True)
class Konto:
    konto_id: UUID
    certificate_pem: bytes
    private_key: RSAPrivateKey


@dataclass
class Received:
    meldingstype: str
    svar_pa_melding: UUID
    xml: str | None


@dataclass
class SimulatorState:
    intake: Konto
    fagsystem: Konto
    received: list[Received] = field(default_factory=list)
    # The answers per message id besides the list, and one event per awaited message, so that a
    # waiter neither scans every answer nor wakes for answers to other messages.
    by_melding: dict[UUID, list[Received]] = field(default_factory=dict)
    finals: dict[UUID, asyncio.Event] = field(default_factory=dict)
    fail_kvitteringer: int = 0  # refuse this many kvitteringer (503), as an outage between archiving and ack
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    maskinporten_audience: str = "https://maskinporten.simulator/"
    token_lifetime_s: int = 120
    tokens: dict[str, float] = field(default_factory=dict)  # access token → when it expires (monotonic)
    grants: int = 0  # tokens issued

    def authorised(self, request: Request) -> bool:
        bearer = request.headers.get("authorization", "")
        expires = self.tokens.get(bearer.removeprefix("Bearer ")) if bearer.startswith("Bearer ") else None
        return expires is not None and time.monotonic() < expires

    def answers_to(self, melding_id: UUID) -> list[Received]:
        return list(self.by_melding.get(melding_id, []))

    def final_arrived(self, melding_id: UUID) -> asyncio.Event:
        """Set once the message's last answer (kvittering, resultat or feilmelding) has arrived."""
        event = self.finals.get(melding_id)
        if event is None:
            event = self.finals[melding_id] = asyncio.Event()
            if any(not r.meldingstype.endswith(".mottatt") for r in self.by_melding.get(melding_id, [])):
                event.set()
        return event

    def add(self, received: Received) -> None:
        self.received.append(received)
        self.by_melding.setdefault(received.svar_pa_melding, []).append(received)
        if not received.meldingstype.endswith(".mottatt"):
            self.final_arrived(received.svar_pa_melding).set()


def create_fiks_io_simulator_app(state: SimulatorState) -> FastAPI:
    app = FastAPI(title="Fiks IO simulator")
    app.state.fiks_io = state
    kontoer = {state.intake.konto_id: state.intake, state.fagsystem.konto_id: state.fagsystem}

    @app.post("/maskinporten/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        assertion = form.get("assertion")
        if form.get("grant_type") != JWT_GRANT or not isinstance(assertion, str):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        try:  # the signature is not checked: the simulator does not know the client's key
            claims = jwt.get_unverified_claims(assertion)
        except JOSEError:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if claims.get("aud") != state.maskinporten_audience:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if "ks:fiks" not in str(claims.get("scope", "")).split():
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        access = secrets.token_urlsafe(24)
        state.tokens[access] = time.monotonic() + state.token_lifetime_s
        state.grants += 1
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": state.token_lifetime_s, "scope": "ks:fiks"}
        )

    @app.get("/fiks-io/katalog/api/v1/kontoer/{konto_id}/offentligNokkel")
    async def public_key(konto_id: UUID, request: Request) -> Response:
        if not state.authorised(request):
            return Response(status_code=401)
        konto = kontoer.get(konto_id)
        if konto is None:
            return Response(status_code=404)
        return Response(konto.certificate_pem, media_type="application/x-pem-file")

    @app.post("/fiks-io/api/v1/send")
    async def send(request: Request) -> Any:
        if not state.authorised(request):
            return Response(status_code=401)
        form = await request.form()
        metadata = json.loads(str(form["metadata"]))
        if state.fail_kvitteringer and str(metadata["meldingType"]).endswith(".kvittering"):
            state.fail_kvitteringer -= 1
            return Response(status_code=503)
        data = form.get("data")
        xml: str | None = None
        if isinstance(data, UploadFile):
            files = asice.read(crypto.decrypt(await data.read(), state.fagsystem.private_key), max_bytes=100 << 20)
            xml = next(iter(files.values())).decode("utf-8")
        async with state.changed:
            state.add(Received(metadata["meldingType"], UUID(metadata["svarPaMelding"]), xml))
            state.changed.notify_all()
        return {"meldingId": str(uuid4())}

    return app


async def deliver(
    state: SimulatorState,
    amqp_url: str,
    *,
    meldingstype: str,
    klient_melding_id: str,
    files: dict[str, bytes],
    melding_id: UUID | None = None,
    channel: aio_pika.abc.AbstractChannel | None = None,
) -> UUID:
    """Publish one message to intake's queue, as Fiks IO delivers a fagsystem's message
    (on `channel` when given, else on a connection of its own)."""
    melding_id = melding_id or uuid4()
    package = asice.build(files, state.fagsystem.certificate_pem, state.fagsystem.private_key)
    envelope = crypto.encrypt(package, state.intake.certificate_pem)
    if channel is not None:
        await _publish(state, channel, envelope, meldingstype, klient_melding_id, melding_id)
        return melding_id
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name(state.intake.konto_id), durable=True)
        await _publish(state, channel, envelope, meldingstype, klient_melding_id, melding_id)
    return melding_id


async def _publish(
    state: SimulatorState,
    channel: aio_pika.abc.AbstractChannel,
    envelope: bytes,
    meldingstype: str,
    klient_melding_id: str,
    melding_id: UUID,
) -> None:
    await channel.default_exchange.publish(
        aio_pika.Message(
            envelope,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            expiration=7 * 24 * 3600,
            headers={
                "avsender-id": str(state.fagsystem.konto_id),
                "melding-id": str(melding_id),
                "type": meldingstype,
                f"{CUSTOM}klientMeldingId": klient_melding_id,
            },
        ),
        routing_key=queue_name(state.intake.konto_id),
    )


async def wait_for_final(state: SimulatorState, melding_id: UUID, *, timeout_s: float = 60) -> list[Received]:
    """The answers to a message once its last one (kvittering, resultat or feilmelding) has arrived."""

    await asyncio.wait_for(state.final_arrived(melding_id).wait(), timeout=timeout_s)
    return state.answers_to(melding_id)
