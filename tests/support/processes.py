"""Helpers for tests that run services as real processes."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from typing import Any

from arkiv5_kit.testing import free_port

__all__ = ["CLEAN_EXIT", "free_port", "get", "wait_until_up"]

# uvicorn finishes its graceful shutdown, then re-raises the signal so a supervisor sees
# why the process ended: -SIGTERM is the clean ending, with the shutdown lines in the log.
CLEAN_EXIT = (0, -signal.SIGTERM)


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def wait_until_up(url: str, process: subprocess.Popen[Any], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited early with {process.returncode}"
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)
