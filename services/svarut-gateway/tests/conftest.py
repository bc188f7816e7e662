"""Fixtures of the svarut-gateway tests."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path; our helpers live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))

import asyncio  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from arkiv5_svarut_gateway.simulator import ManualClock, SimulatorConfig, create_simulator_app  # noqa: E402


class Served:
    def __init__(self, app: FastAPI, base_url: str) -> None:
        self.app = app
        self.base_url = base_url
        self.state = app.state.simulator


async def serve(app: FastAPI) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """Serve an app on a free local port in this event loop (real sockets: real timeouts)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off",
                                           timeout_keep_alive=30))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture
async def simulator_server() -> AsyncIterator[Served]:
    app = create_simulator_app(SimulatorConfig(status_step_s=0.05))
    server, task, url = await serve(app)
    try:
        yield Served(app, url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def simulator_app() -> FastAPI:
    # Statuses advance only when a test moves this clock (`app.state.simulator.config.clock.advance(s)`),
    # so no assertion depends on how fast a loaded machine gets from one call to the next.
    return create_simulator_app(SimulatorConfig(status_step_s=1.0, clock=ManualClock()))


@pytest.fixture
async def asgi_http(simulator_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator_app), base_url="http://sim") as client:
        yield client
