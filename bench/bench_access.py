"""Benchmark: access tokens — verification with a warm JWKS cache, the token endpoint's
throughput over HTTP, and the policy decision time.

Run: ``uv run python bench/bench_access.py [verifications] [seconds]`` (default 20,000 and 5).

* **token verification** — ``arkiv5_kit.auth.TokenVerifier.verify`` (what every service
  runs on every request) on client-credentials tokens from the real token endpoint, the
  JWKS already cached; timed singly (target p99 < 200 µs).
* **token endpoint** — ``POST /oauth2/token`` (client_credentials) through uvicorn on a
  local socket, 16 concurrent clients for a few seconds; tokens per second, and latency.
  The access service runs on PostgreSQL when ``ARKIV5_BENCH_POSTGRES_URL`` is set, else
  on SQLite.
* **policy decision** — ``policy.decide`` on bench_policy's realistic mix, timed singly
  (target p99 < 50 µs).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from arkiv5_access.app import create_app
from arkiv5_access.settings import AccessSettings
from arkiv5_kit.auth import JwksCache, TokenVerifier
from arkiv5_kit.testing import RecordingTransport

ROOT = Path(__file__).resolve().parent
ISSUER = "https://access.arkiv5.bench"
SECRET = "bench-client-secret"
CONCURRENCY = 16


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def postgres_database(base_url: str) -> tuple[str, str, str]:
    """A fresh database for this run (dropped afterwards)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    name = f"bench_access_{os.getpid()}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False), dsn, name


async def drop_database(dsn: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def bench_tokens(verifications: int, seconds: float) -> tuple[list[float], list[float], float, str]:
    pg = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    dropper = None
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {}
        if pg:
            url, dsn, name = await postgres_database(pg)
            overrides["database_url"] = url
            dropper = (dsn, name)
        settings = AccessSettings(
            var_dir=Path(tmp), environment="development", issuer=ISSUER, seed_demo=True,
            demo_client_secret=SECRET, log_json=False, log_level="WARNING", **overrides,
        )
        app = create_app(settings, bus=RecordingTransport())  # type: ignore[arg-type]
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        form = {"grant_type": "client_credentials", "audience": "journal"}
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                jwks = (await client.get("/.well-known/jwks.json")).json()["keys"]
                response = await client.post("/oauth2/token", data=form, auth=("conversion", SECRET))
                response.raise_for_status()
                token = response.json()["access_token"]

                verifier = TokenVerifier(JwksCache(keys=jwks), issuer=ISSUER, audience="journal")
                for _ in range(500):  # warm up
                    await verifier.verify(token)
                clock = time.perf_counter_ns
                verify_us = []
                for _ in range(verifications):
                    t0 = clock()
                    await verifier.verify(token)
                    verify_us.append((clock() - t0) / 1000)

                latencies_ms: list[float] = []
                issued = 0
                deadline = time.monotonic() + seconds

                async def worker() -> None:
                    nonlocal issued
                    while time.monotonic() < deadline:
                        t0 = time.perf_counter()
                        r = await client.post("/oauth2/token", data=form, auth=("conversion", SECRET))
                        r.raise_for_status()
                        latencies_ms.append((time.perf_counter() - t0) * 1000)
                        issued += 1

                started = time.monotonic()
                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
                rate = issued / (time.monotonic() - started)
        finally:
            server.should_exit = True
            await serving
            if dropper:
                await drop_database(*dropper)
    return verify_us, latencies_ms, rate, "PostgreSQL" if pg else "SQLite"


def bench_policy_decisions(n: int) -> list[float]:
    spec = importlib.util.spec_from_file_location("bench_policy", ROOT / "bench_policy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_policy"] = module
    spec.loader.exec_module(module)
    import random

    asked = module.questions(random.Random(5), n)
    return module.timed_singly(asked, module.timer_overhead_ns())


def main() -> int:
    verifications = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    verify_us, latencies_ms, rate, database = asyncio.run(bench_tokens(verifications, seconds))
    decisions_us = bench_policy_decisions(max(verifications * 5, 50_000))

    print(f"os.cpu_count() = {os.cpu_count()}")
    print(f"Python {platform.python_version()}; token endpoint on {database}, {CONCURRENCY} concurrent clients, "
          f"{seconds:g} s; {AccessSettings().signing_alg} tokens")
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---:|---:|---|---|---|---|")
    verify_p99 = p99(verify_us)
    print(f"| token verification, warm JWKS | {statistics.median(verify_us):.1f} | {verify_p99:.1f} | µs | — | — "
          f"| p99 < 200 µs {'✓' if verify_p99 < 200 else '✗'} |")
    print(f"| token endpoint latency (client_credentials) | {statistics.median(latencies_ms):.1f} "
          f"| {p99(latencies_ms):.1f} | ms | — | — | — |")
    print(f"| token endpoint throughput | {rate:.0f} | — | tokens/s | — | — | — |")
    decide_p99 = p99(decisions_us)
    print(f"| policy decision | {statistics.median(decisions_us):.2f} | {decide_p99:.2f} | µs | — | — "
          f"| p99 < 50 µs {'✓' if decide_p99 < 50 else '✗'} |")
    return 0 if verify_p99 < 200 and decide_p99 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
