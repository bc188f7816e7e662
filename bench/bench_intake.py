"""Intake over Fiks IO: arkivmelding opprett (a journalpost with one 100 KB document) from the
simulator through a real RabbitMQ to intake and the journal, messages/s and latency from send
to kvittering (target ≥ 50/s on 2 cores).

Everything runs on this machine: a RabbitMQ node started here (scripts/rabbitmq_local.py), a
fresh PostgreSQL database each for the journal and intake when ARKIV5_BENCH_POSTGRES_URL is set
(dropped afterwards; else SQLite), and the Fiks IO simulator sealing each message (ASiC-E,
signed, CMS with RSA-OAEP) and opening each answer. Two shapes (`--shape`):

- `processes` (the default), as deployed: the journal and intake each in its own process
  (`python -m arkiv5_journal serve`, `python -m arkiv5_intake serve`, real HTTP between them,
  intake's token from a client-credentials endpoint served here), and this process as KS's
  side: the simulator's send API, katalog and Maskinporten over HTTP, the sender and the
  receiver of the answers.
- `one-process`, the earlier shape: simulator, intake and journal in this one Python process
  (ASGI transports between them), so all of it shares one core.

Besides messages/s and latency it prints the CPU per message of each process (this one, intake,
journal) and of the broker, net of their idle rate (bench/servercpu.py; "this process" is its own
CPU without that of the processes it started, "all" counts each once), apart from them that of
the PostgreSQL backends serving the two databases when the server runs on this machine, the load
average, and as the baseline measured in the same run the Fiks IO crypto alone: one message
sealed and opened and its two answers sealed and opened, without broker, database or journal —
the floor of what a message costs here. Two lines say what a low rate waited for: how many of the
cores were busy during the run, with our work and with the machine's other work (so a rate bound
by a wait, with cores idle, is told from one bound by CPU the neighbours took), and, when the
PostgreSQL server runs here, the mean number of the two databases' backends in each state (lock
waits, transactions waiting for their service). Run both shapes alternately in the same sitting to
compare them.

    uv run python bench/bench_intake.py [--messages 300] [--in-flight 32] [--cases 1] [--shape processes|one-process]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import UUID, uuid4

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))

from rabbitmq_local import RabbitServer  # noqa: E402
from servercpu import MachineWindow, Meter, cpu_seconds, machine_line  # noqa: E402

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


def message(number: int, case: str = "sak") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{NS}/arkivmelding/opprett/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>bench</system><antallFiler>1</antallFiler>
  <registrering xsi:type="journalpost">
    <referanseForelderMappe><referanseEksternNoekkel {MDK}><fagsystem>bench</fagsystem><noekkel>{case}</noekkel></referanseEksternNoekkel></referanseForelderMappe>
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


def saksmappe(case: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{NS}/arkivmelding/opprett/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>bench</system><antallFiler>0</antallFiler>
  <mappe xsi:type="saksmappe"><tittel>Bench</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>bench</fagsystem><noekkel {MDK}>{case}</noekkel></referanseEksternNoekkel>
  </mappe>
</arkivmelding>""".encode()


def case_of(number: int, cases: int) -> str:
    """The saksmappe a message is archived in: "sak" alone, or spread round-robin over `cases` cases."""
    return "sak" if cases == 1 else f"sak-{number % cases}"


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


JOURNAL_ROLES = {"sub": "intake", "audience": "journal", "scopes": ["journal.read", "journal.write"],
                 "roles": ["fagsystem"], "lifetime_s": 3600}


@dataclass
class Stack:
    """What a shape set up: the simulator's state, the other processes to meter by name, and how to stop it."""

    state: SimulatorState
    processes: dict[str, int] = field(default_factory=dict)
    stops: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    databases: list[str | None] = field(default_factory=list)

    def print_logs(self) -> None:
        for log in self.logs:
            print(f"--- the end of {log.name}:", log.read_text(errors="replace")[-4000:], file=sys.stderr)

    async def stop(self) -> None:
        for stop in reversed(self.stops):
            await stop()


async def run(shape: str, messages: int, in_flight: int, cases: int, var: Path, amqp_url: str,
              broker_pid: int) -> None:
    pg = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    names = [f"bench_intake_journal_{os.getpid()}", f"bench_intake_intake_{os.getpid()}"]
    admin_dsn = ""
    urls: list[str | None] = [None, None]
    if pg:
        created, admin_dsn = await postgres_databases(pg, names)
        urls = list(created)
    intake_keys, fagsystem_keys = key_pair("intake"), key_pair("fagsystem")
    build = processes_stack if shape == "processes" else one_process_stack
    try:
        stack = await build(var, amqp_url, in_flight, urls[0], urls[1], intake_keys, fagsystem_keys)
        stack.databases = urls
        try:
            await measure(shape, stack, messages, in_flight, cases, amqp_url, broker_pid, bool(pg),
                          intake_keys, fagsystem_keys)
        except BaseException:
            stack.print_logs()
            raise
        finally:
            await stack.stop()
    finally:
        if pg:
            await drop_databases(admin_dsn, names)


