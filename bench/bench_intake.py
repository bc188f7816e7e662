"""Intake over Fiks IO: arkivmelding opprett (a journalpost with one 100 KB document) from the
simulator through a real RabbitMQ to intake and the journal, messages/s and latency from send
to kvittering (target ≥ 50/s on 2 cores).

Everything runs on this machine: a RabbitMQ node started here (scripts/rabbitmq_local.py),
the journal and intake in this process (SQLite, or a fresh PostgreSQL database each for the
journal and intake when ARKIV5_BENCH_POSTGRES_URL is set, dropped afterwards), the Fiks IO
simulator sealing each message (ASiC-E, signed, CMS with RSA-OAEP) and opening each kvittering.

Besides messages/s and latency it prints the CPU per message of this process (simulator,
intake and journal) and of the broker, net of their idle rate (bench/servercpu.py), with the
load average, and as the baseline measured in the same run the Fiks IO crypto alone: one
message sealed and opened and its two answers sealed and opened, without broker, database or
journal — the floor of what a message costs here.

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
sys.path.insert(0, str(ROOT / "bench"))

from rabbitmq_local import RabbitServer  # noqa: E402
from servercpu import Meter, machine_line  # noqa: E402

from arkiv5_intake.app import create_app  # noqa: E402
from arkiv5_intake.fiksio import asice, crypto  # noqa: E402
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
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


class IssuerAuth(httpx.Auth):
    def __init__(self, issuer: TestTokenIssuer) -> None:
        self.header = issuer.headers(
            sub="intake",
            audience="journal",
            scopes=["journal.read", "journal.write"],
            roles=["fagsystem"],
            lifetime_s=3600,
        )

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def,override]
        request.headers.update(self.header)
        yield request


def crypto_alone(rounds: int, document: bytes, intake: tuple[object, bytes], fagsystem: tuple[object, bytes]) -> float:
    """CPU ms per message of the Fiks IO crypto alone: the message sealed and opened, two answers sealed and opened."""
    intake_key, intake_cert = intake
    fag_key, fag_cert = fagsystem
    kvittering = {"arkivmelding-kvittering.xml": b"<kvittering/>" * 60}
    began = time.process_time()
    for number in range(rounds):
        package = asice.build({"arkivmelding.xml": message(number), "vedtak.pdf": document}, fag_cert, fag_key)  # type: ignore[arg-type]
        asice.read(crypto.decrypt(crypto.encrypt(package, intake_cert), intake_key), max_bytes=10 << 20)  # type: ignore[arg-type]
        for _answer in range(2):
            sealed = asice.build(kvittering, intake_cert, intake_key)  # type: ignore[arg-type]
            asice.read(crypto.decrypt(crypto.encrypt(sealed, fag_cert), fag_key), max_bytes=10 << 20)  # type: ignore[arg-type]
    return (time.process_time() - began) * 1000 / rounds


async def postgres_databases(base_url: str, names: list[str]) -> tuple[list[str], str]:
    """A fresh database per name for this run (dropped afterwards by drop_databases)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return [base.set(database=name).render_as_string(hide_password=False) for name in names], dsn


async def drop_databases(dsn: str, names: list[str]) -> None:
    import asyncpg

    admin = await asyncpg.connect(dsn)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def run(messages: int, in_flight: int, var: Path, amqp_url: str, broker_pid: int) -> None:
    pg = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    names = [f"bench_intake_journal_{os.getpid()}", f"bench_intake_intake_{os.getpid()}"]
    admin_dsn = ""
    urls: list[str | None] = [None, None]
    if pg:
        created, admin_dsn = await postgres_databases(pg, names)
        urls = list(created)
    try:
        await measure(messages, in_flight, var, amqp_url, broker_pid, urls[0], urls[1])
    finally:
        if pg:
            await drop_databases(admin_dsn, names)


