"""Benchmark: journalpost registration over HTTP, on PostgreSQL as deployed and on the embedded default.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… [ARKIV5_BENCH_KAFKA_BOOTSTRAP=host:port]
uv run python bench/bench_journal.py [registrations] [postgres|sqlite|both]`` (default 5,000,
both). A fresh database (or SQLite folder) is made and removed.

The journal runs as it does in production: `python -m arkiv5_journal serve` processes, each
with its outbox relay, verifying RS256 tokens against a JWKS served by this script. On
PostgreSQL: one replica per core when Kafka is given, else one replica on the embedded
bus, 32 clients. The embedded default is measured as `make run` serves it: the whole suite
in one process (`arkiv5 run`: every service on SQLite and the embedded bus, conversion on,
tokens from its own access service), 8 clients on its /journal prefix. With
``ARKIV5_BENCH_BASELINE_PYTHON=<another checkout>/.venv/bin/python`` the embedded default
is measured a second time with that checkout's code right after (the baseline in the
same run). ``ARKIV5_BENCH_CLIENTS=N`` sets the number of concurrent clients (default: 32 on
PostgreSQL, 8 on the embedded default); ``ARKIV5_BENCH_ONE_REQUEST_ONLY=1`` measures the
one-request registration only (no two-request phase). On the suite the
conversion backlog (jobs queued or running) is printed at the start and the end of the
measured phase: registrations arrive faster than their documents are converted, so it grows
while the latencies are measured. This process is the load generator: concurrent clients
over real sockets, keep-alive, spread over the replicas.

One registration = one request: ``POST /saksmapper/{id}/journalposter`` as multipart/form-data
with the journalpost (two korrespondanseparter) and a 100 KB PDF (targets on 2 cores:
PostgreSQL ≥ 200/s at 32 clients, the embedded default ≥ 100/s at 8, p99 < 250 ms). Baseline
in the same run: the same registration as two requests (the journalpost as JSON, then the
document to /journalposter/{id}/dokumenter). The same registration through the Noark 5
interface is measured by bench_noark5.py, which drives this harness.

Server CPU per registration (bench/servercpu.py) is the figure a loaded machine does not
blur: the replicas' CPU time over the phase, net of their idle rate, until the outbox has
drained, divided by the registrations (target ≤ 10 ms on PostgreSQL). Afterwards the
database is checked: journal numbers unique and gapless, exactly one JournalpostRegistered
event per journalpost, every document stored. Search is measured by bench_journal_search.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
import httpx
import servercpu
from sqlalchemy.engine import make_url

from arkiv5_kit.testing import TestTokenIssuer

# The load: 32 clients on PostgreSQL, 8 on the embedded default (a small municipality).
CLIENTS = {"postgres": 32, "sqlite": 8}
DOCUMENT = b"%PDF-1.7\n" + os.urandom(100 * 1024 - 16) + b"\n%%EOF\n"
UNIT = "00000000-0000-4000-8000-000000000001"
BODY = {
    "journalposttype": "I", "tittel": "Søknad om tilbygg", "mottattDato": "2026-11-20",
    "korrespondansepart": [
        {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Nordmann", "foedselsnummer": "01010012356",
         "postadresse": ["Storgata 1"], "postnummer": "4514", "poststed": "Mandal"},
        {"korrespondanseparttype": "EK", "korrespondansepartNavn": "Lindesnes Bygg AS", "organisasjonsnummer": "974760673"},
    ],
}
BODY_WITH_DOCUMENT = {**BODY, "dokumentbeskrivelse": [{"fil": "dokument", "tittel": "Søknad"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_jwks(jwks: dict) -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/jwks"


async def _admin(base_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False))


def _replicas(env: dict[str, str], count: int) -> list[tuple[subprocess.Popen[bytes], str]]:
    subprocess.run([sys.executable, "-m", "arkiv5_journal", "migrate"], env=env, check=True)
    started = []
    for _ in range(count):
        port = _free_port()
        process = subprocess.Popen([sys.executable, "-m", "arkiv5_journal", "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
        started.append((process, f"http://127.0.0.1:{port}"))
    return started


def _suite(env: dict[str, str], var_dir: Path, python: str) -> tuple[subprocess.Popen[bytes], str]:
    """The embedded default as `make run` serves it: every service in one process, conversion on."""
    port = _free_port()
    process = subprocess.Popen([python, "-m", "arkiv5_suite.cli", "run", "--host", "127.0.0.1", "--port", str(port),
                                "--var-dir", str(var_dir)], env={**env, "ARKIV5_LOG_LEVEL": "WARNING"},
                               stdout=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


async def _suite_token(base: str) -> dict[str, str]:
    """A fagsystem's token from the suite's own access service (the demo client)."""
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{base}/access/oauth2/token", auth=("demo-fagsystem", "demo-client-secret"), data={
            "grant_type": "client_credentials", "audience": "journal", "scope": "journal.read journal.write"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _wait_ready(urls: list[str]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls:
            for _ in range(1200):  # up to two minutes: a replica starts slowly on a busy machine
                try:
                    if (await client.get(f"{url}/healthz/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the journal at {url} did not become ready")


class LoadClient:
    """The load generator's side of one keep-alive connection: prepared bytes out, status and body back.

    A load generator should cost the machine as little as possible (it shares the cores with
    the servers), so it writes requests it built once and reads only what it checks — the way
    wrk or h2load do — instead of going through a full HTTP client.
    """

    def __init__(self, url: str) -> None:
        address, slash, prefix = url.removeprefix("http://").partition("/")
        self.host, _, port = address.partition(":")
        self.port = int(port)
        self.prefix = f"{slash}{prefix}".encode()  # the suite serves the journal under /journal
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
        if self._stream is None:
            self._stream = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._stream
        writer.write(b"POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n" % (
            self.prefix, path.encode(), self.host.encode(), len(body), headers) + body)
        status = int((await reader.readline()).split(b" ", 2)[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    def close(self) -> None:
        if self._stream is not None:
            self._stream[1].close()


def _header_lines(headers: dict[str, str]) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())


async def _run(urls: list[str], headers: dict[str, str], cases: list[str], total: int, concurrency: int, *,
               one_request: bool, noark5: bool = False) -> tuple[list[float], float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    latencies: list[float] = []
    # A load generator sends the same bytes every time; the server parses every request anew.
    request = httpx.Request("POST", "http://b/", data={"journalpost": json.dumps(BODY_WITH_DOCUMENT)},
                            files={"dokument": ("soknad.pdf", DOCUMENT, "application/pdf")})
    multipart_body = request.read()
    multipart_headers = _header_lines({**headers, "Content-Type": request.headers["Content-Type"]})
    json_body, json_headers = json.dumps(BODY).encode(), _header_lines({**headers, "Content-Type": "application/json"})
    pdf_headers = _header_lines({**headers, "Content-Type": "application/pdf"})

    async def worker(number: int) -> None:
        client = LoadClient(urls[number % len(urls)])
        try:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                path = f"/saksmapper/{cases[i % len(cases)]}/journalposter"
                if noark5:
                    # The Noark 5 interface: the journalpost, then the file on its fil link.
                    case = f"/noark5/api/sakarkiv/saksmappe/{cases[i % len(cases)]}/ny-journalpost/"
                    status, answer = await client.post(case, json_headers, json_body)
                    assert status == 201, answer
                    upload = f"/noark5/api/sakarkiv/journalpost/{json.loads(answer)['systemID']}/fil/?tittel=S%C3%B8knad"
                    status, answer = await client.post(upload, pdf_headers, DOCUMENT)
                    assert status == 201, answer
                elif one_request:
                    status, answer = await client.post(path, multipart_headers, multipart_body)
                    assert status == 201, answer
                else:
                    status, answer = await client.post(path, json_headers, json_body)
                    assert status == 201, answer
                    upload = f"/journalposter/{json.loads(answer)['systemID']}/dokumenter?tittel=S%C3%B8knad"
                    status, answer = await client.post(upload, pdf_headers, DOCUMENT)
                    assert status == 201, answer
                latencies.append((time.perf_counter() - start) * 1000)
        finally:
            client.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return latencies, time.perf_counter() - began


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


async def _check(url: str | None, sqlite_file: Path | None) -> tuple[int, bool, bool, bool]:
    journalposts = "SELECT system_id, journalaar, journalsekvensnummer FROM journalpost"
    events_sql = "SELECT payload FROM outbox WHERE event_type LIKE '%journalpost.registered%'"
    without_document = ("SELECT count(*) FROM journalpost j WHERE NOT EXISTS "
                        "(SELECT 1 FROM dokumentbeskrivelse d WHERE d.journalpost_id = j.system_id)")
    if sqlite_file is not None:
        with sqlite3.connect(sqlite_file) as db:
            rows = [dict(zip(("system_id", "journalaar", "journalsekvensnummer"), r, strict=True))
                    for r in db.execute(journalposts)]
            payloads = [{"payload": r[0]} for r in db.execute(events_sql)]
            documents = db.execute(without_document).fetchone()[0]
    else:
        assert url is not None
        connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False))
        try:
            rows = [dict(r) for r in await connection.fetch(journalposts)]
            payloads = [dict(r) for r in await connection.fetch(events_sql)]
            documents = await connection.fetchval(without_document)
        finally:
            await connection.close()
    numbers = sorted(r["journalsekvensnummer"] for r in rows)
    gapless = numbers == list(range(1, len(numbers) + 1)) and len({r["journalaar"] for r in rows}) == 1
    events = Counter(uuid.UUID(json.loads(p["payload"])["journalpost_id"]) for p in payloads)
    one_event_each = set(events) == {uuid.UUID(str(r["system_id"])) for r in rows} and set(events.values()) == {1}
    return len(rows), gapless, one_event_each, documents == 0


async def _quiet(meter: servercpu.Meter, *, below: float = 0.15, timeout_s: float = 600.0) -> None:
    """Wait until the servers spend less than `below` CPU seconds per second (background work done)."""
    deadline = time.monotonic() + timeout_s
    before = servercpu.total(meter.pids)
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = servercpu.total(meter.pids)
        if now - before < below:
            return
        before = now
    print(f"(the servers did not go quiet in {timeout_s:g} s: the idle rate includes background work)", flush=True)


def _conversion_backlog(var_dir: Path) -> int:
    """The suite's conversion jobs queued or running (its var folder's conversion database)."""
    with sqlite3.connect(var_dir / "conversion.sqlite") as db:
        query = "SELECT count(*) FROM conversion_job WHERE status IN ('queued', 'running')"
        return int(db.execute(query).fetchone()[0])


@dataclass
class Measured:
    """One backend's figures: latencies (ms), wall seconds and server CPU ms per registration, each way."""

    backend: str
    clients: int
    one: list[float]
    one_s: float
    one_cpu_ms: float
    two: list[float]
    two_s: float
    two_cpu_ms: float
    idle_cpu: float
    checked: tuple[int, bool, bool, bool]
    python: str
    backlog: tuple[int, int] | None  # the suite's conversion jobs waiting at the start and end of the phase


