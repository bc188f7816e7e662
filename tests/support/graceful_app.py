"""A minimal service built from the kit, for the graceful-shutdown test.

`POST /registrations` takes a moment (so requests are in flight when SIGTERM lands), then
writes a `JournalpostRegistered` event through the outbox; the service's own consumer
records one effect row per event. Run: `python tests/support/graceful_app.py --port N`
with GRACEFUL_DATABASE_URL, GRACEFUL_BUS=kafka, GRACEFUL_KAFKA_BOOTSTRAP_SERVERS, ….
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import date
from typing import Any, ClassVar

import uvicorn
from fastapi import APIRouter
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, insert

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import JournalpostRegistered
from arkiv5_kit.logs import configure_logging
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.settings import ServiceSettings
from arkiv5_kit.testing import create_messaging_schema

effects_metadata = MetaData()
effects = Table(
    "effects", effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("journalpost_id", Uuid, nullable=False),
)


class GracefulSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRACEFUL_", extra="ignore")
    service_name: ClassVar[str] = "graceful"


def create_app(settings: GracefulSettings) -> Any:
    runtime = ServiceRuntime(settings)
    router = APIRouter()

    @router.post("/registrations", status_code=201)
    async def register(body: dict[str, uuid.UUID]) -> dict[str, str]:
        journalpost_id = body["journalpost_id"]  # chosen by the client, so it can tell what arrived
        async with runtime.database.unit_of_work() as session:
            await asyncio.sleep(0.05)  # work in progress inside the transaction
            await runtime.outbox.add(
                session,
                JournalpostRegistered(
                    journalpost_id=journalpost_id, saksmappe_id=uuid.uuid4(), journalaar=2026,
                    journalsekvensnummer=1, journalpostnummer=1, journalposttype=Journalposttype.I,
                    journalstatus=Journalstatus.J, journaldato=date(2026, 11, 21),
                ),
            )
        return {"journalpost_id": str(journalpost_id)}

    async def record_effect(session: Any, envelope: Envelope[JournalpostRegistered]) -> None:
        await session.execute(insert(effects).values(event_id=envelope.id, journalpost_id=envelope.data.journalpost_id))

    runtime.add_consumer("effects", {JournalpostRegistered: record_effect})
    app = create_service_app(runtime, title="graceful", description="test service", routers=[router])
    original_start = runtime.start

    async def start_with_schema() -> None:
        await create_messaging_schema(runtime.database)
        async with runtime.database.engine.begin() as connection:
            await connection.run_sync(effects_metadata.create_all)
        await original_start()

    runtime.start = start_with_schema  # type: ignore[method-assign]
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = GracefulSettings(migrate_on_start=False)
    configure_logging("graceful", json_lines=False)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port, log_config=None,
                timeout_graceful_shutdown=20)
