"""Run the four services as separate processes against PostgreSQL and Kafka.

The same code as the one-process suite, configured the way Kubernetes runs it: one
process per service, each with its own PostgreSQL database (created if missing) and the
Kafka transport. Stops every process it started (SIGTERM, graceful) on Ctrl-C or SIGTERM.

    uv run python scripts/run_distributed.py --pg-state-dir .cache/postgres --kafka-state-dir .cache/kafka
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SERVICES = {
    "journal": ("arkiv5_journal", "JOURNAL_", 8001),
    "access": ("arkiv5_access", "ACCESS_", 8002),
    "conversion": ("arkiv5_conversion", "CONVERSION_", 8003),
    "svarut-gateway": ("arkiv5_svarut_gateway", "SVARUT_GATEWAY_", 8004),
}


@dataclass
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def database_url(server_url: str, service: str) -> str:
    base, _, _ = server_url.rpartition("/")
    return f"{base}/arkiv5_{service.replace('-', '_')}"


async def create_databases(server_url: str, names: list[str]) -> None:
    import asyncpg

    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        existing = {r["datname"] for r in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def start_services(
    server_url: str,
    kafka_bootstrap: str,
    *,
    ports: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> list[RunningService]:
    names = [database_url(server_url, s).rpartition("/")[2] for s in SERVICES]
    asyncio.run(create_databases(server_url, names))
    running = []
    for service, (module, prefix, default_port) in SERVICES.items():
        port = (ports or {}).get(service, default_port)
        env = {
            **os.environ,
            f"{prefix}DATABASE_URL": database_url(server_url, service),
            f"{prefix}BUS": "kafka",
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            **(extra_env or {}),
        }
        output = open(log_dir / f"{service}.log", "ab") if log_dir else None  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT if output else None,
        )
        running.append(RunningService(service, port, process))
    return running


def wait_ready(services: list[RunningService], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    for service in services:
        while True:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            try:
                with urllib.request.urlopen(f"{service.base_url}/healthz/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service.name} not ready after {timeout_s}s")
            time.sleep(0.2)


def stop_services(services: list[RunningService], timeout_s: float = 30) -> dict[str, int]:
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    codes = {}
    for service in services:
        try:
            codes[service.name] = service.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            service.process.kill()
            codes[service.name] = service.process.wait()
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-state-dir", type=Path, default=Path(".cache/postgres"))
    parser.add_argument("--kafka-state-dir", type=Path, default=Path(".cache/kafka"))
    args = parser.parse_args()
    server_url = subprocess.check_output(
        [sys.executable, str(ROOT / "scripts/postgres_local.py"), "url", "--state-dir", str(args.pg_state_dir)],
        text=True,
    ).strip()
    bootstrap = (args.kafka_state_dir / "bootstrap").read_text().strip()
    services = start_services(server_url, bootstrap)
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        wait_ready(services)
        print(f"Arkiv5 distributed: PostgreSQL {server_url.rpartition('@')[2]}, Kafka {bootstrap}")
        for service in services:
            print(f"  {service.name:<15} {service.base_url}/   docs {service.base_url}/docs")
        print("Ctrl-C stops all four.", flush=True)
        while not stop and all(s.process.poll() is None for s in services):
            time.sleep(0.5)
    finally:
        codes = stop_services(services)
        print("stopped:", ", ".join(f"{name} exit {code}" for name, code in codes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
