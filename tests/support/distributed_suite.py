"""The distributed suite for tests: every service its own process, as `make run-distributed` runs it.

    from distributed_suite import distributed_suite

    def test_something(tmp_path):
        with distributed_suite(tmp_path) as suite:
            token = suite.person_token("saksbehandler", audience="journal")
            response = suite.http.get(suite.url("journal", "/saksmapper"),
                                      headers={"Authorization": f"Bearer {token}"})

It starts `scripts/run_distributed.py`'s processes (journal, access, conversion,
svarut-gateway, intake and the SvarUt simulator) on free ports, each service on its own
brand-new PostgreSQL database on ARKIV5_TEST_POSTGRES_URL's server and on the Kafka broker
of ARKIV5_TEST_KAFKA_STATE_DIR (its `bootstrap` file) under a topic prefix of its own;
access seeds the demo municipality. Without a server the test is skipped, or failed when
ARKIV5_REQUIRE_SERVICES=1 (`required.missing`). On leaving, every process is stopped by its
pid (SIGTERM, then SIGKILL after 30 s) and the databases are dropped.

The object it yields has the interface of `hostile_suite.RunningSuite` (the one-process
suite), so a test can be parametrised over both:

- `http` — an `httpx.Client`; `backend` — "distributed" (the one-process suite: "sqlite" or
  "postgresql"); `units` — the demo units' code → id.
- `url(service, path="")` — the URL of a path of a service ("journal", "access", …, and
  "svarut-simulator" for the simulator's read API, e.g. `/_simulator/forsendelser`).
- `person_token(username, audience)`, `client_token(client_id, scope, audience, secret=…)` —
  tokens from access for the demo identities (password grant / client credentials).
- `log_text()` — what every process has logged so far (JSON lines).
- `simulator(path, **params)` — a GET on the SvarUt simulator's read API, as JSON.

`suite.services` maps every process's name to its base URL; `suite.logs_dir` holds one
log file per process; after the `with`, `suite.exit_codes` holds each process's exit code
(`run_distributed.CLEAN_EXIT`: 0, or -SIGTERM re-raised after uvicorn's graceful shutdown).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from backends import postgres_databases
from required import missing

from arkiv5_suite.wiring import DEMO_CLIENT_SECRET as SECRET
from processes import free_port
from project import load_script

__all__ = ["DistributedSuite", "distributed_suite", "kafka_bootstrap_from_env"]

PASSWORD = "demo-password"


@dataclass
class DistributedSuite:
    services: dict[str, str]
    http: httpx.Client
    logs_dir: Path
    backend: str = "distributed"
    units: dict[str, str] = field(default_factory=dict)
    # Set on leaving the `with`: each process's exit code (0 or -SIGTERM is a clean stop).
    exit_codes: dict[str, int] = field(default_factory=dict)

    def url(self, service: str, path: str = "") -> str:
        return f"{self.services[service]}{path}"

    def person_token(self, username: str, audience: str) -> str:
        response = self.http.post(self.url("access", "/oauth2/token"), data={
            "grant_type": "password", "username": username, "password": PASSWORD, "audience": audience})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client_token(self, client_id: str, scope: str, audience: str, secret: str = SECRET) -> str:
        response = self.http.post(self.url("access", "/oauth2/token"), auth=(client_id, secret), data={
            "grant_type": "client_credentials", "audience": audience, "scope": scope})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def simulator(self, path: str, **params: str) -> Any:
        response = self.http.get(self.url("svarut-simulator", path), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs_dir.glob("*.log")))


def kafka_bootstrap_from_env() -> str:
    """The broker of ARKIV5_TEST_KAFKA_STATE_DIR (or ARKIV5_TEST_KAFKA_BOOTSTRAP); skips/fails without one."""
    bootstrap = os.environ.get("ARKIV5_TEST_KAFKA_BOOTSTRAP")
    if bootstrap:
        return bootstrap
    state_dir = os.environ.get("ARKIV5_TEST_KAFKA_STATE_DIR")
    if not state_dir:
        missing("Kafka (ARKIV5_TEST_KAFKA_STATE_DIR)")
    assert state_dir
    broker = load_script("kafka_broker").KafkaBroker(Path(state_dir))
    if not broker.is_running():
        missing(f"Kafka (the broker in {state_dir})", state="not running")
    return str(broker.bootstrap)


@contextmanager
def distributed_suite(tmp_path: Path, *, extra_env: dict[str, str] | None = None,
                      ready_timeout_s: float = 300, images: Any = None) -> Iterator[DistributedSuite]:
    """Start the distributed suite under `tmp_path` (files and logs) and stop it on leaving.

    `extra_env` is added to every process's environment (e.g. a setting a test shortens).
    `images` (a `run_distributed.ContainerImages`) runs every process from its image instead.
    """
    postgres_url = os.environ.get("ARKIV5_TEST_POSTGRES_URL")
    if not postgres_url:
        missing("PostgreSQL (ARKIV5_TEST_POSTGRES_URL)")
    assert postgres_url
    bootstrap = kafka_bootstrap_from_env()
    distributed = load_script("run_distributed")
    ports = {name: free_port() for name in distributed.PROCESSES}
    logs_dir = tmp_path / "logs"
    with postgres_databases(postgres_url, distributed.SERVICES) as database_urls:
        running = distributed.start_services(
            database_urls, bootstrap, ports=ports, var_dir=tmp_path / "var",
            topic_prefix=f"t{uuid.uuid4().hex[:10]}.", extra_env=extra_env, log_dir=logs_dir, images=images,
        )
        suite: DistributedSuite | None = None
        try:
            try:
                distributed.wait_ready(running, timeout_s=ready_timeout_s)
            except (RuntimeError, TimeoutError) as error:
                tails = {p.name: p.read_text(errors="replace")[-2000:] for p in logs_dir.glob("*.log")}
                raise AssertionError(f"the distributed suite did not start: {error}\n{tails}") from error
            with httpx.Client(timeout=60) as http:
                suite = DistributedSuite({s.name: s.base_url for s in running}, http, logs_dir)
                arkivleder = suite.person_token("arkivleder", audience="access")
                units = http.get(suite.url("access", "/units"), headers={"Authorization": f"Bearer {arkivleder}"})
                assert units.status_code == 200, units.text
                suite.units = {u["code"]: u["id"] for u in units.json()}
                yield suite
        finally:
            codes = distributed.stop_services(running)
            if suite is not None:
                suite.exit_codes = codes
