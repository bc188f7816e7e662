"""Fixtures: the journal app over HTTP on SQLite (or PostgreSQL), tokens, and seeded rights."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import RightsChanged
from arkiv5_journal.app import MIGRATIONS_DIR, create_app
from arkiv5_journal.authz import access
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_kit.transport.embedded import EmbeddedTransport

ALL_SCOPES = ["journal.read", "journal.write", "journal.admin"]

# Synthetic-free, valid test numbers (check digits correct).
FNR = "01010012356"
ORGNR = "974760673"

UNIT = UUID("00000000-0000-4000-8000-000000000001")
OTHER_UNIT = UUID("00000000-0000-4000-8000-000000000002")


@dataclass
class Journal:
    app: Any
    client: httpx.AsyncClient
    issuer: TestTokenIssuer
    persons: dict[str, UUID] = field(default_factory=dict)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def fagsystem(self, scopes: list[str] | None = None, *, lifetime_s: int = 300) -> dict[str, str]:
        return self.issuer.headers(sub="fagsystem-sosial", audience="journal", scopes=scopes or ALL_SCOPES,
                                   roles=["fagsystem"], lifetime_s=lifetime_s)

    def service(self, *scopes: str) -> dict[str, str]:
        return self.issuer.headers(sub="conversion", audience="journal", scopes=list(scopes),
                                   roles=["intern-tjeneste"])

    def person(self, name: str, scopes: list[str] | None = None) -> dict[str, str]:
        return self.issuer.headers(sub=name, audience="journal", scopes=scopes or ALL_SCOPES,
                                   person_id=self.persons[name])

    async def grant(self, name: str, *, roles: list[str], unit: UUID = UNIT, led: list[UUID] | None = None,
                    codes: list[str] | None = None, version: int = 1) -> UUID:
        person_id = self.persons.setdefault(name, uuid4())
        event = RightsChanged(person_id=person_id, version=version, valid_from=date(2020, 1, 1), roles=roles,
                              unit_id=unit, led_unit_ids=led or [], access_codes=codes or [])
        async with self.runtime.database.unit_of_work() as session:
            await access.on_rights_changed(session, Envelope.wrap(event))
        return person_id

    async def outbox_types(self) -> list[str]:
        async with self.runtime.database.unit_of_work() as session:
            return list((await session.execute(select(outbox_table.c.event_type).order_by(outbox_table.c.id))).scalars())

    async def outbox_payloads(self, event_type_suffix: str) -> list[str]:
        async with self.runtime.database.unit_of_work() as session:
            query = select(outbox_table.c.event_type, outbox_table.c.payload).order_by(outbox_table.c.id)
            rows = (await session.execute(query)).all()
        return [payload for kind, payload in rows if kind.endswith(event_type_suffix)]


async def _journal(tmp_path: Path, **settings: Any) -> AsyncIterator[Journal]:
    app = create_app(JournalSettings(var_dir=tmp_path, environment="test", **settings),
                     bus=EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite"))
    issuer = TestTokenIssuer()
    app.state.token_verifier = issuer.verifier("journal")
    await app.state.runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Journal(app=app, client=client, issuer=issuer)
    finally:
        await app.state.runtime.stop()


@pytest.fixture
async def journal(tmp_path: Path, db_backend: Any) -> AsyncIterator[Journal]:
    """The journal over HTTP, once on SQLite and once on a fresh PostgreSQL database."""
    async for j in _journal(tmp_path, database_url=await db_backend.migrated(MIGRATIONS_DIR), migrate_on_start=False):
        yield j


@pytest.fixture
def journal_factory(tmp_path: Path, db_backend: Any) -> Callable[..., Any]:
    """For other settings: `async for j in journal_factory(max_upload_bytes=1000)`, on both backends."""

    async def make(**settings: Any) -> AsyncIterator[Journal]:
        if "database_url" not in settings:
            # The session's migrated copy, unless the test asks for its own database or migrations.
            settings = {"database_url": await db_backend.migrated(MIGRATIONS_DIR),
                        "migrate_on_start": False, **settings}
        async for j in _journal(tmp_path, **settings):
            yield j

    return make


def incoming(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "journalposttype": "I",
        "tittel": "Søknad om økonomisk sosialhjelp",
        "mottattDato": "2026-11-20",
        "dokumentetsDato": "2026-11-18",
        "korrespondansepart": [
            {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Kari Nordmann", "foedselsnummer": FNR,
             "postadresse": ["Storgata 1"], "postnummer": "4514", "poststed": "Mandal"},
            {"korrespondanseparttype": {"kode": "EK", "kodenavn": "Kopimottaker"},
             "korrespondansepartNavn": "NAV Lindesnes", "organisasjonsnummer": ORGNR},
        ],
    }
    body.update(overrides)
    return body


def case(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"tittel": "Økonomisk sosialhjelp 2026", "administrativEnhet": str(UNIT)}
    body.update(overrides)
    return body


async def publish(journal: Journal, data: Any) -> None:
    """Put an event on the bus as another service would (the topic's real consumer picks it up)."""
    from arkiv5_contracts.cloudevents import to_binary
    from arkiv5_kit.transport.base import OutgoingMessage

    envelope = Envelope.wrap(data)
    message = to_binary(envelope)
    await journal.runtime.transport.publish([OutgoingMessage(
        topic=envelope.topic, key=envelope.subject.encode(), value=message.value, headers=list(message.headers))])


async def eventually(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
