"""Every converter process runs below the service's OS priority (CONVERSION_TOOL_NICENESS).

In the one-process suite the converters share the cores with every request; started at a
lower priority, they take only what the requests leave. Checked from the outside: the
niceness each child process actually has, read from /proc.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import corpus

from arkiv5_conversion.engine.listeners import ListenerPool
from arkiv5_conversion.engine.sandbox import run_limited
from arkiv5_conversion.engine.verapdf import VeraPdf
from arkiv5_conversion.pipeline import Converter
from arkiv5_conversion.policy import load_policy
from arkiv5_conversion.settings import ConversionSettings
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import BasicPdfaValidator


def _below_us(steps: int) -> int:
    """The niceness of a child started `steps` below this process (the kernel stops at 19)."""
    return min(os.nice(0) + steps, 19)


def _niceness(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_the_default_is_ten_steps_below_the_service() -> None:
    assert ConversionSettings().tool_niceness == 10


async def test_a_bounded_tool_runs_at_the_niceness_it_is_given() -> None:
    done = await run_limited([sys.executable, "-c", "import os; print(os.nice(0))"],
                             timeout_s=30, memory_mb=None, niceness=7)
    assert int(done.stdout) == _below_us(7)


async def test_zero_keeps_the_services_own_priority() -> None:
    done = await run_limited([sys.executable, "-c", "import os; print(os.nice(0))"],
                             timeout_s=30, memory_mb=None, niceness=0)
    assert int(done.stdout) == os.nice(0)


async def test_ghostscript_and_the_pdf_probe_run_at_the_configured_niceness(
    ghostscript_installed: None, tmp_path: Path,
) -> None:
    # Ghostscript through a wrapper that writes down the niceness it was started with.
    seen = tmp_path / "gs-niceness"
    wrapper = tmp_path / "gs"
    wrapper.write_text(f"#!/bin/sh\nnice > {seen}\nexec gs \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    settings = settings_for_tests(tmp_path, tool_niceness=5, ghostscript_path=str(wrapper))
    converter = Converter(settings, load_policy(), None, BasicPdfaValidator())
    result = await converter.convert(corpus.pdf(), tmp_path / "job")
    assert result.ok, result.reason
    assert int(seen.read_text()) == _below_us(5)


async def test_libreoffice_listeners_and_their_office_run_at_the_configured_niceness(libreoffice: None) -> None:
    pool = ListenerPool(1, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=100,
                        spares=0, niceness=6)
    try:
        assert (await pool.convert({"op": "ping"}, 60)).ok
        driver = pool.listeners[0].process
        assert driver is not None
        office = _children(driver.pid)
        assert office, "the driver started no LibreOffice"
        assert {_niceness(pid) for pid in [driver.pid, *office]} == {_below_us(6)}
    finally:
        await pool.close()


async def test_verapdf_runs_ten_steps_below_by_default(verapdf: VeraPdf) -> None:
    await verapdf.start()
    assert verapdf.process is not None
    assert _niceness(verapdf.process.pid) == _below_us(10)
