"""The two ways to run: `arkiv5 run` (one process, embedded) and four processes on
PostgreSQL and Kafka. Each service answers /healthz/ready and /metrics, and stops cleanly
on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from processes import CLEAN_EXIT, free_port, get, wait_until_up
from project import ROOT, load_script

SERVICES = ["journal", "access", "conversion", "svarut-gateway"]
# The one-process suite also mounts intake (scripts/run_distributed.py does not start it yet).
SUITE_SERVICES = [*SERVICES, "intake"]


def test_one_process_suite_serves_every_service_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    log = open(tmp_path / "suite.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "arkiv5_suite.cli", "run", "--port", str(port), "--var-dir", str(tmp_path / "var")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/journal/healthz/ready", process)
        index = json.loads(get(base + "/")[1])
        assert set(index["services"]) == set(SUITE_SERVICES)
        for service in SUITE_SERVICES:
            status, body = get(f"{base}/{service}/healthz/ready")
            assert status == 200 and json.loads(body)["checks"]["database"] == "ok"
            status, metrics = get(f"{base}/{service}/metrics")
            assert status == 200
            assert f'arkiv5_build_info{{service="{service}"' in metrics
            assert get(f"{base}/{service}/openapi.json")[0] == 200
            assert (tmp_path / "var" / f"{service}.sqlite").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        log.close()
    output = (tmp_path / "suite.log").read_text()
    assert code in CLEAN_EXIT, output
    assert "Application shutdown complete" in output
    assert output.count("service stopped") == len(SUITE_SERVICES)


@pytest.mark.postgres
@pytest.mark.kafka
def test_four_processes_on_postgres_and_kafka(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    distributed = load_script("run_distributed")
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ports = {service: free_port() for service in SERVICES}
    env = {f"{p}KAFKA_TOPIC_PREFIX": prefix for _, p, _ in distributed.SERVICES.values()}
    running = distributed.start_services(postgres_url, kafka_bootstrap, ports=ports, extra_env=env, log_dir=tmp_path)
    try:
        distributed.wait_ready(running, timeout_s=90)
        for service in running:
            assert f'service="{service.name}"' in get(f"{service.base_url}/metrics")[1]
    finally:
        codes = distributed.stop_services(running)
    logs = {s.name: (tmp_path / f"{s.name}.log").read_text() for s in running}
    assert all(code in CLEAN_EXIT for code in codes.values()), (codes, logs)
    assert set(codes) == set(SERVICES)
    for name, text in logs.items():
        assert "service stopped" in text, name