async def _measure(backend: str, total: int, base_url: str | None, bootstrap: str | None,
                   python: str = sys.executable) -> Measured:
    """Start the journal on the backend, drive both ways of registering, check the database."""
    name = f"bench_journal_{uuid.uuid4().hex[:8]}"
    admin = await _admin(base_url) if backend == "postgres" and base_url else None
    issuer = TestTokenIssuer()
    jwks_server, jwks_url = _serve_jwks(issuer.jwks)
    replicas: list[tuple[subprocess.Popen[bytes], str]] = []
    clients = int(os.environ.get("ARKIV5_BENCH_CLIENTS") or CLIENTS[backend])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "JOURNAL_VAR_DIR": tmp, "JOURNAL_ENVIRONMENT": "test",
                   "JOURNAL_JWKS_URL": jwks_url, "JOURNAL_TOKEN_ISSUER": issuer.issuer, "JOURNAL_LOG_LEVEL": "WARNING",
                   "JOURNAL_DATABASE_POOL_SIZE": "20"}
            url: str | None = None
            sqlite_file: Path | None = None
            count = 1
            if admin is not None:
                assert base_url is not None
                await admin.execute(f'CREATE DATABASE "{name}"')
                url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
                env["JOURNAL_DATABASE_URL"] = url
                if bootstrap:
                    count = os.cpu_count() or 1
                    env.update(JOURNAL_BUS="kafka", JOURNAL_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
                               JOURNAL_KAFKA_TOPIC_PREFIX=f"{name}.")
            else:  # the embedded default: SQLite files and the embedded bus in the var folder
                sqlite_file = Path(tmp) / "journal.sqlite"
            if sqlite_file is None:
                replicas = _replicas(env, count)
                urls = [u for _p, u in replicas]
                await _wait_ready(urls)
                headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                         roles=["fagsystem"], lifetime_s=3600)
            else:
                replicas = [_suite(env, Path(tmp), python)]
                urls = [f"{replicas[0][1]}/journal"]
                await _wait_ready(urls)
                headers = await _suite_token(replicas[0][1])
            meter = servercpu.Meter([process.pid for process, _u in replicas])
            async with httpx.AsyncClient(base_url=urls[0], timeout=60) as setup:
                cases = []
                for _ in range(50):
                    r = await setup.post("/saksmapper", json={"tittel": "Bench", "administrativEnhet": UNIT},
                                         headers=headers)
                    assert r.status_code == 201, r.text
                    cases.append(r.json()["systemID"])
            # Warm-up: connections, caches. The suite converts every warm-up document before its
            # idle rate is measured, so it gets a smaller one.
            warm_up = 200 if sqlite_file is None else max(16, 4 * clients)
            await _run(urls, headers, cases, warm_up, clients, one_request=True)
            await _quiet(meter)
            if sqlite_file is not None:  # the suite's tokens are short-lived: a fresh one per phase
                headers = await _suite_token(replicas[0][1])
            await meter.idle()
            backlog: tuple[int, int] | None = None
            phase = meter.start()
            backlog_start = _conversion_backlog(Path(tmp)) if sqlite_file is not None else 0
            one, one_s = await _run(urls, headers, cases, total, clients, one_request=True)
            if sqlite_file is not None:
                backlog = (backlog_start, _conversion_backlog(Path(tmp)))
            await phase.drained(timeout_s=600)  # the suite converts every document after the run
            one_cpu_ms = phase.ms_per(total)
            two: list[float] = []
            two_s, two_cpu_ms = 0.0, 0.0
            if os.environ.get("ARKIV5_BENCH_ONE_REQUEST_ONLY") != "1":
                phase = meter.start()
                if sqlite_file is not None:
                    headers = await _suite_token(replicas[0][1])
                two, two_s = await _run(urls, headers, cases, total // 2, clients, one_request=False)
                await phase.drained(timeout_s=600)  # the suite converts every document after the run
                two_cpu_ms = phase.ms_per(total // 2)
            for process, _u in replicas:
                process.terminate()
            for process, _u in replicas:
                process.wait(timeout=30)
            checked = await _check(url, sqlite_file)
    finally:
        for process, _u in replicas:
            if process.poll() is None:
                process.kill()
        jwks_server.shutdown()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    where = ("PostgreSQL + " + (f"Kafka, {count} replicas" if bootstrap else "embedded bus, 1 replica")
             if backend == "postgres" else f"the embedded default: the suite in one process, SQLite + embedded bus, "
             f"conversion on; {'the baseline' if python != sys.executable else 'this checkout'}'s code")
    print(f"(journal on {where}; {clients} concurrent clients; idle server CPU {meter.idle_rate * 1000:.0f} ms/s; "
          f"{servercpu.machine_line()} at the end)", flush=True)
    if backlog is not None:
        print(f"(conversion backlog: {backlog[0]} jobs queued or running when the phase began, {backlog[1]} when "
              "its last registration was answered)", flush=True)
    return Measured(backend, clients, one, one_s, one_cpu_ms, two, two_s, two_cpu_ms, meter.idle_rate,
                    checked, python, backlog)


async def main(total: int, backends: list[str]) -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    bootstrap = os.environ.get("ARKIV5_BENCH_KAFKA_BOOTSTRAP")
    print(f"cpu_count: {os.cpu_count()}; {servercpu.machine_line()} at the start")
    if "postgres" in backends and not base_url:
        print("ARKIV5_BENCH_POSTGRES_URL is not set; PostgreSQL not measured")
        backends = [b for b in backends if b != "postgres"]
    results = [await _measure(backend, total, base_url, bootstrap) for backend in backends]
    baseline_python = os.environ.get("ARKIV5_BENCH_BASELINE_PYTHON")
    if baseline_python and "sqlite" in backends:
        results.append(await _measure("sqlite", total, base_url, bootstrap, python=baseline_python))
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    for m in results:
        label = f"{'PostgreSQL' if m.backend == 'postgres' else 'SQLite'}, {m.clients} clients"
        if m.python != sys.executable:
            label += " (baseline code)"
        target_rate = "≥ 200" if m.backend == "postgres" else "≥ 100"
        target_cpu = "≤ 10" if m.backend == "postgres" else "-"
        median_one, rate = statistics.median(m.one), total / m.one_s
        latency_base = rate_base = cpu_base = "- | -"  # the one-request phase only
        if m.two:
            median_two, base_rate = statistics.median(m.two), (total // 2) / m.two_s
            latency_base = f"{median_two:.1f} (two requests) | {median_two / median_one:.2f}"
            rate_base = f"{base_rate:.1f} (two requests) | {rate / base_rate:.2f}"
            cpu_ratio = f"{m.two_cpu_ms / m.one_cpu_ms:.2f}" if m.one_cpu_ms else "-"
            cpu_base = f"{m.two_cpu_ms:.1f} (two requests) | {cpu_ratio}"
        print(f"| {label}: registration + 100 KB document, one request (latency) | {median_one:.1f} | "
              f"{_p(m.one, 99):.1f} | ms | {latency_base} | p99 < 250 |")
        print(f"| {label}: registration + 100 KB document, one request (throughput) | {rate:.1f} | - | /s | "
              f"{rate_base} | {target_rate} |")
        print(f"| {label}: server CPU per registration, net of idle, drained | {m.one_cpu_ms:.1f} | - | ms | "
              f"{cpu_base} | {target_cpu} |")
        registered, gapless, one_event_each, all_documents = m.checked
        print(f"| {label}: journal numbers gapless over {registered} registrations, one event and a document each | "
              f"{gapless and one_event_each and all_documents} | - | bool | - | - | True |")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    chosen = arguments[1] if len(arguments) > 1 else "both"
    if chosen not in ("postgres", "sqlite", "both"):
        raise SystemExit("usage: bench_journal.py [registrations] [postgres|sqlite|both]")
    asyncio.run(main(int(arguments[0]) if arguments else 5000,
                     ["postgres", "sqlite"] if chosen == "both" else [chosen]))
