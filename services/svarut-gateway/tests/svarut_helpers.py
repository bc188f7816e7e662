"""Test data made by the check-digit algorithms (never published example numbers)."""

from __future__ import annotations

import random
import uuid
from datetime import date

from arkiv5_svarut_gateway.domain.material import DispatchMaterial, DocumentRef, NoarkMetadata, PostalAddress, Recipient
from arkiv5_svarut_gateway.testing import minimal_pdf

_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORG = (3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if check == 11 else None if check == 10 else check


def make_fnr(rng: random.Random, *, d_nummer: bool = False) -> str:
    """A fødselsnummer (or D-nummer) born 1950–1999, with correct check digits."""
    while True:
        born = date(rng.randint(1950, 1999), rng.randint(1, 12), rng.randint(1, 28))
        day = born.day + (40 if d_nummer else 0)
        base = f"{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(0, 499):03d}"
        k1 = _mod11(base, _K1)
        if k1 is None:
            continue
        k2 = _mod11(base + str(k1), _K2)
        if k2 is None:
            continue
        return f"{base}{k1}{k2}"


def make_orgnr(rng: random.Random) -> str:
    while True:
        base = f"{rng.choice('89')}{rng.randint(0, 9_999_999):07d}"
        check = _mod11(base, _ORG)
        if check is not None:
            return f"{base}{check}"


def break_check_digit(number: str) -> str:
    """The same number with its last digit changed: the checksum fails."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def address(**overrides: str | None) -> PostalAddress:
    values: dict[str, str | None] = {"adresselinje1": "Storgata 1", "postnummer": "0155", "poststed": "OSLO"}
    values.update(overrides)
    return PostalAddress(**values)


def material_for(recipients: list[Recipient], *, skjermet: bool = False, documents: int = 2,
                 journalpost_id: uuid.UUID | None = None) -> tuple[DispatchMaterial, dict[uuid.UUID, bytes]]:
    docs = [DocumentRef(dokumentobjekt_id=uuid.uuid4(), filnavn=f"Vedtak: del {i}.pdf" if i else "Vedtak.pdf",
                        media_type="application/pdf", hoveddokument=i == 0) for i in range(documents)]
    material = DispatchMaterial(
        journalpost_id=journalpost_id or uuid.uuid4(), tittel="Vedtak om tildeling av tjenester", skjermet=skjermet,
        recipients=recipients, documents=docs,
        metadata=NoarkMetadata(saksaar=2026, sakssekvensnummer=12, journalaar=2026, journalsekvensnummer=345,
                               journalpostnummer=3, journalposttype="U", journalstatus="F",
                               journaldato=date(2026, 11, 20), dokumentetsDato=date(2026, 11, 19),
                               saksbehandler="Saksbehandler"),
    )
    return material, {d.dokumentobjekt_id: minimal_pdf(f"Dokument {i}") for i, d in enumerate(docs)}


def make_svarut_client(http, *, base_url: str = "http://sim", config=None, send_timeout_s: float = 5.0,
                       query_attempts: int = 3, private_key_pem: str | None = None):  # type: ignore[no-untyped-def]
    """A SvarutClient wired to a simulator (same account and integration credentials)."""
    from arkiv5_kit.maskinporten import MaskinportenToken
    from arkiv5_svarut_gateway.simulator import SimulatorConfig
    from arkiv5_svarut_gateway.svarut.breaker import CircuitBreaker
    from arkiv5_svarut_gateway.svarut.client import SvarutClient

    config = config or SimulatorConfig()
    token = MaskinportenToken(
        http, token_url=f"{base_url}/maskinporten/token", audience=config.maskinporten_audience,
        client_id="arkiv5-test", scope="ks:fiks", private_key_pem=private_key_pem or rsa_key()[0],
    )
    return SvarutClient(
        http, base_url=f"{base_url}/api", konto_id=config.konto_id, integrasjon_id=config.integrasjon_id,
        integrasjon_passord=config.integrasjon_passord, token=token,
        breaker=CircuitBreaker(failure_threshold=1000, reset_s=1), send_timeout_s=send_timeout_s,
        query_timeout_s=send_timeout_s, query_attempts=query_attempts, retry_initial_s=0.01, retry_max_s=0.05,
    )


_KEY: tuple[str, str] | None = None


def rsa_key() -> tuple[str, str]:
    """(private PEM, public PEM), made once per test run."""
    global _KEY
    if _KEY is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY = (
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        )
    return _KEY


async def publish(bus, *events) -> None:  # type: ignore[no-untyped-def]
    """Put events on the bus as the journal's relay would."""
    from arkiv5_contracts.cloudevents import to_binary
    from arkiv5_contracts.envelope import Envelope
    from arkiv5_kit.transport.base import OutgoingMessage

    messages = []
    for event in events:
        binary = to_binary(Envelope.wrap(event))
        messages.append(OutgoingMessage(event.topic, binary.key, binary.value, list(binary.headers)))
    await bus.publish(messages)


async def read_events(bus, topic: str, group: str = "test-reader") -> list:  # type: ignore[no-untyped-def]
    """Every event on a topic so far (from the start)."""
    from arkiv5_contracts.cloudevents import from_binary

    subscriber = bus.subscriber(f"{group}-{uuid.uuid4().hex[:6]}", [topic])
    await subscriber.start()
    try:
        out = []
        while records := await subscriber.fetch(1000, 0.2):
            out += [from_binary(r.headers, r.value) for r in records]
        return out
    finally:
        await subscriber.stop()


def gateway_settings(tmp_path, sim_url: str, **overrides):  # type: ignore[no-untyped-def]
    """Settings that run the whole protocol in seconds against a simulator."""
    from arkiv5_svarut_gateway.settings import SvarutGatewaySettings

    values = dict(
        var_dir=tmp_path, environment="test", svarut_base_url=f"{sim_url}/api",
        maskinporten_token_url=f"{sim_url}/maskinporten/token", svarut_send_timeout_s=0.5,
        svarut_query_timeout_s=0.5, svarut_connect_timeout_s=1.0, svarut_query_attempts=3,
        svarut_retry_initial_s=0.01, svarut_retry_max_s=0.05, lookup_window_s=1.5, lookup_interval_s=0.1,
        send_retry_initial_s=0.05, send_retry_max_s=0.3, worker_interval_s=0.05, worker_concurrency=32,
        status_poll_interval_s=0.1, breaker_failure_threshold=50, breaker_reset_s=0.2,
        outbox_poll_interval_s=0.05, shutdown_timeout_s=0.3, consumer_retry_max_s=0.2,
    )
    values.update(overrides)
    return SvarutGatewaySettings(**values)
