"""LibreOffice listener health: a crash never spreads to another file; a dead or hung listener is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import corpus
import pytest
from required import missing

from arkiv5_conversion.engine.listeners import ListenerPool
from arkiv5_conversion.pipeline import Converter
from arkiv5_conversion.policy import load_policy
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import BasicPdfaValidator
from arkiv5_kit.reference import ReferenceFileMissing, reference_file

# A real Word file (Apache POI's test data) under which LibreOffice 7.x dies while loading it.
CRASHER = "conversion-corpus/docx-with-ole-attachments.docx"


def _crasher() -> bytes:
    try:
        return reference_file(CRASHER).read_bytes()
    except ReferenceFileMissing as problem:
        missing(str(problem), state="missing")
        raise


def _soffice_pids(driver_pid: int) -> list[int]:
    """The soffice processes a listener's driver started (its process group, not the driver)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == driver_pid:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == driver_pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _one_listener(**options: Any) -> ListenerPool:
    """A pool of one listener (and by default one spare), as the health tests start it."""
    return ListenerPool(1, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=100, **options)


def _rtf_request(tmp_path: Path) -> dict[str, Any]:
    """A healthy RTF's conversion request, for the job after a listener went down."""
    src = tmp_path / "a.rtf"
    src.write_bytes(corpus.rtf())
    return {"op": "convert", "src": str(src), "dst": str(tmp_path / "a.pdf"), "pdfa": 2}


@pytest.mark.slow
async def test_a_file_that_kills_libreoffice_fails_alone_among_50_healthy_ones(
    libreoffice: None,
    ghostscript_installed: None,
    tmp_path: Path,
) -> None:
    pool = ListenerPool(
        2, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=100, oneshot=False
    )
    converter = Converter(settings_for_tests(tmp_path), load_policy(), pool, BasicPdfaValidator())
    healthy = [corpus.docx() if n % 2 else corpus.rtf() for n in range(50)]
    documents = healthy[:20] + [_crasher()] + healthy[20:]
    crasher_at = 20
    semaphore = asyncio.Semaphore(2)

    async def one(index: int, data: bytes):  # type: ignore[no-untyped-def]
        async with semaphore:
            return await converter.convert(data, tmp_path / f"doc{index}")

    try:
        results = await asyncio.gather(*(one(i, d) for i, d in enumerate(documents)))
    finally:
        await pool.close()
    failures = {i: (r.code, r.reason) for i, r in enumerate(results) if not r.ok}
    assert list(failures) == [crasher_at], failures
    assert failures[crasher_at][0] == "converter-crashed"
    assert "stopped twice" in (failures[crasher_at][1] or "")
    assert pool.crashes == 2  # the first try and the one retry on a fresh listener, nothing else


@pytest.mark.slow
async def test_the_file_that_crashes_the_listener_twice_is_converted_by_the_one_shot_converter(
    libreoffice: None,
    ghostscript_installed: None,
    tmp_path: Path,
) -> None:
    pool = _one_listener()
    converter = Converter(settings_for_tests(tmp_path), load_policy(), pool, BasicPdfaValidator())
    try:
        crashed = await converter.convert(_crasher(), tmp_path / "crasher")
        after = await converter.convert(corpus.docx(), tmp_path / "next")
    finally:
        await pool.close()
    assert crashed.ok, crashed.reason
    assert crashed.output and crashed.output.puid == "fmt/477"
    assert (pool.crashes, pool.oneshots) == (2, 1)
    assert after.ok  # the pool goes on with a fresh listener


async def test_a_listener_that_died_between_jobs_is_replaced_and_the_job_is_not_blamed(
    libreoffice: None,
    tmp_path: Path,
) -> None:
    # No spare: the job waits for the dead listener's own replacement, which this test counts.
    pool = _one_listener(spares=0)
    request = _rtf_request(tmp_path)
    try:
        assert (await pool.convert({"op": "ping"}, 60)).ok
        listener = pool.listeners[0]
        assert listener.process is not None
        for pid in _soffice_pids(listener.process.pid):
            os.kill(pid, signal.SIGKILL)  # LibreOffice dies while idle
        await asyncio.sleep(0.5)
        answer = await pool.convert(request, 60)
    finally:
        await pool.close()
    assert answer.ok, answer.reason
    assert pool.replaced == 1 and pool.crashes == 0 and listener.starts == 2


async def test_a_hung_listener_is_found_by_the_ping_and_replaced(libreoffice: None, tmp_path: Path) -> None:
    pool = _one_listener(ping_timeout_s=2, spares=0)
    request = _rtf_request(tmp_path)
    try:
        assert (await pool.convert({"op": "ping"}, 60)).ok
        listener = pool.listeners[0]
        assert listener.process is not None
        for pid in _soffice_pids(listener.process.pid):
            os.kill(pid, signal.SIGSTOP)  # LibreOffice stops answering
        answer = await pool.convert(request, 60)
    finally:
        await pool.close()
    assert answer.ok, answer.reason
    assert pool.replaced == 1 and pool.crashes == 0 and listener.starts == 2


async def test_a_started_spare_takes_the_job_of_a_dead_listener_so_no_job_waits_for_a_start(
    libreoffice: None,
    tmp_path: Path,
) -> None:
    pool = _one_listener(spares=1)
    request = _rtf_request(tmp_path)
    try:
        await pool.warm_up()
        assert (await pool.convert({"op": "ping"}, 60)).ok
        busy = next(lst for lst in pool.listeners if lst.jobs == 1)
        assert busy.process is not None
        for pid in _soffice_pids(busy.process.pid):
            os.kill(pid, signal.SIGKILL)  # LibreOffice dies while idle
        await asyncio.sleep(0.5)
        answer = await pool.convert(request, 60)
        waits = pool.start_waits
        while busy.starts < 2 or not busy.alive:  # its replacement starts in the background
            await asyncio.sleep(0.1)
    finally:
        await pool.close()
    assert answer.ok, answer.reason
    assert pool.replaced == 1 and pool.crashes == 0
    assert waits == 0  # the spare, already started, took the job
