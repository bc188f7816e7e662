"""A pool of persistent LibreOffice listeners, each driven over UNO by `uno_driver.py`.

One listener converts one document at a time; the pool holds one per core by default.
A listener is restarted after `restart_after` jobs (LibreOffice's memory grows), and killed
with its whole process group when a job passes the timeout or the process dies.

Health: before each job the listener is pinged (a UNO call through the driver, answered
within `ping_timeout_s`); a listener that died or hangs between jobs is replaced and the
job goes to another one, so no file is ever failed for another file's crash. A listener
that went down is started again in the background while `spares` already-started
listeners take the jobs, so no job waits for a LibreOffice start. A file under which
LibreOffice dies (process exit, lost UNO bridge, the driver gone) is retried once on
another listener; if it takes that one down too, it is tried once by a sandboxed
one-shot `soffice --convert-to` (own profile, memory and time caps), and otherwise fails
as `converter-crashed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lo_profile import write_profile
from .priority import DEFAULT_NICENESS
from .sandbox import kill_group, limits, run_limited

log = logging.getLogger(__name__)
DRIVER = Path(__file__).with_name("uno_driver.py")
FONTS_CONF = Path(__file__).parent.parent / "data" / "fonts.conf"


def office_environment() -> dict[str, str]:
    """soffice's environment: ours, with the font configuration made for PDF/A (data/fonts.conf)."""
    return {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}


@dataclass
class OfficeResult:
    ok: bool
    code: str | None = None
    reason: str | None = None
    pages: int | None = None
    kind: str | None = None
    load_s: float | None = None  # LibreOffice opening the file (and counting its pages)
    export_s: float | None = None  # LibreOffice writing the PDF/A
    listener_crashes: int = 0  # listeners this file took down before this answer (retry, one-shot)


CRASHED = "converter-crashed"
DEAD = "listener-dead"  # found dead or hung before the job: not the file's fault
EXPORT_FILTERS = {
    "writer": "writer_pdf_Export",
    "calc": "calc_pdf_Export",
    "impress": "impress_pdf_Export",
    "draw": "draw_pdf_Export",
}


class ListenerError(RuntimeError):
    """The listener could not be started (LibreOffice or python3-uno missing or broken)."""


