"""Benchmark: registration through the Noark 5 interface beside our own API, in the same run.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/bench_noark5.py
[registrations] [clients]`` (default 2,000 each way, 32 clients). A fresh PostgreSQL database
is made and removed.

The journal runs as bench_journal.py runs it (its harness is imported: `python -m
arkiv5_journal serve`, one replica on PostgreSQL and the embedded bus, RS256 tokens against
a served JWKS, the same load generator). One unit of work both ways: a journalpost with two
korrespondanseparter and a 100 KB PDF. Our own API: one multipart request. The Noark 5
interface: the calls its client makes — POST the journalpost to the case's
`ny-journalpost`, then the file to the new journalpost's `fil` link. The two phases
alternate (own, Noark 5, own, Noark 5), so a change in the machine's load falls on both.
Server CPU per registration (bench/servercpu.py: the replica's CPU over the phase, net of
its idle rate, until the outbox has drained) is the figure a loaded machine blurs least.
Target: the Noark 5 interface at least 0.5× our own API's rate.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import uuid

import bench_journal as harness
import httpx
import servercpu
from sqlalchemy.engine import make_url

from arkiv5_kit.testing import TestTokenIssuer

ROUNDS = 2


async def _phase(meter: servercpu.Meter, urls: list[str], headers: dict[str, str], cases: list[str], total: int,
                 clients: int, *, noark5: bool) -> tuple[list[float], float, float]:
    phase = meter.start()
    latencies, seconds = await harness._run(urls, headers, cases, total, clients, one_request=True, noark5=noark5)
    await phase.drained()
    return latencies, seconds, phase.ms_per(total)


async def main(total: int, clients: int) -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    print(f"cpu_count: {os.cpu_count()}; {servercpu.machine_line()} at the start", flush=True)
    if not base_url:
        print("ARKIV5_BENCH_POSTGRES_URL is not set; not measured")
        return
    name = f"bench_noark5_{uuid.uuid4().hex[:8]}"
    admin = await harness._admin(base_url)
    issuer = TestTokenIssuer()
    jwks_server, jwks_url = harness._serve_jwks(issuer.jwks)
    replicas: list[tuple[subprocess.Popen[bytes], str]] = []
    results: dict[bool, list[tuple[list[float], float, float]]] = {False: [], True: []}
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "JOURNAL_VAR_DIR": tmp, "JOURNAL_ENVIRONMENT": "test",
                   "JOURNAL_JWKS_URL": jwks_url, "JOURNAL_TOKEN_ISSUER": issuer.issuer, "JOURNAL_LOG_LEVEL": "WARNING",
                   "JOURNAL_DATABASE_POOL_SIZE": "20",
                   "JOURNAL_DATABASE_URL": make_url(base_url).set(database=name).render_as_string(hide_password=False)}
            replicas = started = harness._replicas(env, 1)
            urls = [u for _p, u in started]
            await harness._wait_ready(urls)
            meter = servercpu.Meter([process.pid for process, _u in started])
            headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                     roles=["fagsystem"], lifetime_s=3600)
            async with httpx.AsyncClient(base_url=urls[0], timeout=60) as setup:
                cases = []
                for _ in range(50):
                    r = await setup.post("/saksmapper", json={"tittel": "Bench", "administrativEnhet": harness.UNIT},
                                         headers=headers)
                    assert r.status_code == 201, r.text
                    cases.append(r.json()["systemID"])
            # Warm-up both ways: connections, caches, the Noark 5 routes' first use.
            await harness._run(urls, headers, cases, 100, clients, one_request=True)
            await harness._run(urls, headers, cases, 100, clients, one_request=True, noark5=True)
            await meter.idle()
            for _round in range(ROUNDS):
                for noark5 in (False, True):
                    results[noark5].append(await _phase(meter, urls, headers, cases, total // ROUNDS, clients,
                                                        noark5=noark5))
                    print(f"  {'Noark 5' if noark5 else 'own API'}: {servercpu.machine_line()}", flush=True)
            for process, _u in started:
                process.terminate()
            for process, _u in started:
                process.wait(timeout=30)
            print(f"(journal on PostgreSQL + embedded bus, 1 replica; {clients} concurrent clients; idle server CPU "
                  f"{meter.idle_rate * 1000:.0f} ms/s; {servercpu.machine_line()} at the end)", flush=True)
    finally:
        for process, _u in replicas:
            if process.poll() is None:
                process.kill()
        jwks_server.shutdown()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    def figures(noark5: bool) -> tuple[float, float, float, float]:
        phases = results[noark5]
        latencies = [value for phase in phases for value in phase[0]]
        rate = sum(len(phase[0]) for phase in phases) / sum(phase[1] for phase in phases)
        cpu_ms = statistics.fmean(phase[2] for phase in phases)
        return rate, statistics.median(latencies), harness._p(latencies, 99), cpu_ms

    own, noark5 = figures(False), figures(True)
    label = f"PostgreSQL, {clients} clients, {total} registrations each way"
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {label}: Noark 5 interface (journalpost, then its file) — throughput | {noark5[0]:.0f} | - | /s | "
          f"{own[0]:.0f} (our API, one request) | {noark5[0] / own[0]:.2f} | ≥ 0.5× |")
    print(f"| {label}: Noark 5 interface — latency | {noark5[1]:.1f} | {noark5[2]:.1f} | ms | "
          f"{own[1]:.1f}, p99 {own[2]:.1f} (our API) | {noark5[1] / own[1]:.2f} | - |")
    print(f"| {label}: Noark 5 interface — server CPU per registration, net of idle, drained | {noark5[3]:.1f} | - | "
          f"ms | {own[3]:.1f} (our API) | {noark5[3] / own[3]:.2f} | - |")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main(int(arguments[0]) if arguments else 2000, int(arguments[1]) if len(arguments) > 1 else 32))
