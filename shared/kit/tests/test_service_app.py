"""What every service app has: health, metrics, correlation ids and problem+json errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from pydantic_settings import SettingsConfigDict

from arkiv5_contracts.identifiers import Fodselsnummer, Organisasjonsnummer
from arkiv5_kit.errors import Conflict
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.settings import ServiceSettings
from arkiv5_kit.testing import RecordingTransport, create_messaging_schema

VALID_LOOKING_FNR = "15108612345"  # eleven digits with wrong check digits


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    service_name: ClassVar[str] = "demo"


class Part(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    fodselsnummer: Fodselsnummer | None = None
    organisasjonsnummer: Organisasjonsnummer | None = None
    navn: str


router = APIRouter()


@router.post("/parts/{part_id}")
async def create_part(part_id: uuid.UUID, body: Part) -> dict[str, str]:
    if body.navn == "taken":
        raise Conflict("A part with this name exists already.", existing_id=str(part_id))
    return {"navn": body.navn}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError(f"secret internals {VALID_LOOKING_FNR}")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = DemoSettings(var_dir=tmp_path, migrate_on_start=False)
    runtime = ServiceRuntime(settings, RecordingTransport())
    app = create_service_app(runtime, title="Demo", description="demo", routers=[router])
    await create_messaging_schema(runtime.database)
    await runtime.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client:
            yield client
    finally:
        await runtime.stop()


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz/live")).json() == {"status": "ok"}
    ready = await client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}


async def test_metrics_show_this_service_by_route_template(client: httpx.AsyncClient) -> None:
    part_id = uuid.uuid4()
    await client.post(f"/parts/{part_id}", json={"navn": "a"})
    text = (await client.get("/metrics")).text
    assert 'arkiv5_build_info{service="demo",version="0.1.0"} 1.0' in text
    assert 'http_route="/parts/{part_id}"' in text
    assert str(part_id) not in text
    assert 'service="journal"' not in text


async def test_correlation_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = str(uuid.uuid4())
    response = await client.get("/healthz/live", headers={"X-Correlation-ID": given})
    assert response.headers["x-correlation-id"] == given
    made = (await client.get("/healthz/live", headers={"X-Correlation-ID": "not-a-uuid"})).headers
    assert uuid.UUID(made["x-correlation-id"])


async def test_validation_errors_name_field_and_reason_without_the_value(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/parts/{uuid.uuid4()}", json={"fodselsnummer": VALID_LOOKING_FNR})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    fields = {e["field"]: e for e in problem["errors"]}
    assert "check digits" in fields["body.fodselsnummer"]["message"]
    assert fields["body.navn"]["code"] == "missing"
    assert VALID_LOOKING_FNR not in response.text
    assert problem["type"].endswith("/validation-error") and problem["status"] == 422


async def test_malformed_json_and_bad_path_parameter(client: httpx.AsyncClient) -> None:
    broken = await client.post(f"/parts/{uuid.uuid4()}", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["errors"][0]["code"] == "json_invalid"
    bad_id = await client.post("/parts/not-a-uuid", json={"navn": "a"})
    assert bad_id.status_code == 422 and bad_id.json()["errors"][0]["field"] == "path.part_id"


async def test_domain_error_and_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    conflict = await client.post(f"/parts/{uuid.uuid4()}", json={"navn": "taken"})
    assert conflict.status_code == 409 and conflict.json()["existing_id"]
    assert (await client.get("/nowhere")).status_code == 404
    wrong_method = await client.delete("/healthz/live")
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == "application/problem+json"


async def test_crash_is_a_500_problem_without_internals(client: httpx.AsyncClient, caplog: Any) -> None:
    response = await client.get("/boom", headers={"X-Correlation-ID": str(uuid.uuid4())})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.json()["correlation_id"] == response.headers["x-correlation-id"]
    assert any(r.getMessage() == "unhandled error" and r.exc_info for r in caplog.records)
