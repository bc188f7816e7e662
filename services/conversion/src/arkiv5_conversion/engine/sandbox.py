"""Run an untrusted-input tool in a child process with a time and memory cap.

The child gets its own session (process group) so a timeout kills it and everything it
started; RLIMIT_AS caps its address space and RLIMIT_CORE keeps it from dumping core. It
runs at a lower OS priority than the service (priority.py), so requests come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .priority import DEFAULT_NICENESS, lower_priority


@dataclass
class Completed:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool


def limits(memory_mb: int | None, cpu_s: int | None = None, *, niceness: int = DEFAULT_NICENESS) -> Callable[[], None]:
    def apply() -> None:
        lower_priority(niceness)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_mb:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if cpu_s:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))

    return apply


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_limited(
    argv: Sequence[str], *, timeout_s: float, memory_mb: int | None, cwd: str | None = None,
    env: dict[str, str] | None = None, niceness: int = DEFAULT_NICENESS,
) -> Completed:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=cwd, env=env, start_new_session=True,
        preexec_fn=limits(memory_mb, int(timeout_s) + 1, niceness=niceness),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=timeout_s)
    except (TimeoutError, asyncio.CancelledError) as exc:
        kill_group(process.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.wait(), timeout=5)
        if isinstance(exc, asyncio.CancelledError):
            raise
        return Completed(None, b"", b"", timed_out=True)
    return Completed(process.returncode, stdout, stderr, timed_out=False)
