"""`arkiv5 run` (one process, embedded): each service answers /healthz/ready and /metrics,
and stops cleanly on SIGTERM. The distributed way (`make run-distributed`) is walked in
test_distributed_suite.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from processes import CLEAN_EXIT, GENEROUS_S, free_port, get, wait_until_up
from project import ROOT

SUITE_SERVICES = ["journal", "access", "conversion", "svarut-gateway", "intake"]


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
        code = process.wait(timeout=GENEROUS_S)
        log.close()
    output = (tmp_path / "suite.log").read_text()
    assert code in CLEAN_EXIT, output
    assert "Application shutdown complete" in output
    assert output.count("service stopped") == len(SUITE_SERVICES)
