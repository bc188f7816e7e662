"""The one-process suite on a real port, on SQLite or with every service on its own fresh
PostgreSQL database, with its log lines captured — for the tests that send hostile input."""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from backends import postgres_databases
from suite_snapshot import service_environment

from arkiv5_kit.logs import configure_logging
from arkiv5_suite.app import SIMULATOR_PREFIX, create_suite_app
from processes import free_port

SECRET = "demo-client-secret"
PASSWORD = "demo-password"
SERVICES = ["journal", "access", "conversion", "svarut-gateway"]


@dataclass
class RunningSuite:
    base: str
    http: httpx.Client
    log: io.StringIO
    backend: str
    units: dict[str, str] = field(default_factory=dict)
    var_dir: Path = Path()
    """The suite's data folder (the journal's blob store is under it)."""

    def url(self, service: str, path: str = "") -> str:
        """The URL of `path` of `service` (the interface `distributed_suite.DistributedSuite` shares)."""
        prefix = SIMULATOR_PREFIX if service == "svarut-simulator" else f"/{service}"
        return f"{self.base}{prefix}{path}"

    def simulator(self, path: str, **params: str) -> Any:
        """A GET on the SvarUt simulator's read API (e.g. /_simulator/forsendelser), as JSON."""
        response = self.http.get(self.url("svarut-simulator", path), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def person_token(self, username: str, audience: str) -> str:
        response = self.http.post(f"{self.base}/access/oauth2/token", data={
            "grant_type": "password", "username": username, "password": PASSWORD, "audience": audience})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client_token(self, client_id: str, scope: str, audience: str, secret: str = SECRET) -> str:
        response = self.http.post(f"{self.base}/access/oauth2/token", auth=(client_id, secret), data={
            "grant_type": "client_credentials", "audience": audience, "scope": scope})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def log_text(self) -> str:
        return self.log.getvalue()


@contextmanager
def running_suite(var_dir: Path, database_urls: dict[str, str] | None = None,
                  backend: str = "sqlite") -> Iterator[RunningSuite]:
    """`database_urls` maps each service to its own database (PostgreSQL); without it, SQLite."""
    captured = io.StringIO()
    configure_logging("suite", level="INFO", json_lines=True)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_arkiv5", False))
    assert isinstance(handler, logging.StreamHandler)
    previous_stream = handler.stream
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with service_environment(database_urls, migrate=True):
        app = create_suite_app(var_dir=var_dir, base_url=base)
    handler.stream = captured
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           log_config=None))
    thread = threading.Thread(target=server.run, name="suite", daemon=True)
    thread.start()
    try:
        with httpx.Client(timeout=60) as http:
            deadline = time.monotonic() + 120
            while not server.started:
                assert thread.is_alive(), "the suite stopped while starting:\n" + captured.getvalue()[-3000:]
                assert time.monotonic() < deadline, "the suite did not start"
                time.sleep(0.1)
            suite = RunningSuite(base, http, captured, backend, var_dir=var_dir)
            arkivleder = suite.person_token("arkivleder", audience="access")
            units = http.get(f"{base}/access/units", headers={"Authorization": f"Bearer {arkivleder}"}).json()
            suite.units = {u["code"]: u["id"] for u in units}
            yield suite
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        handler.stream = previous_stream


@contextmanager
def suite_on(backend: str, var_dir: Path) -> Iterator[RunningSuite]:
    """The suite on "sqlite" or "postgresql" (ARKIV5_TEST_POSTGRES_URL; skipped or failed without it)."""
    if backend == "sqlite":
        with running_suite(var_dir) as suite:
            yield suite
        return
    from required import missing

    url = os.environ.get("ARKIV5_TEST_POSTGRES_URL")
    if not url:
        missing("PostgreSQL (ARKIV5_TEST_POSTGRES_URL)")
    assert url
    with postgres_databases(url, SERVICES) as urls, running_suite(var_dir, urls, backend) as suite:
        yield suite
