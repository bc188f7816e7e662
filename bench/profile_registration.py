"""Profile one registration in process: where the journal's CPU per registration goes.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/profile_registration.py
[registrations] [postgres|sqlite] [top]`` (default 200, postgres, 15). Without the URL it profiles
on SQLite. With ``ARKIV5_PROFILE_OUT=file`` the raw profile is saved there too, for pstats'
callers and callees. A fresh database (or SQLite folder) is made and removed.

The unit of work is the one bench_journal.py measures: ``POST /saksmapper/{id}/journalposter``
as multipart/form-data with the journalpost (two korrespondanseparter) and a 100 KB PDF,
sent through an ASGI client to the app in this process, with a real RS256 token checked
by the service's own verifier. Each registration is checked (201). The consumers of other
services' events do not run; the outbox relay does (publishing a registration's events is
part of its cost). After a warm-up of 20 registrations, cProfile runs over the rest, timing
the event loop thread's CPU (not wall time), and prints the `top` functions of the project
and its libraries by cumulative time, then by own time; `top` 0 runs without the profiler
and prints the CPU figures alone. Those are the CPU time per registration of this process
(client and server together: an upper bound of the server's share) and the garbage
collector's runs and time, which cProfile spreads over whatever allocated last.

Read the cumulative column with care: SQLAlchemy's async layer runs each statement in a
greenlet, and cProfile charges the time of a greenlet's frames to whichever frame switched
to it, so the relay and the engine can show more than they spend.
"""


from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import servercpu
from bench_journal import BODY_WITH_DOCUMENT as BODY  # the benchmark's unit of work, profiled as it is measured
from bench_journal import DOCUMENT, UNIT
from sqlalchemy.engine import make_url

from arkiv5_journal.app import create_app
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_kit.transport.embedded import EmbeddedTransport

WARM_UP = 20
_OURS_AND_LIBRARIES = r"arkiv5|fastapi|starlette|sqlalchemy|asyncpg|aiosqlite|pydantic|multipart|jose|uuid"


class _GarbageCollections:
    """The collector's runs and their time: a cost cProfile spreads over whatever allocated last."""

    def __init__(self) -> None:
        self.count, self.seconds, self.by_generation = 0, 0.0, [0, 0, 0]
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._began
            self.by_generation[info["generation"]] += 1


async def _registrations(client: httpx.AsyncClient, headers: dict[str, str], cases: list[str], count: int) -> None:
    for i in range(count):
        response = await client.post(f"/saksmapper/{cases[i % len(cases)]}/journalposter", headers=headers,
                                     data={"journalpost": json.dumps(BODY)},
                                     files={"dokument": ("soknad.pdf", DOCUMENT, "application/pdf")})
        assert response.status_code == 201, response.text


async def _profile(database_url: str | None, var_dir: Path, total: int, top: int) -> None:
    settings = JournalSettings(var_dir=var_dir, environment="test", log_level="WARNING",
                               **({"database_url": database_url} if database_url else {}))
    app = create_app(settings, bus=EmbeddedTransport(f"sqlite+aiosqlite:///{var_dir}/bus.sqlite"))
    gc.collect()
    gc.freeze()  # as `serve` does: what start-up built stays out of the collector's full passes
    issuer = TestTokenIssuer()
    app.state.token_verifier = issuer.verifier("journal")
    headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                             roles=["fagsystem"], lifetime_s=3600)
    # The consumers of other services' events poll the embedded bus here (Kafka waits without
    # cost in production); they are no part of a registration, so they do not run.
    app.state.runtime.consumers.clear()
    await app.state.runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            cases = []
            for _ in range(10):
                r = await client.post("/saksmapper", json={"tittel": "Profil", "administrativEnhet": UNIT},
                                      headers=headers)
                assert r.status_code == 201, r.text
                cases.append(r.json()["systemID"])
            await _registrations(client, headers, cases, WARM_UP)
            measured = total - WARM_UP
            collections = _GarbageCollections()
            gc.callbacks.append(collections)
            # CPU time of the event loop's thread, not wall time: on a shared machine the wall
            # clock counts the neighbours' turns on the cores, and database waits, as our cost.
            profiler = cProfile.Profile(time.thread_time)
            cpu_before, wall_before = servercpu.cpu_seconds(os.getpid()), time.perf_counter()
            if top:
                profiler.enable()
            await _registrations(client, headers, cases, measured)
            profiler.disable()
            cpu_ms = (servercpu.cpu_seconds(os.getpid()) - cpu_before) * 1000 / measured
            wall_ms = (time.perf_counter() - wall_before) * 1000 / measured
            gc.callbacks.remove(collections)
    finally:
        await app.state.runtime.stop()
    if saved := os.environ.get("ARKIV5_PROFILE_OUT"):
        profiler.dump_stats(saved)  # for pstats' callers and callees: python -m pstats FILE
    for order in ("cumulative", "tottime") if top else ():
        out = io.StringIO()
        # The project's and its libraries' functions: the event loop's own frames say nothing.
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(_OURS_AND_LIBRARIES, top)
        print(f"--- top {top} by {order} over {measured} registrations (ms are totals; divide by the count) ---")
        print(out.getvalue().split("\n\n", 1)[-1].strip())
    print(f"CPU per registration (client and server in one process{', under the profiler' if top else ''}): "
          f"{cpu_ms:.1f} ms; "
          f"wall {wall_ms:.1f} ms; {servercpu.machine_line()}")
    print(f"garbage collections per registration: {collections.count / measured:.1f}, "
          f"{collections.seconds * 1000 / measured:.1f} ms (by generation: {collections.by_generation})")


async def main(total: int, backend: str, top: int) -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite" or not base_url:
            print("on SQLite")
            await _profile(None, Path(tmp), total, top)
            return
        print("on PostgreSQL")
        admin_url = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"profile_registration_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
            await _profile(url, Path(tmp), total, top)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    chosen = arguments[1] if len(arguments) > 1 else "postgres"
    if chosen not in ("postgres", "sqlite"):
        raise SystemExit("usage: profile_registration.py [registrations] [postgres|sqlite] [top]")
    asyncio.run(main(int(arguments[0]) if arguments else 200, chosen, int(arguments[2]) if len(arguments) > 2 else 15))
