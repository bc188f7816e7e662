"""Helpers for tests that run services as real processes."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from typing import Any

from arkiv5_kit.testing import free_port

__all__ = ["CLEAN_EXIT", "GENEROUS_S", "free_port", "get", "wait_until_up"]

# How long a test waits for a process to start, settle or stop before it calls that a failure.
# Only a broken start ever waits this long: a working one is seen at the first poll after it is
# ready. A suite's first start migrates and seeds five databases, which takes 10 s on a quiet
# 2-core machine and a minute or more on a heavily loaded one.
GENEROUS_S = 300.0

# uvicorn finishes its graceful shutdown, then re-raises the signal so a supervisor sees
# why the process ended: -SIGTERM is the clean ending, with the shutdown lines in the log.
CLEAN_EXIT = (0, -signal.SIGTERM)


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.read().decode()


def wait_until_up(url: str, process: subprocess.Popen[Any], timeout_s: float = GENEROUS_S) -> None:
    """Until `url` answers 200, while `process` runs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited early with {process.returncode}"
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)
