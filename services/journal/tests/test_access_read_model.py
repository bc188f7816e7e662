"""The rights read model is fed by the access service's events over the bus."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from arkiv5_contracts.events.access import AccountDisabled, RightsChanged

from .conftest import UNIT, Journal, case, eventually, publish


async def test_rights_arrive_by_event_and_a_disabled_account_can_do_nothing(journal: Journal) -> None:
    person = uuid4()
    journal.persons["ny"] = person
    headers = journal.person("ny")
    assert (await journal.client.post("/saksmapper", json=case(), headers=headers)).status_code == 403

    await publish(journal, RightsChanged(person_id=person, version=1, valid_from=date(2020, 1, 1),
                                         roles=["arkivtjeneste"], unit_id=UNIT))

    async def allowed() -> bool:
        return (await journal.client.post("/saksmapper", json=case(), headers=headers)).status_code == 201

    await eventually(allowed)
    # An older snapshot arriving late changes nothing.
    await publish(journal, RightsChanged(person_id=person, version=1, valid_from=date(2020, 1, 1),
                                         roles=["lesetilgang"], unit_id=UNIT))
    await publish(journal, AccountDisabled(person_id=person, account_id=uuid4(), disabled_from=date(2020, 1, 1)))

    async def refused() -> bool:
        # A disabled account's token is refused like any invalid token (401), not as a missing right.
        return (await journal.client.post("/saksmapper", json=case(), headers=headers)).status_code == 401

    await eventually(refused)
