"""The Fiks IO consumer: one queue per account (`fiksio.konto.<kontoId>`), manual ack, prefetch.

KS's receipt flow: validate; send `…mottatt`; archive; send `…kvittering` (or a feilmelding);
ack. The answers are stored with the message (intake's table of answers, its outbox) before
any is sent; each sent answer is counted. Ack comes only after every answer went out. When
sending fails, the message is delivered again after a pause: the stored answers are sent
again from the first one not yet sent, and nothing is archived twice. A message that cannot
be opened (envelope, package) gets ugyldigforespoersel and is acked: a nack tells the sender nothing.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from ..fiksarkiv import answers
from ..fiksarkiv.handler import FiksArkivHandler, Handled, Melding
from . import asice, crypto
from .sender import Sender, SendFailed

log = logging.getLogger(__name__)

CUSTOM = "egendefinert-header."


def queue_name(konto_id: UUID) -> str:
    return f"fiksio.konto.{konto_id}"


class FiksIoConsumer:
    def __init__(
        self,
        *,
        handler: FiksArkivHandler,
        sender: Sender,
        amqp_url: str,
        konto_id: UUID,
        private_key: RSAPrivateKey,
        prefetch: int,
        max_bytes: int,
        retry_s: float,
    ) -> None:
        self.handler = handler
        self.sender = sender
        self.amqp_url = amqp_url
        self.konto_id = konto_id
        self.private_key = private_key
        self.prefetch = prefetch
        self.max_bytes = max_bytes
        self.retry_s = retry_s

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; a lost connection is re-established by aio-pika."""
        while not stopping.is_set():
            try:
                connection = await aio_pika.connect_robust(self.amqp_url, reconnect_interval=1)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("fiks io broker unreachable", extra={"error_type": type(exc).__name__})
                await _sleep(stopping, self.retry_s)
                continue
            try:
                async with connection:
                    channel = await connection.channel()
                    await channel.set_qos(prefetch_count=self.prefetch)
                    queue = await channel.declare_queue(queue_name(self.konto_id), durable=True)
                    tag = await queue.consume(self.on_message, no_ack=False)
                    await stopping.wait()
                    await queue.cancel(tag)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("fiks io connection lost", extra={"error_type": type(exc).__name__})
                await _sleep(stopping, self.retry_s)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        headers = {str(k): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in (message.headers or {}).items()}
        meldingstype = headers.get("type", "")
        avsender = headers.get("avsender-id", "")
        melding_id = headers.get("melding-id", "")
        klient_melding_id = headers.get(f"{CUSTOM}klientMeldingId") or headers.get("klientmelding-id") or melding_id
        try:
            til, svar_pa = UUID(avsender), UUID(melding_id)
        except ValueError:
            log.warning("fiks io message without sender or id dropped")
            await message.ack()
            return
        try:
            files = asice.read(crypto.decrypt(message.body, self.private_key), max_bytes=self.max_bytes)
            payload_name = next((n for n in files if n.endswith(".xml")), None)
            if payload_name is None:
                raise asice.AsiceError("the package holds no message XML")
        except (crypto.CmsError, asice.AsiceError) as problem:
            svar = answers.feilmelding(answers.UGYLDIG, f"the Fiks IO package cannot be opened: {problem}")
            await self._send_all(Handled(None, [svar]), til, svar_pa, klient_melding_id, message, melding_id)
            return
        payload = files.pop(payload_name)
        melding = Melding(
            meldingstype=meldingstype,
            klient_melding_id=klient_melding_id,
            avsender=f"fiksio:{avsender}",
            payload=payload,
            attachments=files,
        )
        received: list[bool] = []

        async def send_mottatt() -> None:  # …mottatt before the archive is touched
            await self.sender.send(
                answers.mottatt(meldingstype), til=til, svar_pa_melding=svar_pa, klient_melding_id=klient_melding_id
            )
            received.append(True)

        try:
            handled = await self.handler.handle(melding, on_received=send_mottatt, received_by=melding_id)
            if received and handled.melding_id is not None and handled.first_unsent(melding_id) == 0:
                # Another worker stored the answers first: count the …mottatt sent here.
                await self.handler.mark_sent(handled.melding_id, 1, melding_id)
                handled = Handled(handled.melding_id, handled.svar, 1, melding_id)
        except SendFailed:
            await self._later(message)
            return
        await self._send_all(handled, til, svar_pa, klient_melding_id, message, melding_id)

    async def _send_all(
        self,
        handled: Handled,
        til: UUID,
        svar_pa: UUID,
        klient_melding_id: str,
        message: AbstractIncomingMessage,
        melding_id: str,
    ) -> None:
        try:
            for index in range(handled.first_unsent(melding_id), len(handled.svar)):
                await self.sender.send(
                    handled.svar[index], til=til, svar_pa_melding=svar_pa, klient_melding_id=klient_melding_id
                )
                if handled.melding_id is not None:
                    await self.handler.mark_sent(handled.melding_id, index + 1, melding_id)
        except SendFailed as exc:
            log.warning("fiks io answer not sent; the message comes again", extra={"error_type": str(exc)[:60]})
            await self._later(message)
            return
        await message.ack()

    async def _later(self, message: AbstractIncomingMessage) -> None:
        await asyncio.sleep(self.retry_s)
        await message.nack(requeue=True)


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        pass
