"""Ad hoc access groups: a case handler creates one on his own case or journalpost (issue 12,
item 8). The journal checks the policy and asks the access service through its outbox; the
group comes back as `GroupChanged` and opens the screened case to its members."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from arkiv5_contracts.events.access import GroupChanged

from .conftest import Journal, case, eventually, incoming, publish

SECRET = "Ola Hemmelig"
SKJERMING = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TMO"]}


async def _screened_case(journal: Journal) -> tuple[str, UUID, UUID]:
    handler = await journal.grant("saksbehandler", roles=["saksbehandler"])
    colleague = await journal.grant("kollega", roles=["saksbehandler"])
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    created = await journal.client.post("/saksmapper", headers=journal.person("arkivar"), json=case(
        tittel=f"Barnevern for {SECRET}", skjermedeOrd=[SECRET], skjerming=SKJERMING, saksansvarlig=str(handler)))
    assert created.status_code == 201, created.text
    return created.json()["systemID"], handler, colleague


async def test_the_saksansvarlig_creates_an_ad_hoc_group_that_opens_the_case_to_its_members(journal: Journal) -> None:
    saksmappe_id, handler, colleague = await _screened_case(journal)
    before = await journal.client.get(f"/saksmapper/{saksmappe_id}", headers=journal.person("kollega"))
    assert before.status_code == 200 and SECRET not in before.text

    response = await journal.client.post(f"/saksmapper/{saksmappe_id}/tilgangsgrupper",
                                         headers=journal.person("saksbehandler"), json={"medlemmer": [str(colleague)]})
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["saksmappe"] == saksmappe_id and answer["medlemmer"] == [str(colleague)]
    assert answer["status"] == "bestilt" and answer["gyldigFra"] == date.today().isoformat()
    [payload] = [json.loads(p) for p in await journal.outbox_payloads("tilgangsgruppe.requested.v1")]
    assert payload["group_id"] == answer["tilgangsgruppe"] and payload["saksmappe_id"] == saksmappe_id
    assert payload["requested_by"] == str(handler) and payload["member_person_ids"] == [str(colleague)]
    assert SECRET not in json.dumps(payload)
    log = await journal.client.get(f"/endringslogg/{saksmappe_id}", headers=journal.person("arkivar"))
    assert any(row.get("nyVerdi") == answer["tilgangsgruppe"] for row in log.json()), log.text

    # The access service creates the group and publishes it; the member now reads the case.
    await publish(journal, GroupChanged(group_id=UUID(answer["tilgangsgruppe"]), version=1, is_ad_hoc=True,
                                        saksmappe_id=UUID(saksmappe_id), member_person_ids=[colleague],
                                        valid_from=date(2020, 1, 1)))

    async def opened() -> bool:
        read = await journal.client.get(f"/saksmapper/{saksmappe_id}", headers=journal.person("kollega"))
        return read.status_code == 200 and SECRET in read.text

    await eventually(opened)


async def test_only_the_records_own_case_handler_creates_a_group_and_only_with_known_members(journal: Journal) -> None:
    saksmappe_id, handler, colleague = await _screened_case(journal)
    path = f"/saksmapper/{saksmappe_id}/tilgangsgrupper"
    not_own = await journal.client.post(path, headers=journal.person("kollega"), json={"medlemmer": [str(handler)]})
    assert not_own.status_code == 403, not_own.text
    assert "saksbehandler.ad-hoc-group.not-own" in not_own.text
    system = await journal.client.post(path, headers=journal.fagsystem(), json={"medlemmer": []})
    assert system.status_code == 403, system.text
    unknown = await journal.client.post(path, headers=journal.person("saksbehandler"), json={"medlemmer": [str(uuid4())]})
    assert unknown.status_code == 422, unknown.text
    reversed_dates = await journal.client.post(path, headers=journal.person("saksbehandler"), json={
        "medlemmer": [], "gyldigFra": "2026-12-10", "gyldigTil": "2026-12-01"})
    assert reversed_dates.status_code == 422, reversed_dates.text
    missing = await journal.client.post(f"/saksmapper/{uuid4()}/tilgangsgrupper", headers=journal.person("saksbehandler"),
                                        json={"medlemmer": []})
    assert missing.status_code == 404, missing.text
    assert await journal.outbox_payloads("tilgangsgruppe.requested.v1") == []


async def test_the_saksbehandler_of_a_journalpost_creates_a_group_on_it(journal: Journal) -> None:
    saksmappe_id, handler, colleague = await _screened_case(journal)
    registered = await journal.client.post(f"/saksmapper/{saksmappe_id}/journalposter", headers=journal.person("arkivar"),
                                           json=incoming(saksbehandler=str(colleague)))
    assert registered.status_code == 201, registered.text
    journalpost_id = registered.json()["systemID"]
    body: dict[str, Any] = {"medlemmer": [str(handler)], "gyldigTil": "2999-12-31"}
    response = await journal.client.post(f"/journalposter/{journalpost_id}/tilgangsgrupper",
                                         headers=journal.person("kollega"), json=body)
    assert response.status_code == 202, response.text
    assert response.json()["journalpost"] == journalpost_id and response.json()["saksmappe"] is None
    [payload] = [json.loads(p) for p in await journal.outbox_payloads("tilgangsgruppe.requested.v1")]
    assert payload["journalpost_id"] == journalpost_id and payload["saksmappe_id"] is None
    assert payload["requested_by"] == str(colleague) and payload["valid_to"] == "2999-12-31"