async def measure(
    messages: int,
    in_flight: int,
    var: Path,
    amqp_url: str,
    broker_pid: int,
    journal_db: str | None,
    intake_db: str | None,
) -> None:
    from cryptography.hazmat.primitives import serialization

    issuer = TestTokenIssuer()
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{var}/bus.sqlite")
    journal_app = create_journal_app(
        JournalSettings(var_dir=var, environment="test", **({"database_url": journal_db} if journal_db else {})),
        bus=bus,
    )
    journal_app.state.token_verifier = issuer.verifier("journal")
    journal_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=journal_app), base_url="http://journal", timeout=120
    )
    intake_key, intake_cert = key_pair("intake")
    fag_key, fag_cert = key_pair("fagsystem")
    konto = uuid4()
    state = SimulatorState(intake=Konto(konto, intake_cert, intake_key), fagsystem=Konto(uuid4(), fag_cert, fag_key))
    simulator = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_fiks_io_simulator_app(state)), base_url="http://fiks-io"
    )
    intake_app = create_app(
        IntakeSettings(
            var_dir=var,
            environment="test",
            **({"database_url": intake_db} if intake_db else {}),
            fiks_io_enabled=True,
            fiks_io_amqp_url=amqp_url,
            fiks_io_konto_id=konto,
            fiks_io_prefetch=in_flight,
            fiks_io_send_url="http://fiks-io/fiks-io/api/v1/send",
            fiks_io_katalog_url="http://fiks-io/fiks-io/katalog/api/v1",
            fiks_io_maskinporten_token_url="http://fiks-io/maskinporten/token",
            fiks_io_certificate_pem=intake_cert.decode(),
            fiks_io_private_key_pem=intake_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
        ),
        bus=bus,
        journal=HttpJournalClient(journal_http, base_url="http://journal", auth=IssuerAuth(issuer)),
        fiks_io_http=simulator,
    )
    await bus.start()
    await journal_app.state.runtime.start()
    await intake_app.state.runtime.start()
    document = os.urandom(100 * 1024)
    try:
        await wait_for_final(
            state,
            await deliver(
                state, amqp_url, meldingstype=OPPRETT, klient_melding_id="sak", files={"arkivmelding.xml": SAKSMAPPE}
            ),
        )
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
                melding_id: UUID = await deliver(
                    state,
                    amqp_url,
                    meldingstype=OPPRETT,
                    klient_melding_id=f"m-{number}",
                    files={"arkivmelding.xml": message(number), "vedtak.pdf": document},
                    channel=channel,
                )
                answers = await wait_for_final(state, melding_id, timeout_s=300)
                latencies.append(time.perf_counter() - started)
                failures += not answers[-1].meldingstype.endswith(".kvittering")

        meter = Meter([os.getpid(), broker_pid])
        own = Meter([os.getpid()])
        await asyncio.gather(meter.idle(), own.idle())
        load_before = machine_line()
        phase, own_phase = meter.start(), own.start()
        begun = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(messages)))
        elapsed = time.perf_counter() - begun
        await asyncio.gather(phase.drained(), own_phase.drained())
        load_after = machine_line()
        await connection.close()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        baseline = crypto_alone(20, document, (intake_key, intake_cert), (fag_key, fag_cert))
        print(
            "| messages | in flight | database | messages/s | p50 ms | p99 ms | CPU ms per message | "
            "of which the broker | the crypto alone, CPU ms per message | not kvittering |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {messages} | {in_flight} | {'PostgreSQL' if journal_db else 'SQLite'} | {messages / elapsed:.1f} | "
            f"{statistics.median(latencies) * 1000:.0f} | {p99 * 1000:.0f} | {phase.ms_per(messages):.1f} | "
            f"{phase.ms_per(messages) - own_phase.ms_per(messages):.1f} | {baseline:.1f} | {failures} |"
        )
        print(f"before: {load_before}; after: {load_after}")
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
            broker_pid = int((Path(folder) / "rabbit" / "server.pid").read_text())
            asyncio.run(run(args.messages, args.in_flight, Path(folder), broker.url, broker_pid))
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
