"""Intake over Fiks IO: arkivmelding opprett (a journalpost with one 100 KB document) from the
simulator through a real RabbitMQ to intake and the journal, messages/s and latency from send
to kvittering (target ≥ 50/s on 2 cores).

Everything runs on this machine: a RabbitMQ node started here (scripts/rabbitmq_local.py),
the journal and intake in this process (SQLite, or the journal's and intake's databases on
PostgreSQL when ARKIV5_BENCH_POSTGRES_URL is set), the Fiks IO simulator sealing each
message (ASiC-E, signed, CMS with RSA-OAEP) and opening each kvittering.

    uv run python bench/bench_intake.py [--messages 300] [--in-flight 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID, uuid4

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from rabbitmq_local import RabbitServer  # noqa: E402

from arkiv5_intake.app import create_app  # noqa: E402
from arkiv5_intake.fiksio.simulator import (  # noqa: E402
    Konto,
    SimulatorState,
    create_fiks_io_simulator_app,
    deliver,
    wait_for_final,
)
from arkiv5_intake.journal_client import HttpJournalClient  # noqa: E402
from arkiv5_intake.settings import IntakeSettings  # noqa: E402
from arkiv5_journal.app import create_app as create_journal_app  # noqa: E402
from arkiv5_journal.settings import JournalSettings  # noqa: E402
from arkiv5_kit.testing import TestTokenIssuer  # noqa: E402
from arkiv5_kit.transport.embedded import EmbeddedTransport  # noqa: E402
from processes import free_port  # noqa: E402

OPPRETT = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett"
NS = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv"
MDK = f'xmlns="{NS}/metadatakatalog/v1"'


def message(number: int) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{NS}/arkivmelding/opprett/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>bench</system><antallFiler>1</antallFiler>
  <registrering xsi:type="journalpost">
    <referanseForelderMappe><referanseEksternNoekkel {MDK}><fagsystem>bench</fagsystem><noekkel>sak</noekkel></referanseEksternNoekkel></referanseForelderMappe>
    <dokumentbeskrivelse>
      <dokumentstatus><kode {MDK}>F</kode></dokumentstatus><tittel>Vedtak</tittel>
      <tilknyttetRegistreringSom><kode {MDK}>H</kode></tilknyttetRegistreringSom>
      <dokumentobjekt><filnavn>vedtak.pdf</filnavn><referanseDokumentfil>vedtak.pdf</referanseDokumentfil></dokumentobjekt>
    </dokumentbeskrivelse>
    <tittel>Vedtak {number}</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>bench</fagsystem><noekkel {MDK}>jp-{number}</noekkel></referanseEksternNoekkel>
    <journalposttype><kode {MDK}>U</kode></journalposttype>
  </registrering>
</arkivmelding>""".encode()


SAKSMAPPE = f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{NS}/arkivmelding/opprett/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>bench</system><antallFiler>0</antallFiler>
  <mappe xsi:type="saksmappe"><tittel>Bench</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>bench</fagsystem><noekkel {MDK}>sak</noekkel></referanseEksternNoekkel>
  </mappe>
</arkivmelding>""".encode()


def key_pair(name: str):  # type: ignore[no-untyped-def]
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


class IssuerAuth(httpx.Auth):
    def __init__(self, issuer: TestTokenIssuer) -> None:
        self.header = issuer.headers(sub="intake", audience="journal", scopes=["journal.read", "journal.write"],
                                     roles=["fagsystem"], lifetime_s=3600)

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def,override]
        request.headers.update(self.header)
        yield request


async def run(messages: int, in_flight: int, var: Path, amqp_url: str) -> None:
    from cryptography.hazmat.primitives import serialization

    pg = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    issuer = TestTokenIssuer()
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{var}/bus.sqlite")
    journal_app = create_journal_app(JournalSettings(var_dir=var, environment="test", **(
        {"database_url": pg} if pg else {})), bus=bus)
    journal_app.state.token_verifier = issuer.verifier("journal")
    journal_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=journal_app), base_url="http://journal",
                                     timeout=120)
    intake_key, intake_cert = key_pair("intake")
    fag_key, fag_cert = key_pair("fagsystem")
    konto = uuid4()
    state = SimulatorState(intake=Konto(konto, intake_cert, intake_key), fagsystem=Konto(uuid4(), fag_cert, fag_key))
    simulator = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fiks_io_simulator_app(state)),
                                  base_url="http://fiks-io")
    intake_app = create_app(IntakeSettings(
        var_dir=var, environment="test", fiks_io_enabled=True, fiks_io_amqp_url=amqp_url, fiks_io_konto_id=konto,
        fiks_io_prefetch=in_flight, fiks_io_send_url="http://fiks-io/fiks-io/api/v1/send",
        fiks_io_katalog_url="http://fiks-io/fiks-io/katalog/api/v1",
        fiks_io_maskinporten_token_url="http://fiks-io/maskinporten/token", fiks_io_certificate_pem=intake_cert.decode(),
        fiks_io_private_key_pem=intake_key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()).decode(),
    ), bus=bus, journal=HttpJournalClient(journal_http, base_url="http://journal", auth=IssuerAuth(issuer)),
        fiks_io_http=simulator)
    await bus.start()
    await journal_app.state.runtime.start()
    await intake_app.state.runtime.start()
    document = os.urandom(100 * 1024)
    try:
        await wait_for_final(state, await deliver(state, amqp_url, meldingstype=OPPRETT, klient_melding_id="sak",
                                                  files={"arkivmelding.xml": SAKSMAPPE}))
        import aio_pika

        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel()
        latencies: list[float] = []
        failures = 0
        gate = asyncio.Semaphore(in_flight)

        async def one(number: int) -> None:
            nonlocal failures
            async with gate:
                started = time.perf_counter()
                melding_id: UUID = await deliver(state, amqp_url, meldingstype=OPPRETT,
                                                 klient_melding_id=f"m-{number}",
                                                 files={"arkivmelding.xml": message(number), "vedtak.pdf": document},
                                                 channel=channel)
                answers = await wait_for_final(state, melding_id, timeout_s=300)
                latencies.append(time.perf_counter() - started)
                failures += not answers[-1].meldingstype.endswith(".kvittering")

        begun = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(messages)))
        elapsed = time.perf_counter() - begun
        await connection.close()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print("| messages | in flight | database | messages/s | p50 ms | p99 ms | not kvittering |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {messages} | {in_flight} | {'PostgreSQL' if pg else 'SQLite'} | {messages / elapsed:.1f} | "
              f"{statistics.median(latencies) * 1000:.0f} | {p99 * 1000:.0f} | {failures} |")
    finally:
        await intake_app.state.runtime.stop()
        await journal_app.state.runtime.stop()
        await journal_http.aclose()
        await simulator.aclose()
        await bus.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("ARKIV5_REFERENCE_DIR", str(ROOT.parent / "shared" / "reference"))
    with tempfile.TemporaryDirectory() as folder:
        broker = RabbitServer(Path(folder) / "rabbit", port=free_port()).start()
        try:
            asyncio.run(run(args.messages, args.in_flight, Path(folder), broker.url))
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
