"""The access app over HTTP, seeded with the demo municipality, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from arkiv5_access.app import MIGRATIONS_DIR, create_app
from arkiv5_access.settings import AccessSettings
from arkiv5_contracts.events.access import RightsChanged
from arkiv5_kit.auth import JwksCache, TokenVerifier
from arkiv5_kit.testing import RecordingTransport

ISSUER = "https://access.arkiv5.test"
PASSWORD = "demo-password"
SECRET = "demo-client-secret"


@dataclass
class Access:
    app: FastAPI
    client: httpx.AsyncClient
    bus: RecordingTransport

    async def token(self, username: str, *, audience: str | None = "access", scope: str | None = None) -> str:
        data = {"grant_type": "password", "username": username, "password": PASSWORD}
        if audience:
            data["audience"] = audience
        if scope:
            data["scope"] = scope
        response = await self.client.post("/oauth2/token", data=data)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def as_user(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(username)}"}

    async def client_token(self, client_id: str, audience: str, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials", "audience": audience}
        if scope:
            data["scope"] = scope
        response = await self.client.post("/oauth2/token", data=data, auth=(client_id, SECRET))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def as_client(self, client_id: str, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.client_token(client_id, 'access', scope)}"}

    async def person_id(self, username: str) -> str:
        response = await self.client.get("/me", headers=await self.as_user(username))
        assert response.status_code == 200, response.text
        return response.json()["person_id"]

    async def unit_id(self, code: str) -> str:
        response = await self.client.get("/units", headers=await self.as_user("arkivleder"))
        return next(u["id"] for u in response.json() if u["code"] == code)

    async def verifier(self, audience: str) -> TokenVerifier:
        jwks = (await self.client.get("/.well-known/jwks.json")).json()
        return TokenVerifier(JwksCache(keys=jwks["keys"]), issuer=ISSUER, audience=audience)

    async def flushed(self) -> None:
        """Publish everything committed so far."""
        await self.app.state.runtime.relay.drain()

    async def new_user(
        self, *, effective: date, username: str = "ny.saksbehandler", codes: tuple[str, ...] = ("KL",),
        approve: bool = True, roles: tuple[str, ...] = ("saksbehandler",),
    ) -> dict[str, Any]:
        """A leader's written request for a new case handler, approved by the arkivleder."""
        leader = await self.as_user("leder")
        body = {
            "kind": "new-user", "full_name": "Kari Nordmann", "job_title": "Barnevernskonsulent",
            "effective_date": effective.isoformat(), "unit_id": await self.unit_id("HO-BV"),
            "roles": list(roles), "access_codes": list(codes), "username": username,
        }
        submitted = await self.client.post("/change-requests", json=body, headers=leader)
        assert submitted.status_code == 201, submitted.text
        request = submitted.json()
        assert request["status"] == "submitted" and request["person_id"] is None
        if not approve:
            return request
        decided = await self.client.post(f"/change-requests/{request['id']}/decision",
                                           json={"outcome": "approved"}, headers=await self.as_user("arkivleder"))
        assert decided.status_code == 200, decided.text
        return decided.json()

    def rights_events(self, person_id: str) -> list[RightsChanged]:
        return [e.data for e in self.bus.envelopes() if isinstance(e.data, RightsChanged)
                and str(e.data.person_id) == person_id]


def settings(tmp_path: Path, **overrides: Any) -> AccessSettings:
    values: dict[str, Any] = dict(
        var_dir=tmp_path, environment="test", issuer=ISSUER, seed_demo=True, password_grant_enabled=True,
        signing_key_publish_ahead_s=0, outbox_poll_interval_s=0.01,
    )
    values.update(overrides)
    return AccessSettings(**values)


@asynccontextmanager
async def _access_factory(tmp_path: Path, database_url: str,
                          premigrated: bool = False) -> AsyncIterator[Callable[..., Any]]:
    """Builds and starts access apps on `database_url` (several may share it); stops them all.

    `premigrated`: the database is already at the newest schema, so apps on it skip Alembic."""
    started: list[Access] = []

    async def make(http_client: httpx.AsyncClient | None = None, **overrides: Any) -> Access:
        bus = RecordingTransport()
        if premigrated and "database_url" not in overrides:
            overrides.setdefault("migrate_on_start", False)
        overrides.setdefault("database_url", database_url)
        app = create_app(settings(tmp_path, **overrides), bus=bus, http_client=http_client)
        await app.state.runtime.start()
        made = Access(app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t"), bus)
        started.append(made)
        return made

    try:
        yield make
    finally:
        for made in reversed(started):
            await made.client.aclose()
            await made.app.state.runtime.stop()


@pytest.fixture
async def make_access(tmp_path: Path, db_backend: Any) -> AsyncIterator[Callable[..., Any]]:
    """Access apps on the test's backend: every test that takes it runs on SQLite and on PostgreSQL."""
    async with _access_factory(tmp_path, await db_backend.migrated(MIGRATIONS_DIR), premigrated=True) as make:
        yield make


@pytest.fixture
async def make_access_on_postgres(tmp_path: Path, postgres_database: str) -> AsyncIterator[Callable[..., Any]]:
    """For what only PostgreSQL can show (concurrent transactions racing on row locks)."""
    async with _access_factory(tmp_path, postgres_database) as make:
        yield make


@pytest.fixture
async def access(make_access: Callable[..., Any]) -> Access:
    return await make_access()