def private_pem(key) -> str:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    return str(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode())


async def one_process_stack(var: Path, amqp_url: str, in_flight: int, journal_db: str | None, intake_db: str | None,
                            intake_keys: tuple[object, bytes], fagsystem_keys: tuple[object, bytes]) -> Stack:
    """Simulator, intake and journal in this process, ASGI transports between them."""
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
    intake_key, intake_cert = intake_keys
    fag_key, fag_cert = fagsystem_keys
    konto = uuid4()
    state = SimulatorState(intake=Konto(konto, intake_cert, intake_key), fagsystem=Konto(uuid4(), fag_cert, fag_key))  # type: ignore[arg-type]
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
            fiks_io_private_key_pem=private_pem(intake_key),
        ),
        bus=bus,
        journal=HttpJournalClient(journal_http, base_url="http://journal", auth=IssuerAuth(issuer)),
        fiks_io_http=simulator,
    )
    await bus.start()
    await journal_app.state.runtime.start()
    await intake_app.state.runtime.start()

    async def stop() -> None:
        await intake_app.state.runtime.stop()
        await journal_app.state.runtime.stop()
        await journal_http.aclose()
        await simulator.aclose()
        await bus.stop()

    return Stack(state, stops=[stop])


def serve_tokens(issuer: TestTokenIssuer) -> tuple[ThreadingHTTPServer, str]:
    """The access service's part for this run: its JWKS, and a client-credentials token for intake."""
    import json

    jwks = json.dumps(issuer.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self._answer(jwks)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            token = issuer.token(**JOURNAL_ROLES)  # type: ignore[arg-type]
            self._answer(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def start_service(module: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate the service's database, then serve it in a process of its own on a free port."""
    subprocess.run([sys.executable, "-m", module, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", module, "serve", "--host", "127.0.0.1",
                                    "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(1200):  # up to two minutes: a service starts slowly on a busy machine
            if process.poll() is not None:
                raise RuntimeError(f"the service at {url} exited ({process.returncode})")
            try:
                if (await client.get(f"{url}/healthz/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the service at {url} did not become ready")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def processes_stack(var: Path, amqp_url: str, in_flight: int, journal_db: str | None, intake_db: str | None,
                          intake_keys: tuple[object, bytes], fagsystem_keys: tuple[object, bytes]) -> Stack:
    """The journal and intake each in its own process; this process is KS's side (the simulator over HTTP)."""
    import uvicorn

    issuer = TestTokenIssuer()
    tokens, tokens_url = serve_tokens(issuer)
    intake_key, intake_cert = intake_keys
    fag_key, fag_cert = fagsystem_keys
    konto = uuid4()
    state = SimulatorState(intake=Konto(konto, intake_cert, intake_key), fagsystem=Konto(uuid4(), fag_cert, fag_key))  # type: ignore[arg-type]
    simulator_port = free_port()
    simulator = uvicorn.Server(uvicorn.Config(create_fiks_io_simulator_app(state), host="127.0.0.1",
                                              port=simulator_port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(simulator.serve())
    stack = Stack(state)

    async def stop_simulator() -> None:
        simulator.should_exit = True
        await serving
        tokens.shutdown()

    stack.stops.append(stop_simulator)
    while not simulator.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    fiks_io = f"http://127.0.0.1:{simulator_port}"
    common = {"ENVIRONMENT": "test", "JWKS_URL": f"{tokens_url}/jwks", "TOKEN_ISSUER": issuer.issuer,
              "LOG_LEVEL": "WARNING"}
    journal_env = {f"JOURNAL_{name}": value for name, value in common.items()}
    journal_env["JOURNAL_VAR_DIR"] = str(var / "journal")
    if journal_db:
        journal_env["JOURNAL_DATABASE_URL"] = journal_db
    (var / "journal").mkdir()
    journal, journal_url = await asyncio.to_thread(start_service, "arkiv5_journal", {**os.environ, **journal_env},
                                                   var / "journal.log")
    stack.processes["journal"] = journal.pid
    stack.stops.append(lambda: asyncio.to_thread(stop_process, journal))
    intake_env = {f"INTAKE_{name}": value for name, value in {
        **common,
        "VAR_DIR": str(var / "intake"),
        **({"DATABASE_URL": intake_db} if intake_db else {}),
        "TOKEN_URL": f"{tokens_url}/token", "CLIENT_ID": "intake", "CLIENT_SECRET": "bench",
        "JOURNAL_BASE_URL": journal_url,
        "FIKS_IO_ENABLED": "true", "FIKS_IO_AMQP_URL": amqp_url, "FIKS_IO_KONTO_ID": str(konto),
        "FIKS_IO_PREFETCH": str(in_flight),
        "FIKS_IO_SEND_URL": f"{fiks_io}/fiks-io/api/v1/send",
        "FIKS_IO_KATALOG_URL": f"{fiks_io}/fiks-io/katalog/api/v1",
        "FIKS_IO_MASKINPORTEN_TOKEN_URL": f"{fiks_io}/maskinporten/token",
        "FIKS_IO_CERTIFICATE_PEM": intake_cert.decode(), "FIKS_IO_PRIVATE_KEY_PEM": private_pem(intake_key),
    }.items()}
    (var / "intake").mkdir()
    intake, intake_url = await asyncio.to_thread(start_service, "arkiv5_intake", {**os.environ, **intake_env},
                                                 var / "intake.log")
    stack.processes["intake"] = intake.pid
    stack.stops.append(lambda: asyncio.to_thread(stop_process, intake))
    stack.logs += [var / "journal.log", var / "intake.log"]
    try:
        await wait_ready(journal_url, journal)
        await wait_ready(intake_url, intake)
    except BaseException:
        await stack.stop()
        stack.print_logs()
        raise
    return stack


async def postgres_cpu(urls: list[str]) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving these databases, when the server runs on this machine."""
    import asyncpg
    from sqlalchemy.engine import make_url

    if not urls:
        return {}
    base = make_url(urls[0])
    if base.host not in ("127.0.0.1", "localhost"):
        return {}
    connection = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                                      [make_url(url).database for url in urls])
    finally:
        await connection.close()
    seconds: dict[int, float] = {}
    for row in rows:
        try:
            seconds[row["pid"]] = cpu_seconds(row["pid"])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # ended meanwhile, or the server is not ours to read
    return seconds


class Waits:
    """What the two databases' backends were doing during the run, sampled every 50 ms from pg_stat_activity.

    Each line is the mean number of backends in that state: a lock's waiters ("Lock") queue behind
    one another, "idle in transaction" or "ClientRead" is a backend waiting for its service to send
    the next statement (the service's event loop, or the CPU it waits for).
    """

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.samples = 0
        self.counts: dict[tuple[str, str, str], int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from sqlalchemy.engine import make_url

        if not self.urls or make_url(self.urls[0]).host not in ("127.0.0.1", "localhost"):
            return
        import asyncpg

        base = make_url(self.urls[0])
        connection = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
        names = {make_url(url).database: service for url, service in zip(self.urls, ("journal", "intake"), strict=False)}

        async def sample() -> None:
            try:
                while True:
                    rows = await connection.fetch(
                        "SELECT datname, state, wait_event_type, wait_event, left(query, 40) AS query"
                        " FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND state <> 'idle'"
                        " AND pid <> pg_backend_pid()", list(names))
                    self.samples += 1
                    for row in rows:
                        what = f"{row['wait_event_type'] or 'on CPU'} {row['wait_event'] or ''}".strip()
                        if row["wait_event_type"] == "Lock":
                            what += f" ({row['query']}…)"
                        key = (names[row["datname"]], str(row["state"]), what)
                        self.counts[key] = self.counts.get(key, 0) + 1
                    await asyncio.sleep(0.05)
            finally:
                await connection.close()

        self._task = asyncio.create_task(sample())

    async def stop(self) -> list[str]:
        if self._task is None:
            return []
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        ranked = sorted(self.counts.items(), key=lambda item: -item[1])
        return [f"  {count / max(1, self.samples):5.2f} {service}: {state}, {what}"
                for (service, state, what), count in ranked if count / max(1, self.samples) >= 0.05]


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether `ancestor` started `pid` (directly or through its children), read from /proc."""
    while pid > 1:
        pid = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
        if pid == ancestor:
            return True
    return False


async def measure(shape: str, stack: Stack, messages: int, in_flight: int, cases: int, amqp_url: str, broker_pid: int,
                  postgres: bool, intake_keys: tuple[object, bytes], fagsystem_keys: tuple[object, bytes]) -> None:
    import aio_pika

    state = stack.state
    document = os.urandom(100 * 1024)
    for case in sorted({case_of(number, cases) for number in range(cases)}):
        await wait_for_final(
            state,
            await deliver(state, amqp_url, meldingstype=OPPRETT, klient_melding_id=case,
                          files={"arkivmelding.xml": saksmappe(case)}),
            timeout_s=120,
        )
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
                files={"arkivmelding.xml": message(number, case_of(number, cases)), "vedtak.pdf": document},
                channel=channel,
            )
            answers = await wait_for_final(state, melding_id, timeout_s=300)
            latencies.append(time.perf_counter() - started)
            if not answers[-1].meldingstype.endswith(".kvittering"):
                failures += 1
                # A feilmelding's text names the rule or the failure, never a value from the message.
                reason = re.search(r"<(?:\w+:)?feilmelding>([^<]*)<", answers[-1].xml or "")
                print(f"message {number} answered {answers[-1].meldingstype}: {reason.group(1) if reason else ''}",
                      file=sys.stderr)

    pids = {"this process": os.getpid(), **stack.processes, "broker": broker_pid}
    databases = [url for url in (stack.databases or []) if url]
    postgres_before = await postgres_cpu(databases)
    meters = {name: Meter([pid]) for name, pid in pids.items()}
    await asyncio.gather(*(meter.idle() for meter in meters.values()))
    load_before = machine_line()
    phases = {name: meter.start() for name, meter in meters.items()}
    window = MachineWindow()
    waits = Waits(databases)
    await waits.start()
    begun = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(messages)))
    elapsed = time.perf_counter() - begun
    waited = await waits.stop()
    await asyncio.gather(*(phase.drained() for phase in phases.values()))
    window.end()
    postgres_after = await postgres_cpu(databases)
    load_after = machine_line()
    await connection.close()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    baseline = crypto_alone(20, document, intake_keys, fagsystem_keys)
    cpu = {name: phase.ms_per(messages) for name, phase in phases.items()}
    # servercpu counts a process with its children: the services and the broker were started
    # from here, so this process's own share is what is left once theirs is taken off.
    children = [name for name, pid in pids.items() if name != "this process" and descends_from(pid, os.getpid())]
    everything = cpu["this process"] + sum(cpu[name] for name in cpu if name != "this process" and name not in children)
    cpu["this process"] = max(0.0, cpu["this process"] - sum(cpu[name] for name in children))

    if postgres_after:  # the server runs here: its backends' CPU for the two databases, counted apart
        cpu_postgres = sum(after - postgres_before.get(pid, 0.0) for pid, after in postgres_after.items())
        cpu["PostgreSQL"] = cpu_postgres * 1000 / messages

    def of(name: str) -> str:
        if name in cpu:
            return f"{cpu[name]:.1f}"
        if name == "PostgreSQL":
            return "(not on this machine)" if postgres else "— (SQLite)"
        return "(in this process)"

    print(
        "| shape | messages | in flight | cases | database | messages/s | p50 ms | p99 ms | CPU ms per message, all | "
        "this process | intake | journal | broker | PostgreSQL backends | the crypto alone, CPU ms per message | not kvittering |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {shape} | {messages} | {in_flight} | {cases} | {'PostgreSQL' if postgres else 'SQLite'} | {messages / elapsed:.1f} | "
        f"{statistics.median(latencies) * 1000:.0f} | {p99 * 1000:.0f} | {everything:.1f} | "
        f"{of('this process')} | {of('intake')} | {of('journal')} | {of('broker')} | {of('PostgreSQL')} | {baseline:.1f} | {failures} |"
    )
    print(f"before: {load_before}; after: {load_after}")
    # Whether the cores were full while the rate was what it was, and with whose work: ours (the
    # processes above and the two databases' backends, net of idle) or the machine's other work.
    print(window.line((everything + cpu.get("PostgreSQL", 0.0)) * messages / 1000))
    if waited:
        print(f"database backends during the run (mean number in each state, {waits.samples} samples):")
        print("\n".join(waited))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--shape", choices=["processes", "one-process"], default="processes")
    parser.add_argument("--cases", type=int, default=1,
                        help="saksmapper the journalposts are spread over (1: all in one case, as before)")
    args = parser.parse_args()
    os.environ.setdefault("ARKIV5_REFERENCE_DIR", str(ROOT.parent / "shared" / "reference"))
    with tempfile.TemporaryDirectory() as folder:
        broker = RabbitServer(Path(folder) / "rabbit", port=free_port()).start()
        try:
            broker_pid = int((Path(folder) / "rabbit" / "server.pid").read_text())
            asyncio.run(run(args.shape, args.messages, args.in_flight, args.cases, Path(folder), broker.url,
                            broker_pid))
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
