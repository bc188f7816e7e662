"""The one-process suite on a real port, on SQLite or with every service on PostgreSQL, with
its log lines captured — for the tests that send it hostile input."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from arkiv5_kit.logs import configure_logging
from arkiv5_suite.app import create_suite_app
from processes import free_port

SECRET = "demo-client-secret"
PASSWORD = "demo-password"
ENV_PREFIXES = {"journal": "JOURNAL_", "access": "ACCESS_", "conversion": "CONVERSION_",
                "svarut-gateway": "SVARUT_GATEWAY_"}


@dataclass
class RunningSuite:
    base: str
    http: httpx.AsyncClient
    log: io.StringIO
    units: dict[str, str] = field(default_factory=dict)

    async def person_token(self, username: str, audience: str) -> str:
        response = await self.http.post(f"{self.base}/access/oauth2/token", data={
            "grant_type": "password", "username": username, "password": PASSWORD, "audience": audience})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def client_token(self, client_id: str, scope: str, audience: str) -> str:
        response = await self.http.post(f"{self.base}/access/oauth2/token", auth=(client_id, SECRET), data={
            "grant_type": "client_credentials", "audience": audience, "scope": scope})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def log_text(self) -> str:
        return self.log.getvalue()


@asynccontextmanager
async def running_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        database_urls: dict[str, str] | None = None) -> AsyncIterator[RunningSuite]:
    """`database_urls` maps a service to its own database (PostgreSQL); without it, SQLite."""
    for service, url in (database_urls or {}).items():
        monkeypatch.setenv(f"{ENV_PREFIXES[service]}DATABASE_URL", url)
    captured = io.StringIO()
    configure_logging("suite", level="INFO", json_lines=True)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_arkiv5", False))
    assert isinstance(handler, logging.StreamHandler)
    monkeypatch.setattr(handler, "stream", captured)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_suite_app(var_dir=tmp_path / "var", base_url=base)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           log_config=None))
    thread = threading.Thread(target=server.run, name="suite", daemon=True)
    thread.start()
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            deadline = time.monotonic() + 90
            while not server.started:
                assert thread.is_alive(), "the suite stopped while starting:\n" + captured.getvalue()[-3000:]
                assert time.monotonic() < deadline, "the suite did not start"
                await asyncio.sleep(0.1)
            suite = RunningSuite(base, http, captured)
            arkivleder = await suite.person_token("arkivleder", audience="access")
            units = (await http.get(f"{base}/access/units", headers={"Authorization": f"Bearer {arkivleder}"})).json()
            suite.units = {u["code"]: u["id"] for u in units}
            yield suite
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@asynccontextmanager
async def postgres_databases(postgres_url: str, services: list[str]) -> AsyncIterator[dict[str, str]]:
    """A brand-new database per service, dropped afterwards."""
    import uuid

    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    names = {service: f"h_{uuid.uuid4().hex[:12]}" for service in services}
    admin = await asyncpg.connect(dsn)
    try:
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield {s: base.set(database=n).render_as_string(hide_password=False) for s, n in names.items()}
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            for name in names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
