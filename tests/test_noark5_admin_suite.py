"""The Noark 5 admin package across the access service and the journal as `make run` wires
them: the units and persons the access service publishes are the journal's administrativenhet
and bruker views, and only the archive leader (the journal.admin scope) sees the persons."""

from __future__ import annotations

from typing import Any

from suite_harness import Suite, eventually, suite

__all__ = ["suite"]  # the fixture, imported for pytest

REL = "https://rel.arkivverket.no/noark5/v5/api/"
NOARK5 = {"Accept": "application/vnd.noark5+json"}


async def _get(suite: Suite, href: str, token: str) -> Any:
    return await suite.http.get(href.split("{")[0], headers={**NOARK5, "Authorization": f"Bearer {token}"})


async def test_the_access_services_units_and_persons_are_the_admin_packages_read_views(suite: Suite) -> None:
    arkivleder = await suite.person_token("arkivleder")
    saksbehandler = await suite.person_token("saksbehandler")
    root = (await _get(suite, suite.url("journal", "/noark5/api/"), arkivleder)).json()
    admin = (await _get(suite, root["_links"][REL + "admin/"]["href"], arkivleder)).json()["_links"]

    async def persons() -> set[str]:
        answer = await _get(suite, admin[REL + "admin/bruker/"]["href"], arkivleder)
        assert answer.status_code == 200, answer.text
        return {p["systemID"] for p in answer.json()["results"]}

    async def knows_both() -> bool:
        return {suite.person_ids["arkivleder"], suite.person_ids["saksbehandler"]} <= await persons()

    await eventually(knows_both, what="the journal's rights read model holds the demo persons")
    units = await _get(suite, admin[REL + "admin/administrativenhet/"]["href"], arkivleder)
    assert suite.units["HO-BV"] in {u["systemID"] for u in units.json()["results"]}

    # A saksbehandler (no journal.admin) is not shown the persons and is refused them.
    theirs = (await _get(suite, root["_links"][REL + "admin/"]["href"], saksbehandler)).json()["_links"]
    assert REL + "admin/bruker/" not in theirs and REL + "admin/administrativenhet/" in theirs
    refused = await _get(suite, admin[REL + "admin/bruker/"]["href"], saksbehandler)
    assert refused.status_code == 403 and refused.json()["feil"]["kode"] == 403
