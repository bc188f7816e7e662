"""The one-process suite served on a real socket, and the calls a municipality makes to it.

`create_suite_app` is served by a real uvicorn on a free port (a background thread), so the
journal, conversion and the SvarUt gateway call each other on that port with the demo
municipality's client credentials, exactly as `make run` wires them; the SvarUt simulator
plays KS. Cross-service tests take the `suite` fixture (import it into the test module).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from suite_snapshot import copy_of_snapshot, service_environment

from arkiv5_suite.app import SIMULATOR_PREFIX, create_suite_app
from processes import GENEROUS_S, free_port

SECRET = "demo-client-secret"
PASSWORD = "demo-password"


def docx_bytes(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Vedtak", level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A minimal valid one-page PDF (the gateway sends a PDF as it is)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


class Suite:
    """The running suite and the calls a municipality's people and systems make to it."""

    def __init__(self, base: str, http: httpx.AsyncClient, app: Any = None,
                 services: dict[str, str] | None = None) -> None:
        self.base = base
        self.services = services  # the distributed suite: each service's own base URL
        self.http = http
        self.app = app  # the suite app itself, for a test that changes a service's settings
        self.backend = "sqlite"
        self.units: dict[str, str] = {}
        self.person_ids: dict[str, str] = {}

    async def client_token(self, client_id: str, scope: str, audience: str = "journal") -> str:
        response = await self.http.post(self.url("access", "/oauth2/token"), auth=(client_id, SECRET), data={
            "grant_type": "client_credentials", "audience": audience, "scope": scope})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def person_token(self, username: str, audience: str = "journal") -> str:
        response = await self.http.post(self.url("access", "/oauth2/token"), data={
            "grant_type": "password", "username": username, "password": PASSWORD, "audience": audience})
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        self.person_ids[username] = claims(token)["person_id"]
        return token

    def url(self, service: str, path: str = "") -> str:
        """Where a service's path is: under its mount in one process, at its own port when distributed."""
        if self.services is not None:
            return f"{self.services[service]}{path}"
        prefix = SIMULATOR_PREFIX if service == "svarut-simulator" else f"/{service}"
        return f"{self.base}{prefix}{path}"

    async def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """`path` starts with the service's mount (`/journal/saksmapper`), as on `make run`."""
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        service, _, rest = path.lstrip("/").partition("/")
        return await self.http.request(method, self.url(service, f"/{rest}" if rest else ""), headers=headers,
                                       **kwargs)

    async def journal(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return await self.call(method, f"/journal{path}", token, **kwargs)

    async def service(self, name: str, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """A call to one service by its name (`conversion`, `svarut-gateway`, ...)."""
        return await self.call(method, f"/{name}{path}", token, **kwargs)

    def mounted(self, name: str) -> Any:
        """A service's app inside the one-process suite, for a test that changes its settings (None when
        the services are processes of their own)."""
        if self.app is None:
            return None
        return next(s for s in self.app.state.services if s.name == name).app

    async def simulator(self, path: str, **params: str) -> Any:
        """What the SvarUt simulator recorded (its read API, e.g. /_simulator/forsendelser)."""
        response = await self.http.get(self.url("svarut-simulator", path), params=params)
        assert response.status_code == 200, response.text
        return response.json()


def fodselsnummer(rng: random.Random) -> str:
    """A fødselsnummer with correct check digits (made here, never a published example)."""

    def mod11(digits: str, weights: tuple[int, ...]) -> int | None:
        check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        return 0 if check == 11 else None if check == 10 else check

    while True:
        born = date(rng.randint(1950, 1999), rng.randint(1, 12), rng.randint(1, 28))
        base = f"{born.day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(0, 499):03d}"
        k1 = mod11(base, (3, 7, 6, 1, 8, 9, 4, 5, 2))
        k2 = None if k1 is None else mod11(base + str(k1), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
        if k1 is not None and k2 is not None:
            return f"{base}{k1}{k2}"


def png_bytes() -> bytes:
    """A small scanned-looking page as PNG (an approved archival format the policy keeps as it is)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (200, 280), color=240).save(out, format="PNG")
    return out.getvalue()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout_s: float = GENEROUS_S, what: str = "") -> Any:
    """Poll until `check` returns something truthy: events cross the bus asynchronously.

    The deadline is only for a condition that never comes: one that does is seen at the next
    poll, so it is the same generous one everywhere rather than a guess of how long the work
    takes, which a loaded machine outlasts."""
    started = time.monotonic()
    last: Any = None
    while True:
        last = await check()
        if last:
            return last
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"timed out after {time.monotonic() - started:.0f} s waiting for {what}: {last!r}")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def served_suite(var_dir: Path, *, from_snapshot: bool = True) -> AsyncIterator[Suite]:
    """The suite on SQLite on a free port: by default on a copy of the session's snapshot
    (`suite_snapshot`: migrated and seeded once), with `from_snapshot=False` from nothing."""
    if not from_snapshot:
        async with _served(var_dir, None, "sqlite", migrate=True) as s:
            yield s
        return
    async with copy_of_snapshot(var_dir), _served(var_dir, None, "sqlite", migrate=False) as s:
        yield s


@asynccontextmanager
async def _served(var_dir: Path, database_urls: dict[str, str] | None, backend: str, *,
                  migrate: bool) -> AsyncIterator[Suite]:
    """`database_urls` gives a service its own database (PostgreSQL); `migrate=False` when they
    and `var_dir` are already at the newest schema and seeded (a copy of the snapshot)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with service_environment(database_urls, migrate=migrate):
        app = create_suite_app(var_dir=var_dir, base_url=base)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="suite", daemon=True)
    thread.start()
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            deadline = time.monotonic() + GENEROUS_S
            while not server.started:
                assert thread.is_alive(), "the suite stopped while starting"
                assert time.monotonic() < deadline, "the suite did not start"
                await asyncio.sleep(0.1)
            s = Suite(base, http, app)
            s.backend = backend
            arkivleder = await s.person_token("arkivleder", audience="access")
            units = (await s.call("GET", "/access/units", arkivleder)).json()
            s.units = {u["code"]: u["id"] for u in units}
            yield s
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[Suite]:
    async with served_suite(tmp_path / "var") as s:
        yield s


@pytest.fixture(params=["sqlite", "postgresql"])
async def suite_each_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Suite]:
    """The one-process suite once on SQLite (`make run`) and once on PostgreSQL (`suite_on`)."""
    async with suite_on(request.param, tmp_path / "var") as s:
        yield s


@asynccontextmanager
async def suite_on(backend: str, var_dir: Path) -> AsyncIterator[Suite]:
    """The one-process suite on "sqlite" (`make run`) or with every service on its own fresh
    PostgreSQL database ("postgresql"; skipped without ARKIV5_TEST_POSTGRES_URL, failed in CI)."""
    if backend == "sqlite":
        async with served_suite(var_dir) as s:
            yield s
        return
    from required import missing

    url = os.environ.get("ARKIV5_TEST_POSTGRES_URL")
    if not url:
        missing("PostgreSQL (ARKIV5_TEST_POSTGRES_URL)")
    assert url
    async with copy_of_snapshot(var_dir, url) as urls, _served(var_dir, urls, backend, migrate=False) as s:
        yield s


@asynccontextmanager
async def distributed(var_dir: Path, extra_env: dict[str, str] | None = None) -> AsyncIterator[Suite]:
    """The distributed suite (every service its own process on PostgreSQL and Kafka, as
    `make run-distributed`), through `distributed_suite`; skipped without the servers, failed in CI."""
    from distributed_suite import distributed_suite

    # Its start and stop block (processes, databases): run them off the event loop.
    context = distributed_suite(var_dir, extra_env=extra_env)
    running = await asyncio.to_thread(context.__enter__)
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            s = Suite("", http, services=running.services)
            s.backend, s.units = "distributed", dict(running.units)
            yield s
    finally:
        await asyncio.to_thread(context.__exit__, None, None, None)