class Listener:
    def __init__(
        self, *, soffice: str, python: str, memory_mb: int | None, start_timeout_s: float,
        niceness: int = DEFAULT_NICENESS,
    ) -> None:
        self.soffice = soffice
        self.python = python
        self.memory_mb = memory_mb
        self.niceness = niceness
        self.start_timeout_s = start_timeout_s
        self.process: asyncio.subprocess.Process | None = None
        self.profile: str | None = None
        self.jobs = 0
        self.starts = 0
        self.start_failed = False  # the last start did not work: the pool does not retry it on its own

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="arkiv5-lo-")
        self.process = await asyncio.create_subprocess_exec(
            self.python,
            str(DRIVER),
            self.soffice,
            self.profile,
            f"arkiv5-{uuid.uuid4().hex}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=limits(self.memory_mb, niceness=self.niceness),
            limit=1 << 20,
            env=office_environment(),
        )
        self.jobs = 0
        self.starts += 1
        self.start_failed = True
        try:
            ready = await asyncio.wait_for(self._read(), timeout=self.start_timeout_s)
        except (TimeoutError, ValueError, ListenerError) as exc:
            await self.stop()
            raise ListenerError(f"the LibreOffice listener did not start ({type(exc).__name__})") from None
        if not ready.get("ready"):
            await self.stop()
            raise ListenerError("the LibreOffice listener did not start")
        self.start_failed = False

    async def _read(self) -> dict[str, Any]:
        assert self.process and self.process.stdout
        line = await self.process.stdout.readline()
        if not line:
            raise ListenerError("the listener exited")
        return json.loads(line)

    async def ping(self, timeout_s: float) -> bool:
        """True when the listener answers a UNO round trip in time; a dead or hung one is killed."""
        if not self.alive:
            return False
        assert self.process and self.process.stdin
        try:
            self.process.stdin.write(b'{"op": "ping"}\n')
            await self.process.stdin.drain()
            answer = await asyncio.wait_for(self._read(), timeout=timeout_s)
        except (TimeoutError, ListenerError, ConnectionError, ValueError):
            answer = {}
        if answer.get("ok"):
            return True
        log.warning("LibreOffice listener dead or hung between jobs; replacing it")
        await self.stop(kill=True)
        return False

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
            return OfficeResult(False, CRASHED, "LibreOffice stopped while converting the file")
        except asyncio.CancelledError:
            await self.stop(kill=True)
            raise
        if answer.get("code") in ("listener-crashed", DEAD):
            await self.stop(kill=True)
            code = CRASHED if answer.get("code") == "listener-crashed" else DEAD
            return OfficeResult(False, code, answer.get("reason"))
        return OfficeResult(
            bool(answer.get("ok")),
            answer.get("code"),
            answer.get("reason"),
            answer.get("pages"),
            answer.get("kind"),
            answer.get("load_s"),
            answer.get("export_s"),
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
    """`size` listeners convert at once; `spares` more are kept started so that no job waits for a
    LibreOffice start (several seconds) when a listener crashes, dies, hangs or is retired: the
    job takes a ready listener and the one that went down is started again in the background."""

    def __init__(
        self,
        size: int,
        *,
        soffice: str,
        python: str,
        memory_mb: int | None,
        restart_after: int,
        start_timeout_s: float = 60.0,
        ping_timeout_s: float = 10.0,
        oneshot: bool = True,
        spares: int = 1,
        niceness: int = DEFAULT_NICENESS,
    ) -> None:
        self.size = size
        self.restart_after = restart_after
        self.soffice = soffice
        self.memory_mb = memory_mb
        self.niceness = niceness
        self.ping_timeout_s = ping_timeout_s
        self.oneshot = oneshot
        self.replaced = 0  # listeners found dead or hung between jobs
        self.crashes = 0  # jobs under which a listener died
        self.oneshots = 0  # files handed to the one-shot converter
        self.start_waits = 0  # jobs that waited for a LibreOffice start (none while a started spare is ready)
        self.listeners = [
            Listener(soffice=soffice, python=python, memory_mb=memory_mb, start_timeout_s=start_timeout_s,
                     niceness=niceness)
            for _ in range(size + spares)
        ]
        # Last in, first out: the most recently used listener takes the next job, so the spares stay
        # idle (and their memory small) until one is needed.
        self._ready: asyncio.LifoQueue[Listener] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._restarts: set[asyncio.Task[None]] = set()

    def _queue(self) -> asyncio.LifoQueue[Listener]:
        if self._ready is None:
            self._ready = asyncio.LifoQueue()
            self._slots = asyncio.Semaphore(self.size)
            spares = self.listeners[self.size :]
            for spare in spares:
                if spare.alive:
                    self._ready.put_nowait(spare)
                else:  # without a warm-up: the spares start now, beside the first jobs, not when one is needed
                    self._restart_in_background(spare)
            for listener in reversed(self.listeners[: self.size]):
                self._ready.put_nowait(listener)
        return self._ready

    async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
        if request.get("op") == "ping":
            return await self._on_listener(request, timeout_s)
        answer = await self._on_listener(request, timeout_s)
        if answer.code == DEAD:  # died before it read this file: another listener takes the job
            self.replaced += 1
            answer = await self._on_listener(request, timeout_s)
        if answer.code != CRASHED:
            return answer
        self.crashes += 1
        log.warning("LibreOffice stopped under a file; retrying it once on another listener")
        answer = await self._on_listener(request, timeout_s)
        if answer.code != CRASHED:
            answer.listener_crashes = 1
            return answer
        self.crashes += 1
        if not self.oneshot:
            return OfficeResult(False, CRASHED, CRASHED_TWICE, listener_crashes=2)
        self.oneshots += 1
        log.warning("LibreOffice stopped twice under a file; trying a one-shot converter")
        answer = await oneshot_convert(self.soffice, request, timeout_s=timeout_s, memory_mb=self.memory_mb,
                                       niceness=self.niceness)
        answer.listener_crashes = 2
        return answer

    async def _on_listener(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
        ready = self._queue()
        assert self._slots is not None
        async with self._slots:
            listener = await self._take(ready)
            try:
                return await listener.convert(request, timeout_s)  # starts it first when it is not running
            finally:
                self._give_back(listener)

    async def _take(self, ready: asyncio.LifoQueue[Listener]) -> Listener:
        """A listener for the next job: a started one that answers a ping, if any is ready."""
        while True:
            if ready.empty() and self._restarts:
                self.start_waits += 1  # every listener is being started again
            listener = await ready.get()
            if not listener.alive:
                # Never started (no warm-up) or its start failed: convert() starts it, or says why not.
                self.start_waits += 1
                return listener
            if listener.jobs >= self.restart_after:
                self._restart_in_background(listener)
                continue
            try:
                answers = await listener.ping(self.ping_timeout_s)
            except asyncio.CancelledError:
                self._restart_in_background(listener)  # its answer may still come: never reuse it as is
                raise
            if answers:
                return listener
            self.replaced += 1
            self._restart_in_background(listener)

    def _give_back(self, listener: Listener) -> None:
        if listener.alive or listener.start_failed:
            self._queue().put_nowait(listener)  # a listener that cannot start is tried again by the next job
        else:  # it went down under the job (crash, timeout): its replacement starts without a job waiting
            self._restart_in_background(listener)

    def _restart_in_background(self, listener: Listener) -> None:
        task = asyncio.get_running_loop().create_task(self._restart(listener))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, listener: Listener) -> None:
        try:
            await listener.stop()  # retired after restart_after jobs, or the remains of a dead one
            await listener.start()
        except ListenerError as problem:
            # It goes back stopped: the job that takes it starts it again and fails with the reason.
            log.warning("a LibreOffice listener could not be started again: %s", problem)
        except asyncio.CancelledError:
            await listener.stop(kill=True)
            raise
        self._queue().put_nowait(listener)

    async def warm_up(self) -> None:
        await asyncio.gather(*(listener.start() for listener in self.listeners if not listener.alive))

    async def close(self) -> None:
        restarts = list(self._restarts)
        for task in restarts:
            task.cancel()
        await asyncio.gather(*restarts, return_exceptions=True)
        await asyncio.gather(*(listener.stop() for listener in self.listeners), return_exceptions=True)


CRASHED_TWICE = (
    "LibreOffice stopped twice while opening this file (a fault in LibreOffice with this file): "
    "save it again in its own program, or as PDF, and file that as a new version"
)


async def oneshot_convert(
    soffice: str,
    request: dict[str, Any],
    *,
    timeout_s: float,
    memory_mb: int | None,
    niceness: int = DEFAULT_NICENESS,
) -> OfficeResult:
    """`soffice --convert-to` once, in a fresh locked-down profile, under time and memory caps."""
    src, dst = Path(request["src"]), Path(request["dst"])
    kind = request.get("expect_kind") or "writer"
    work = Path(tempfile.mkdtemp(prefix="arkiv5-lo-oneshot-"))
    try:
        write_profile(str(work / "profile"))
        options = json.dumps(
            {
                "SelectPdfVersion": {"type": "long", "value": str(int(request.get("pdfa", 2)))},
                "UseTaggedPDF": {"type": "boolean", "value": "true"},
                "ExportNotes": {"type": "boolean", "value": "false"},
            }
        )
        target = f"pdf:{EXPORT_FILTERS.get(kind, 'writer_pdf_Export')}:{options}"
        argv = [
            soffice,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
        ]
        if request.get("import_filter"):
            argv.append(f"--infilter={request['import_filter']}")
        argv += ["--convert-to", target, "--outdir", str(work / "out"), str(src)]
        done = await run_limited(
            argv, timeout_s=timeout_s, memory_mb=memory_mb, cwd=str(work), env=office_environment(), niceness=niceness,
        )
        produced = work / "out" / (src.stem + ".pdf")
        if done.timed_out:
            return OfficeResult(False, "timeout", f"the conversion did not finish in {timeout_s:g} s")
        if not produced.is_file() or produced.stat().st_size == 0:
            return OfficeResult(False, CRASHED, CRASHED_TWICE)
        shutil.move(str(produced), dst)
        return OfficeResult(True, pages=None, kind=kind)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
