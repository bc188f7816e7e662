"""The one-process suite served on a real socket, and the calls a municipality makes to it.

`create_suite_app` is served by a real uvicorn on a free port (a background thread), so the
journal, conversion and the SvarUt gateway call each other on that port with the demo
municipality's client credentials, exactly as `make run` wires them; the SvarUt simulator
plays KS. Cross-service tests take the `suite` fixture (import it into the test module).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from arkiv5_suite.app import SIMULATOR_PREFIX, create_suite_app
from processes import free_port

SECRET = "demo-client-secret"
PASSWORD = "demo-password"


def docx_bytes(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Vedtak", level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A minimal valid one-page PDF (the gateway sends a PDF as it is)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


class Suite:
    """The running suite and the calls a municipality's people and systems make to it."""

    def __init__(self, base: str, http: httpx.AsyncClient, app: Any = None) -> None:
        self.base = base
        self.http = http
        self.app = app  # the suite app itself, for a test that changes a service's settings
        self.units: dict[str, str] = {}
        self.person_ids: dict[str, str] = {}

    async def client_token(self, client_id: str, scope: str, audience: str = "journal") -> str:
        response = await self.http.post(f"{self.base}/access/oauth2/token", auth=(client_id, SECRET), data={
            "grant_type": "client_credentials", "audience": audience, "scope": scope})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def person_token(self, username: str, audience: str = "journal") -> str:
        response = await self.http.post(f"{self.base}/access/oauth2/token", data={
            "grant_type": "password", "username": username, "password": PASSWORD, "audience": audience})
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        self.person_ids[username] = claims(token)["person_id"]
        return token

    async def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return await self.http.request(method, f"{self.base}{path}", headers=headers, **kwargs)

    async def journal(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return await self.call(method, f"/journal{path}", token, **kwargs)

    async def simulator(self, path: str, **params: str) -> Any:
        """What the SvarUt simulator recorded (its read API, e.g. /_simulator/forsendelser)."""
        response = await self.http.get(f"{self.base}{SIMULATOR_PREFIX}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout_s: float = 60, what: str = "") -> Any:
    """Poll until `check` returns something truthy: events cross the bus asynchronously."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[Suite]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_suite_app(var_dir=tmp_path / "var", base_url=base)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="suite", daemon=True)
    thread.start()
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            deadline = time.monotonic() + 60
            while not server.started:
                assert thread.is_alive(), "the suite stopped while starting"
                assert time.monotonic() < deadline, "the suite did not start"
                await asyncio.sleep(0.1)
            s = Suite(base, http, app)
            arkivleder = await s.person_token("arkivleder", audience="access")
            units = (await s.call("GET", "/access/units", arkivleder)).json()
            s.units = {u["code"]: u["id"] for u in units}
            yield s
    finally:
        server.should_exit = True
        thread.join(timeout=60)
