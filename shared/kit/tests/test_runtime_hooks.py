"""`runtime.on_start` / `runtime.on_stop`: one way for every service to wire start and stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from arkiv5_kit.service import ServiceRuntime
from arkiv5_kit.settings import ServiceSettings
from arkiv5_kit.testing import RecordingTransport


class Settings(ServiceSettings):
    pass


def runtime(tmp_path: Path) -> ServiceRuntime:
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/hooks.sqlite",
                        shutdown_timeout_s=5)
    return ServiceRuntime(settings, RecordingTransport())


async def test_start_hooks_run_in_order_before_jobs_and_stop_hooks_in_reverse_after_them(tmp_path: Path) -> None:
    rt = runtime(tmp_path)
    events: list[str] = []

    async def job(stopping) -> None:  # type: ignore[no-untyped-def]
        events.append("job started")
        await stopping.wait()
        events.append("job ended")

    rt.add_job("job", job)

    @rt.on_start
    async def first() -> None:
        events.append("start 1")

    @rt.on_start
    async def second() -> None:
        events.append("start 2")

    rt.on_stop(lambda: _append(events, "stop 1"))
    rt.on_stop(lambda: _append(events, "stop 2"))

    await rt.start()
    await rt.start()  # a second start changes nothing
    import asyncio

    await asyncio.sleep(0.05)
    await rt.stop()
    assert events == ["start 1", "start 2", "job started", "job ended", "stop 2", "stop 1"]


async def test_a_failing_stop_hook_does_not_keep_the_others_from_running(tmp_path: Path) -> None:
    rt = runtime(tmp_path)
    events: list[str] = []

    async def broken() -> None:
        raise RuntimeError("cannot flush")

    rt.on_stop(lambda: _append(events, "closed the client"))
    rt.on_stop(broken)
    await rt.start()
    await rt.stop()
    assert events == ["closed the client"]
    assert not rt.started


async def test_a_failing_start_hook_fails_the_start_and_stops_the_bus(tmp_path: Path) -> None:
    rt = runtime(tmp_path)
    stopped: list[bool] = []
    original_stop = rt.transport.stop

    async def stop_transport() -> None:
        stopped.append(True)
        await original_stop()

    rt.transport.stop = stop_transport  # type: ignore[method-assign]

    async def no_key() -> None:
        raise RuntimeError("no signing key")

    rt.on_start(no_key)
    with pytest.raises(RuntimeError, match="no signing key"):
        await rt.start()
    assert not rt.started and stopped == [True]
    await rt.database.dispose()


async def _append(events: list[str], what: str) -> None:
    events.append(what)
