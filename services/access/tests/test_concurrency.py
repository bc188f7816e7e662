"""What only PostgreSQL can show: concurrent transactions racing for one person or one key."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from arkiv5_kit.clock import SYSTEM_CLOCK as clock

pytestmark = pytest.mark.postgres


def _is_problem(response, status: int, slug: str) -> bool:
    body = response.json()
    return (response.status_code == status and response.headers["content-type"].startswith("application/problem+json")
            and body["status"] == status and body["type"].endswith("/" + slug))


async def _snapshot_versions(access, person_id: str) -> list[tuple[int, str | None]]:
    from uuid import UUID

    from sqlalchemy import select

    from arkiv5_access.models import RightsSnapshot

    async with access.app.state.runtime.database.sessions() as session:
        rows = await session.scalars(
            select(RightsSnapshot).where(RightsSnapshot.person_id == UUID(person_id)).order_by(RightsSnapshot.version)
        )
        return [(row.version, row.payload.get("change_request_id")) for row in rows]


async def test_twenty_concurrent_changes_to_one_person_give_no_500_and_gapless_versions(make_access_on_postgres):
    access = await make_access_on_postgres(database_pool_size=12)
    arkivleder = await access.as_user("arkivleder")
    person_id = await access.person_id("saksbehandler")
    unit_id = await access.unit_id("HO-BV")
    before = await _snapshot_versions(access, person_id)
    code_sets = [["KL"], ["KL", "P"], ["6"], ["KL", "6"]]
    requests = []
    for i in range(16):
        body = {"kind": "change", "person_id": person_id, "full_name": "Barnevern Saksbehandler",
                "job_title": "Barnevernskonsulent", "effective_date": (clock.today() + timedelta(days=1 + i)).isoformat(),
                "unit_id": unit_id, "roles": ["saksbehandler"], "access_codes": code_sets[i % 4]}
        submitted = await access.client.post("/change-requests", json=body, headers=arkivleder)
        assert submitted.status_code == 201, submitted.text
        requests.append(submitted.json()["id"])

    def approve(request_id: str):
        return access.client.post(f"/change-requests/{request_id}/decision", json={"outcome": "approved"},
                                  headers=arkivleder)

    def authorise(code: str):
        return access.client.post(f"/persons/{person_id}/authorisations", headers=arkivleder,
                                  json={"access_codes": [code], "valid_from": clock.today().isoformat()})

    # 16 approvals, the first two a second time, and two direct authorisations: 20 at once.
    calls = [approve(r) for r in requests] + [approve(requests[0]), approve(requests[1])]
    calls += [authorise("5"), authorise("XX")]
    responses = await asyncio.gather(*calls)

    assert all(r.status_code in (200, 201, 409) for r in responses), [(r.status_code, r.text) for r in responses]
    approvals, duplicates, authorisations = responses[:16], responses[16:18], responses[18:]
    # Each request is approved exactly once: one of each pair is 200, the other a 409 problem.
    for request_id in requests[:2]:
        pair = [r for r in approvals + duplicates if r.status_code == 200 and r.json()["id"] == request_id]
        assert len(pair) == 1
    conflicts = [r for r in approvals + duplicates if r.status_code == 409]
    assert len(conflicts) == 2
    assert all(_is_problem(r, 409, "conflict") and "already been decided" in r.json()["detail"] for r in conflicts)
    assert sum(r.status_code == 200 for r in approvals + duplicates) == 16
    assert [r.status_code for r in authorisations] == [201, 201]

    # Versions: gapless from 1, each change's timeline a consecutive block, in commit order.
    versions = await _snapshot_versions(access, person_id)
    assert [v for v, _ in versions] == list(range(1, len(versions) + 1))
    assert len(versions) > len(before) + 18
    await access.flushed()
    published = sorted(e.version for e in access.rights_events(person_id))
    assert published == [v for v, _ in versions]
    # Each change was computed from everything committed before it: on every date, the
    # covering snapshot with the highest version is what the tables hold.
    for day in [clock.today(), *(clock.today() + timedelta(days=1 + i) for i in range(16))]:
        stored = (await access.client.get(f"/persons/{person_id}/rights", params={"at": day.isoformat()},
                                          headers=arkivleder)).json()
        covering = max((e for e in access.rights_events(person_id)
                        if e.valid_from <= day and (e.valid_to is None or day <= e.valid_to)), key=lambda e: e.version)
        assert sorted(stored["access_codes"]) == covering.access_codes, day


async def test_concurrent_creations_with_one_natural_key_give_one_201_and_409s(make_access_on_postgres):
    access = await make_access_on_postgres()
    admin = await access.as_user("arkivleder")
    body = {"code": "HO-PLO", "name": "Pleie og omsorg", "valid_from": clock.today().isoformat()}
    responses = await asyncio.gather(*(access.client.post("/units", json=body, headers=admin) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert all(_is_problem(r, 409, "concurrent-change") or _is_problem(r, 409, "conflict")
               for r in responses if r.status_code == 409)
    units = (await access.client.get("/units", headers=admin)).json()
    assert [u["code"] for u in units].count("HO-PLO") == 1
