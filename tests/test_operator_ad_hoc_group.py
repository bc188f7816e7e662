"""Across the suite: a case handler's ad hoc group goes journal → access → journal (issue 12,
item 8). He creates it on his own screened case in the journal; access creates it from the
journal's event; its member then reads the screened case, and the creator changes members
in access."""

from __future__ import annotations

from typing import Any

from suite_harness import Suite, eventually, suite

__all__ = ["suite"]  # the fixture, imported for pytest

SECRET = "Ola Adhoc"
SKJERMING = {"tilgangsrestriksjon": "KL", "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13",
             "skjermingMetadata": ["TMO"]}


async def test_an_ad_hoc_group_created_in_the_journal_opens_the_case_to_its_member(suite: Suite) -> None:
    handler = await suite.person_token("saksbehandler")
    reader = await suite.person_token("lesetilgang")
    handler_id, reader_id = suite.person_ids["saksbehandler"], suite.person_ids["lesetilgang"]
    created = await suite.journal("POST", "/saksmapper", handler, json={
        "tittel": f"Barnevern for {SECRET}", "skjermedeOrd": [SECRET], "skjerming": SKJERMING,
        "administrativEnhet": suite.units["HO-BV"], "saksansvarlig": handler_id})
    assert created.status_code == 201, created.text
    saksmappe_id = created.json()["systemID"]
    before = await suite.journal("GET", f"/saksmapper/{saksmappe_id}", reader)
    assert before.status_code == 200 and SECRET not in before.text

    requested = await suite.journal("POST", f"/saksmapper/{saksmappe_id}/tilgangsgrupper", handler,
                                    json={"medlemmer": [reader_id]})
    assert requested.status_code == 202, requested.text
    group_id = requested.json()["tilgangsgruppe"]

    async def opened() -> bool:
        read = await suite.journal("GET", f"/saksmapper/{saksmappe_id}", reader)
        return read.status_code == 200 and SECRET in read.text

    await eventually(opened, what="the member reads the screened case")

    # In access the group is the case handler's: he ends the membership, and the case closes again.
    handler_for_access = await suite.person_token("saksbehandler", audience="access")
    members = await suite.call("GET", f"/access/groups/{group_id}/members", handler_for_access)
    assert members.status_code == 200, members.text
    assert {m["person_id"] for m in members.json()} == {reader_id}
    ended = await suite.call("POST", f"/access/groups/{group_id}/members/{reader_id}/end", handler_for_access, json={})
    assert ended.status_code == 200, ended.text

    async def closed() -> Any:
        read = await suite.journal("GET", f"/saksmapper/{saksmappe_id}", reader)
        return read.status_code == 200 and SECRET not in read.text

    await eventually(closed, what="the ended member no longer reads the screened case")
