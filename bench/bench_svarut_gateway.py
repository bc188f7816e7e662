"""SvarUt gateway figures: dispatches per second against the simulator, without and with faults.

The simulator runs in its own process (`python -m arkiv5_svarut_gateway.simulator`); the
gateway runs here with its real worker, database (PostgreSQL when ARKIV5_BENCH_POSTGRES_URL
is set, else SQLite) and the embedded bus. A run publishes N DispatchRequested events and
times until SvarUt has accepted every letter (the gateway knows its id); it then waits
until every terminal status is back and checks that the simulator counted each
eksternReferanse exactly once. Target (2 cores): ≥ 100 dispatches/s without faults.

Baseline: the same simulator taking the same multipart letters from a bare httpx client
(same concurrency, no database, no state machine), measured in the same run before each
gateway run; the ratio is the share of that raw rate the gateway reaches.

    ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/bench_svarut_gateway.py
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_kit.transport.base import OutgoingMessage
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_svarut_gateway.app import create_app
from arkiv5_svarut_gateway.domain.addressing import Route, route
from arkiv5_svarut_gateway.domain.forsendelse import Document, build_forsendelse
from arkiv5_svarut_gateway.domain.material import DispatchMaterial, DocumentRef, PostalAddress, Recipient
from arkiv5_svarut_gateway.models import DispatchState, Forsendelse
from arkiv5_svarut_gateway.service import record_dispatches_requested
from arkiv5_svarut_gateway.settings import SvarutGatewaySettings
from arkiv5_svarut_gateway.simulator import SimulatorConfig
from arkiv5_svarut_gateway.testing import FakeConversion, FakeJournal, minimal_pdf

N = int(os.environ.get("ARKIV5_BENCH_DISPATCHES", "1000"))
RUNS = int(os.environ.get("ARKIV5_BENCH_RUNS", "3"))
POSTGRES = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
TARGET = 100.0
CONCURRENCY = 64  # the gateway's worker_concurrency, and the baseline client's
ROWS = [
    ("none", "sending stage, no faults"),
    ("faults", "sending stage, 20 % faults (all kinds)"),
    ("bus", "end to end from DispatchRequested on the bus, no faults"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orgnr(n: int) -> str:
    """A valid organisasjonsnummer made from n by the check-digit algorithm."""
    while True:
        base = f"9{n % 10_000_000:07d}"
        check = 11 - sum(int(d) * w for d, w in zip(base, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        if check == 11:
            return base + "0"
        if check != 10:
            return base + str(check)
        n += 1


def workload(journal: FakeJournal, n: int) -> list[DispatchRequested]:
    pdf = minimal_pdf()
    events = []
    for i in range(n):
        doc = DocumentRef(dokumentobjekt_id=uuid.uuid4(), filnavn="Vedtak.pdf", hoveddokument=True)
        if i % 2:
            recipient = Recipient(korrespondansepart_id=uuid.uuid4(), navn="Mottaker AS", organisasjonsnummer=orgnr(i))
        else:
            recipient = Recipient(korrespondansepart_id=uuid.uuid4(), navn="Mottaker",
                                  postadresse=PostalAddress(adresselinje1="Storgata 1", postnummer="0155", poststed="OSLO"))
        material = DispatchMaterial(journalpost_id=uuid.uuid4(), tittel="Vedtak", recipients=[recipient], documents=[doc])
        journal.add(material, {doc.dokumentobjekt_id: pdf})
        events.append(DispatchRequested(dispatch_id=uuid.uuid4(), journalpost_id=material.journalpost_id,
                                        recipient_ids=[recipient.korrespondansepart_id],
                                        dokumentobjekt_ids=[doc.dokumentobjekt_id]))
    return events


async def database_url(tmp: Path, tag: str) -> str:
    if not POSTGRES:
        return f"sqlite+aiosqlite:///{tmp}/gateway-{tag}.sqlite"
    import asyncpg

    name = f"bench_svarut_{tag}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES.replace("postgresql+asyncpg://", "postgresql://"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


async def raw_baseline(sim_url: str, n: int) -> float:
    """Letters/s the simulator takes from a bare httpx client posting the same multipart letters."""
    from jose import jwt

    journal = FakeJournal()
    events = workload(journal, n)
    pdf = minimal_pdf()
    letters = []
    for event in events:
        material = journal.material[event.journalpost_id]
        recipient = material.recipients[0]
        decided = route(recipient, screened=False)
        assert isinstance(decided, Route)
        letters.append(build_forsendelse(
            material=material, navn=recipient.navn or "", route=decided,
            documents=[Document("Vedtak.pdf", pdf)], avgivende_system="Arkiv5",
            ekstern_referanse=f"baseline-{uuid.uuid4()}",
        ))
    config = SimulatorConfig()
    now = int(time.time())
    assertion = jwt.encode({"aud": config.maskinporten_audience, "iss": "bench", "scope": "ks:fiks", "iat": now,
                            "exp": now + 120, "jti": str(uuid.uuid4())}, "bench", algorithm="HS256")
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY), timeout=30) as client:
        token = (await client.post(f"{sim_url}/maskinporten/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "IntegrasjonId": config.integrasjon_id,
                   "IntegrasjonPassord": config.integrasjon_passord}
        base = f"{sim_url}/api/v3/kontoer/{config.konto_id}/forsendelser"
        gate = asyncio.Semaphore(CONCURRENCY)

        async def post(letter) -> None:  # type: ignore[no-untyped-def]
            parts = [("forsendelse", (None, json.dumps(letter.metadata, ensure_ascii=False).encode(), "application/json"))]
            parts += [("dokumenter", (f.filnavn, f.content, f.mime_type)) for f in letter.files]
            async with gate:
                response = await client.post(f"{base}/{letter.channel.value}", files=parts, headers=headers)
            assert response.status_code == 200, response.text

        started = time.perf_counter()
        await asyncio.gather(*(post(letter) for letter in letters))
        return n / (time.perf_counter() - started)


async def one_run(sim_url: str, fault_rate: float, tag: str, *, via_bus: bool) -> tuple[float, float, bool, float]:
    """(dispatches/s until all accepted, p99 s from request to acceptance, exactly once?, gateway CPU s)

    via_bus: the requests come as events through the consumer (end to end); otherwise they
    are recorded before the gateway starts, which times the sending stage alone.
    """
    async with httpx.AsyncClient() as control:
        await control.put(f"{sim_url}/_simulator/faults", json={"rate": 0.0})
        before = (await control.get(f"{sim_url}/_simulator/deliveries")).json()["deliveries"]
        await control.put(f"{sim_url}/_simulator/faults", json={"rate": fault_rate, "slow_s": 0.1, "hold_s": 1.5})
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        settings = SvarutGatewaySettings(
            var_dir=tmp, environment="test", database_url=await database_url(tmp, tag),
            svarut_base_url=f"{sim_url}/api", maskinporten_token_url=f"{sim_url}/maskinporten/token",
            svarut_send_timeout_s=1.0, svarut_query_timeout_s=1.0, svarut_retry_initial_s=0.02, svarut_retry_max_s=0.2,
            lookup_window_s=2.0, lookup_interval_s=0.2, send_retry_initial_s=0.1, send_retry_max_s=1.0,
            worker_interval_s=0.02, worker_batch_size=200, worker_concurrency=CONCURRENCY, status_poll_interval_s=0.5,
            breaker_failure_threshold=200, breaker_reset_s=0.5, outbox_poll_interval_s=0.05, log_level="WARNING",
            consumer_batch_size=500,
        )
        journal = FakeJournal()
        events = workload(journal, N)
        bus = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp}/bus.sqlite")
        app = create_app(settings, bus=bus, journal=journal, conversion=FakeConversion(journal))
        runtime = app.state.runtime
        if not via_bus:
            await runtime.migrate()
            async with runtime.database.unit_of_work() as session:
                for event in events:
                    await record_dispatches_requested(session, [Envelope.wrap(event)])
        started = time.perf_counter()
        cpu_started = time.process_time()
        await runtime.start()
        try:
            if via_bus:
                messages = []
                for event in events:
                    binary = to_binary(Envelope.wrap(event))
                    messages.append(OutgoingMessage(event.topic, binary.key, binary.value, list(binary.headers)))
                started = time.perf_counter()
                await bus.publish(messages)

            async def count(*states: str) -> int:
                async with runtime.database.unit_of_work() as session:
                    return await session.scalar(select(func.count()).select_from(Forsendelse)
                                                .where(Forsendelse.state.in_(states))) or 0

            while await count(DispatchState.ACCEPTED, DispatchState.COMPLETED) < N:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started  # this process: gateway (+ this driver's polling)
            deadline = time.perf_counter() + 120
            while await count(DispatchState.COMPLETED) < N and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
            async with runtime.database.unit_of_work() as session:
                rows = (await session.execute(select(Forsendelse.created_at, Forsendelse.accepted_at))).all()
            latencies = sorted((a - c).total_seconds() for c, a in rows)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            completed = await count(DispatchState.COMPLETED)
        finally:
            await runtime.stop()
    async with httpx.AsyncClient() as control:
        after = (await control.get(f"{sim_url}/_simulator/deliveries")).json()["deliveries"]
        await control.put(f"{sim_url}/_simulator/faults", json={"rate": 0.0})
    refs = {f"{e.dispatch_id}:{e.recipient_ids[0]}" for e in events}
    new = {k: v for k, v in after.items() if k not in before}
    exactly_once = set(new) == refs and Counter(new.values()) == Counter({1: N}) and completed == N
    return N / elapsed, p99, exactly_once, cpu


async def main() -> None:
    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "arkiv5_svarut_gateway.simulator", "--port", str(port), "--status-step-s", "0.05",
         "--registration-delay-s", "1.0"],
    )
    sim_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(100):
                try:
                    await probe.get(f"{sim_url}/_simulator/deliveries")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        results: dict[str, list[tuple[float, float, bool, float]]] = {k: [] for k, _ in ROWS}
        baseline: list[float] = []
        for i in range(RUNS):
            baseline.append(await raw_baseline(sim_url, N))
            results["none"].append(await one_run(sim_url, 0.0, f"n{i}", via_bus=False))
        results["faults"].append(await one_run(sim_url, 0.2, "f0", via_bus=False))
        results["bus"].append(await one_run(sim_url, 0.0, "b0", via_bus=True))
    finally:
        sim.terminate()
        sim.wait(timeout=10)

    raw = statistics.median(baseline)
    print(f"cpu_count={os.cpu_count()}; {N:,} dispatches per run; database "
          f"{'PostgreSQL' if POSTGRES else 'SQLite'}; simulator in its own process; concurrency {CONCURRENCY}")
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---:|---:|---|---:|---:|---|")
    for key, label in ROWS:
        rates = [r[0] for r in results[key]]
        median = statistics.median(rates)
        p99 = max(r[1] for r in results[key])
        once = all(r[2] for r in results[key])
        target = f"≥ {TARGET:.0f}/s" if key == "none" else "exactly once"
        print(f"| {label} | {median:,.0f} | {p99:.2f} s request→accepted | dispatches/s | {raw:,.0f} raw simulator "
              f"| {median / raw:.2f} | {target} ({'met' if once and (key != 'none' or median >= TARGET) else 'NOT met'}) |")
    print(f"baseline (bare httpx → simulator) letters/s: {[round(b) for b in baseline]}")
    for key, runs in results.items():
        print(f"{key}: rates {[round(r[0]) for r in runs]}, exactly once: {[r[2] for r in runs]}, "
              f"gateway CPU ms per dispatch: {[round(r[3] * 1000 / N, 1) for r in runs]}")


if __name__ == "__main__":
    asyncio.run(main())
