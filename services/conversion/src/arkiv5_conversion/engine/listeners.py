"""A pool of persistent LibreOffice listeners, each driven over UNO by `uno_driver.py`.

One listener converts one document at a time; the pool holds one per core by default.
A listener is restarted after `restart_after` jobs (LibreOffice's memory grows), and killed
with its whole process group when a job passes the timeout or the process dies — the next
job on that slot starts a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sandbox import kill_group, limits

log = logging.getLogger(__name__)
DRIVER = Path(__file__).with_name("uno_driver.py")


@dataclass
class OfficeResult:
    ok: bool
    code: str | None = None
    reason: str | None = None
    pages: int | None = None
    kind: str | None = None


class ListenerError(RuntimeError):
    """The listener could not be started (LibreOffice or python3-uno missing or broken)."""


class Listener:
    def __init__(self, *, soffice: str, python: str, memory_mb: int | None, start_timeout_s: float) -> None:
        self.soffice = soffice
        self.python = python
        self.memory_mb = memory_mb
        self.start_timeout_s = start_timeout_s
        self.process: asyncio.subprocess.Process | None = None
        self.profile: str | None = None
        self.jobs = 0
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="arkiv5-lo-")
        self.process = await asyncio.create_subprocess_exec(
            self.python, str(DRIVER), self.soffice, self.profile, f"arkiv5-{uuid.uuid4().hex}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True, preexec_fn=limits(self.memory_mb), limit=1 << 20,
        )
        self.jobs = 0
        self.starts += 1
        try:
            ready = await asyncio.wait_for(self._read(), timeout=self.start_timeout_s)
        except (TimeoutError, ValueError, ListenerError) as exc:
            await self.stop()
            raise ListenerError(f"the LibreOffice listener did not start ({type(exc).__name__})") from None
        if not ready.get("ready"):
            await self.stop()
            raise ListenerError("the LibreOffice listener did not start")

    async def _read(self) -> dict[str, Any]:
        assert self.process and self.process.stdout
        line = await self.process.stdout.readline()
        if not line:
            raise ListenerError("the listener exited")
        return json.loads(line)

    async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
        if not self.alive:
            await self.start()
        assert self.process and self.process.stdin
        self.jobs += 1
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            await self.process.stdin.drain()
            answer = await asyncio.wait_for(self._read(), timeout=timeout_s)
        except TimeoutError:
            log.warning("conversion passed the timeout; killing the listener")
            await self.stop(kill=True)
            return OfficeResult(False, "timeout", f"the conversion did not finish in {timeout_s:g} s")
        except (ListenerError, ConnectionError, ValueError):
            # The driver or LibreOffice died under this document (crash, memory cap).
            await self.stop(kill=True)
            return OfficeResult(False, "converter-crashed", "LibreOffice stopped while converting the file")
        except asyncio.CancelledError:
            await self.stop(kill=True)
            raise
        return OfficeResult(
            bool(answer.get("ok")), answer.get("code"), answer.get("reason"), answer.get("pages"), answer.get("kind")
        )

    async def stop(self, *, kill: bool = False) -> None:
        """Close the listener: politely (LibreOffice terminates) or, after a timeout, kill -9 its group."""
        process, self.process = self.process, None
        if process is not None and kill:
            kill_group(process.pid)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), timeout=5)
        elif process is not None and process.returncode is None:
            with contextlib.suppress(Exception):
                assert process.stdin
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                pass
            kill_group(process.pid)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), timeout=5)
        elif process is not None:
            kill_group(process.pid)  # soffice may outlive the driver
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None


class ListenerPool:
    def __init__(
        self, size: int, *, soffice: str, python: str, memory_mb: int | None, restart_after: int,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.restart_after = restart_after
        self.listeners = [
            Listener(soffice=soffice, python=python, memory_mb=memory_mb, start_timeout_s=start_timeout_s)
            for _ in range(size)
        ]
        self._idle: asyncio.Queue[Listener] | None = None

    def _queue(self) -> asyncio.Queue[Listener]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for listener in self.listeners:
                self._idle.put_nowait(listener)
        return self._idle

    async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
        idle = self._queue()
        listener = await idle.get()
        try:
            if listener.alive and listener.jobs >= self.restart_after:
                await listener.stop()
            return await listener.convert(request, timeout_s)
        finally:
            idle.put_nowait(listener)

    async def warm_up(self) -> None:
        await asyncio.gather(*(listener.start() for listener in self.listeners if not listener.alive))

    async def close(self) -> None:
        await asyncio.gather(*(listener.stop() for listener in self.listeners), return_exceptions=True)


def libreoffice_available(soffice: str, python: str) -> str | None:
    """None when usable, else what is missing (for readiness detail and failure reasons)."""
    if shutil.which(soffice) is None:
        return "LibreOffice (soffice) is not installed"
    if shutil.which(python) is None:
        return f"{python} (with python3-uno) is not installed"
    import subprocess

    probe = subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        return "python3-uno is not installed for the system Python"
    return None
