"""The access service's sporingslogg of screened reads, on SQLite and on PostgreSQL: each read kept
once however often its event arrives, searched per person and per object with paging by the
arkivleder only, and deleted after the retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from arkiv5_access import audit_consumer
from arkiv5_access.app import create_app
from arkiv5_access.settings import AccessSettings
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.audit import ScreenedRead, ScreenedReadsLogged
from arkiv5_kit.clock import SettableClock
from arkiv5_kit.testing import RecordingTransport

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _read(person: uuid.UUID, obj: uuid.UUID, case: uuid.UUID, *, outcome: str = "denied",
          age: timedelta = timedelta(0)) -> ScreenedRead:
    return ScreenedRead(read_id=uuid.uuid4(), occurred_at=NOW - age, person_id=person, object_type="journalpost",
                        object_id=obj, saksmappe_id=case, access_code="KL", outcome=outcome,  # type: ignore[arg-type]
                        rule="read-screened.not-cleared")


async def test_screened_reads_are_kept_once_searched_by_the_arkivleder_and_purged_after_retention(
        tmp_path: Path, db_backend: Any) -> None:
    settings = AccessSettings(var_dir=tmp_path, environment="test", issuer="https://access.arkiv5.test",
                              seed_demo=True, password_grant_enabled=True, database_url=db_backend.url,
                              signing_key_publish_ahead_s=0,
                              sporingslogg_purge_interval_s=3600)
    app = create_app(settings, bus=RecordingTransport())
    runtime = app.state.runtime
    await runtime.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    try:
        reader, other, case, jp1, jp2 = (uuid.uuid4() for _ in range(5))
        reads = [_read(reader, jp1, case), _read(reader, jp2, case, outcome="allowed"), _read(other, jp1, case),
                 _read(reader, jp1, case, age=timedelta(days=31))]
        event = Envelope.wrap(ScreenedReadsLogged(reads=reads))
        for _ in range(2):  # a redelivery of the same event, then a replay under a new envelope
            async with runtime.database.unit_of_work() as session:
                await audit_consumer.screened_reads_logged(session, event)
        async with runtime.database.unit_of_work() as session:
            await audit_consumer.screened_reads_logged(session, Envelope.wrap(ScreenedReadsLogged(reads=reads)))

        async def token(username: str) -> dict[str, str]:
            answer = await client.post("/oauth2/token", data={"grant_type": "password", "username": username,
                                                              "password": "demo-password", "audience": "access"})
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        arkivleder = await token("arkivleder")

        async def search(**params: Any) -> dict[str, Any]:
            answer = await client.get("/sporingslogg", params=params, headers=arkivleder)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        everything = await search(person=str(reader))
        assert everything["count"] == 3, "each read once, although its event came three times"
        assert [r["occurred_at"][:10] for r in everything["results"]] == ["2026-12-03", "2026-12-03", "2026-11-02"]
        assert (await search(objekt=str(jp1)))["count"] == 3
        assert (await search(objekt=str(case)))["count"] == 4, "a case finds the reads of its journalposts"
        assert (await search(person=str(reader), objekt=str(jp2)))["results"][0]["outcome"] == "allowed"
        first = await search(person=str(reader), **{"$top": 2, "$skip": 0})
        second = await search(person=str(reader), **{"$top": 2, "$skip": 2})
        assert len(first["results"]) == 2 and len(second["results"]) == 1
        assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])

        for username in ("arkivtjeneste", "systemansvarlig"):
            refused = await client.get("/sporingslogg", params={"person": str(reader)}, headers=await token(username))
            assert refused.status_code == 403, refused.text

        # The service's own job keeps the default retention; the purge here is the job's work with 30 days.
        thirty_days = settings.model_copy(update={"sporingslogg_retention_days": 30})
        assert await audit_consumer.purge(runtime.database, thirty_days, SettableClock(NOW)) == 1
        assert (await search(person=str(reader)))["count"] == 2
        assert await audit_consumer.purge(runtime.database, thirty_days, SettableClock(NOW)) == 0
    finally:
        await client.aclose()
        await runtime.stop()
