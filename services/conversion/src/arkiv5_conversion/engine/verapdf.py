"""veraPDF, the full PDF/A validator, as one long-lived JVM in veraPDF's own server mode.

A JVM takes 1.5–3.5 s to start and veraPDF's first validation warms its JIT, while a warm
validation of an ordinary document takes tens of milliseconds: one process kept for many
files is an order of magnitude faster than a process per file (bench/bench_conversion.py
measures both). In server mode veraPDF reads one absolute path per line on stdin, writes
the report to a new temporary file and prints that file's path on stdout; `q` ends it.

The process is killed (its whole group) when a validation passes the timeout or it dies,
and restarted after `restart_after` files; the next validation starts a fresh one.
Reports are parsed from veraPDF's JSON: compliant or not, the profile it validated
against (auto-detected from the file's own claim, PDF/A-2B when it claims nothing), and
the failed rules' clauses — never document content.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .priority import DEFAULT_NICENESS
from .sandbox import kill_group, limits

log = logging.getLogger(__name__)

VERAPDF_VERSION = "1.28.2"
MAIN_CLASS = "org.verapdf.apps.GreenfieldCliWrapper"
_PROFILE = re.compile(r"PDF/A-(\d)([ABU])", re.I)


def default_classpath() -> str:
    """Where `scripts/verapdf.py fetch` puts the jars (the same cache rule as the script)."""
    root = os.environ.get("ARKIV5_CACHE_DIR") or Path.home() / ".cache" / "arkiv5"
    return str(Path(root).expanduser() / f"verapdf-{VERAPDF_VERSION}" / "libs" / "*")


def verapdf_available(java: str, classpath: str) -> str | None:
    """None when usable, else what is missing (for /internal/engines and failure reasons)."""
    if shutil.which(java) is None:
        return "Java (17 or newer) is not installed"
    jars = [Path(p[:-1]) if p.endswith("*") else Path(p) for p in classpath.split(os.pathsep) if p]
    found = any(
        (j.is_dir() and any(j.glob("greenfield-apps-*.jar"))) or (j.is_file() and j.name.startswith("greenfield-apps"))
        for j in jars
    )
    if not found:
        return "veraPDF is not installed (python3 scripts/verapdf.py fetch)"
    return None


@dataclass
class VeraReport:
    compliant: bool
    part: str | None = None           # "2"
    conformance: str | None = None    # "B"
    failed_rules: int = 0
    clauses: list[str] = field(default_factory=list)
    error: str | None = None          # veraPDF could not validate at all (parse error, timeout, crash)
    code: str | None = None           # error code: timeout | validator-crashed | corrupt | password-protected

    @property
    def flavour(self) -> str | None:
        return f"{self.part}{self.conformance}" if self.part and self.conformance else None


def parse_report(text: str) -> VeraReport:
    """veraPDF's JSON report of one file -> the facts we act on."""
    if not text.strip():
        return VeraReport(False, error="veraPDF wrote no report", code="validator-crashed")
    try:
        job = json.loads(text)["report"]["jobs"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return VeraReport(False, error="veraPDF's report could not be read", code="validator-crashed")
    exception = job.get("taskException")
    if exception:
        message = str(exception.get("exceptionMessage") or exception.get("exception") or "")
        if "encrypted" in message.lower():
            return VeraReport(False, error="the PDF is encrypted", code="password-protected")
        return VeraReport(False, error=f"veraPDF could not parse the file ({exception.get('type', 'error')})",
                          code="corrupt")
    results = job.get("validationResult") or []
    if isinstance(results, dict):
        results = [results]
    if not results:
        return VeraReport(False, error="veraPDF did not validate the file", code="validator-crashed")
    result = results[0]
    match = _PROFILE.search(str(result.get("profileName", "")))
    details = result.get("details") or {}
    clauses = [str(r.get("clause")) for r in details.get("ruleSummaries") or [] if r.get("status") == "failed"]
    return VeraReport(
        compliant=bool(result.get("compliant")), part=match.group(1) if match else None,
        conformance=match.group(2).upper() if match else None, failed_rules=int(details.get("failedRules") or 0),
        clauses=sorted(set(clauses))[:10],
    )


class VeraPdf:
    """One veraPDF server-mode process; validations are serialised through it."""

    def __init__(
        self, *, java: str = "java", classpath: str | None = None, heap_mb: int = 1024, timeout_s: float = 120.0,
        restart_after: int = 500, start_timeout_s: float = 60.0, niceness: int = DEFAULT_NICENESS,
    ) -> None:
        self.java = java
        self.niceness = niceness
        self.classpath = classpath or default_classpath()
        self.heap_mb = heap_mb
        self.timeout_s = timeout_s
        self.restart_after = restart_after
        self.start_timeout_s = start_timeout_s
        self.process: asyncio.subprocess.Process | None = None
        self.tmpdir: str | None = None
        self.files = 0
        self.starts = 0
        self._lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="arkiv5-verapdf-")
        self.process = await asyncio.create_subprocess_exec(
            self.java, f"-Xmx{self.heap_mb}m", "-XX:+ExitOnOutOfMemoryError", "-Xshare:auto",
            f"-Djava.io.tmpdir={self.tmpdir}", "-Djava.awt.headless=true",
            "-cp", self.classpath, MAIN_CLASS,
            "--servermode", "--format", "json", "--loglevel", "0", "--maxfailuresdisplayed", "1",
            "--nonpdfext", "-f", "0", "-df", "2b",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True, preexec_fn=limits(None, niceness=self.niceness), cwd=self.tmpdir,
        )
        self.files = 0
        self.starts += 1
        # veraPDF answers the (empty) start-up batch with one report path: our readiness signal.
        try:
            first = await asyncio.wait_for(self._read_path(), timeout=self.start_timeout_s)
        except (TimeoutError, ConnectionError) as exc:
            await self.stop(kill=True)
            raise ConnectionError(f"veraPDF did not start ({type(exc).__name__})") from None
        with contextlib.suppress(OSError):
            Path(first).unlink()

    async def _read_path(self) -> str:
        assert self.process and self.process.stdout
        line = await self.process.stdout.readline()
        if not line:
            raise ConnectionError("veraPDF exited")
        return line.decode("utf-8", "replace").strip()

    async def validate(self, path: Path) -> VeraReport:
        path = Path(path).resolve()
        if "\n" in str(path) or "\r" in str(path):
            return VeraReport(False, error="unusable file path", code="validator-crashed")
        async with self._lock:
            if self.alive and self.files >= self.restart_after:
                await self.stop()
            try:
                if not self.alive:
                    await self.start()
                assert self.process and self.process.stdin
                self.files += 1
                self.process.stdin.write((str(path) + "\n").encode("utf-8"))
                await self.process.stdin.drain()
                report_path = await asyncio.wait_for(self._read_path(), timeout=self.timeout_s)
            except TimeoutError:
                log.warning("veraPDF passed the timeout; killing it")
                await self.stop(kill=True)
                return VeraReport(False, error=f"veraPDF did not finish in {self.timeout_s:g} s", code="timeout")
            except (ConnectionError, OSError) as exc:
                await self.stop(kill=True)
                return VeraReport(False, error=f"veraPDF stopped ({type(exc).__name__})", code="validator-crashed")
            except asyncio.CancelledError:
                await self.stop(kill=True)
                raise
        report = Path(report_path)
        try:
            text = await asyncio.to_thread(report.read_text, "utf-8", "replace")
        except OSError:
            text = ""
        finally:
            with contextlib.suppress(OSError):
                report.unlink()
        return parse_report(text)

    async def stop(self, *, kill: bool = False) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None and not kill:
            with contextlib.suppress(Exception):
                assert process.stdin
                process.stdin.write(b"q\n")
                await process.stdin.drain()
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                pass
        if process is not None:
            kill_group(process.pid)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), timeout=5)
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
