"""Behind an ingress that strips /<service>: links carry the prefix the caller used."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from fastapi import APIRouter, Request, Response
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.proxy import forwarded_prefix, location
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.settings import ServiceSettings
from arkiv5_kit.testing import RecordingTransport, create_messaging_schema


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    service_name: ClassVar[str] = "demo"


router = APIRouter()


@router.post("/things", status_code=201)
async def create_thing(request: Request, response: Response) -> dict[str, str]:
    thing = str(uuid.uuid4())
    response.headers["Location"] = location(request, f"/things/{thing}")
    return {"id": thing}


@router.get("/things/{thing}")
async def read_thing(thing: str) -> dict[str, str]:
    return {"id": thing}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = DemoSettings(var_dir=tmp_path, migrate_on_start=False)
    runtime = ServiceRuntime(settings, RecordingTransport())
    app = create_service_app(runtime, title="Demo", description="demo", routers=[router])
    await create_messaging_schema(runtime.database)
    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as http:
            yield http
    finally:
        await runtime.stop()


async def test_without_a_proxy_links_are_service_relative(client: httpx.AsyncClient) -> None:
    created = await client.post("/things")
    assert created.status_code == 201
    assert created.headers["Location"] == f"/things/{created.json()['id']}"
    assert (await client.get(created.headers["Location"])).status_code == 200


async def test_the_forwarded_prefix_goes_into_every_link(client: httpx.AsyncClient) -> None:
    # The ingress stripped /demo from https://host/demo/things and says so in the header.
    created = await client.post("/things", headers={"X-Forwarded-Prefix": "/demo"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/demo/things/{created.json()['id']}"
    # The routes still match, and the OpenAPI document names the prefix as its server.
    assert (await client.get(f"/things/{created.json()['id']}", headers={"X-Forwarded-Prefix": "/demo"})).status_code == 200
    spec = (await client.get("/openapi.json", headers={"X-Forwarded-Prefix": "/demo"})).json()
    assert spec["servers"] == [{"url": "/demo"}]


MALFORMED = ["https://evil.example/x", "//evil.example", "/demo\r\nSet-Cookie: a=b", "/../etc", "demo", "/demo?x=1",
             "/demo/ x", ""]


@pytest.mark.parametrize("header", MALFORMED)
def test_a_malformed_prefix_is_refused(header: str) -> None:
    assert forwarded_prefix({"headers": [(b"x-forwarded-prefix", header.encode("latin-1"))]}) is None


@pytest.mark.parametrize("header", [h for h in MALFORMED if "\r" not in h and h])  # httpx refuses CR/LF itself
async def test_a_malformed_prefix_changes_no_link(client: httpx.AsyncClient, header: str) -> None:
    created = await client.post("/things", headers={"X-Forwarded-Prefix": header})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/things/{created.json()['id']}"


def test_well_formed_prefixes() -> None:
    for header, expected in (("/journal", "/journal"), ("/journal/", "/journal"), ("/arkiv5/journal", "/arkiv5/journal")):
        assert forwarded_prefix({"headers": [(b"x-forwarded-prefix", header.encode())]}) == expected
