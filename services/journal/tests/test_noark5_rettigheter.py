"""The admin package's `rettighet` and `tilgang`: read views of the rights read model for the
archive's administrators, reached from the root by links, paged; a 403 for everyone else.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import GroupChanged
from arkiv5_journal.authz import access

from .conftest import OTHER_UNIT, UNIT, Journal
from .test_noark5_admin import ACCEPT, _admin_package, _get, _list, rel


async def _group(journal: Journal, members: list[UUID], **fields: Any) -> UUID:
    group_id = uuid4()
    event = GroupChanged(group_id=group_id, version=1, member_person_ids=members, valid_from=date(2020, 1, 1),
                         **fields)
    async with journal.runtime.database.unit_of_work() as session:
        await access.on_group_changed(session, Envelope.wrap(event))
    return group_id


async def test_an_administrator_reads_every_persons_rights_and_every_access_group(journal: Journal) -> None:
    arkivleder = await journal.grant("arkivleder", roles=["arkivleder"])
    leder = await journal.grant("leder", roles=["leder"], unit=OTHER_UNIT, led=[OTHER_UNIT], codes=["6", "13"])
    case_id = uuid4()
    groups = {await _group(journal, [leder]), await _group(journal, [leder, arkivleder], is_ad_hoc=True,
                                                            saksmappe_id=case_id, valid_to=date(2040, 1, 1))}
    headers = journal.person("arkivleder")
    links = await _admin_package(journal, headers)

    rights = await _get(journal, _list(links, "admin/rettighet"), headers)
    assert sorted(r["systemID"] for r in rights["results"]) == sorted(str(p) for p in (arkivleder, leder))
    of_leder = next(r for r in rights["results"] if r["systemID"] == str(leder))
    assert of_leder["rolle"] == ["leder"] and sorted(of_leder["tilgangsrestriksjon"]) == ["13", "6"]
    assert of_leder["referanseAdministrativEnhet"] == str(OTHER_UNIT)
    assert of_leder["ledetAdministrativEnhet"] == [str(OTHER_UNIT)] and of_leder["gyldigFra"] == "2020-01-01"
    assert await _get(journal, of_leder["_links"]["self"]["href"], headers) == of_leder
    bruker = await _get(journal, of_leder["_links"][rel("admin/bruker")]["href"], headers)
    assert bruker["systemID"] == str(leder)
    assert bruker["_links"][rel("admin/rettighet")]["href"] == of_leder["_links"]["self"]["href"]

    access_groups = await _get(journal, _list(links, "admin/tilgang"), headers)
    assert {UUID(t["systemID"]) for t in access_groups["results"]} == groups
    ad_hoc = next(t for t in access_groups["results"] if t["rolle"] == "ad hoc-tilgangsgruppe")
    assert ad_hoc["referanseArkivenhet"] == str(case_id) and ad_hoc["gyldigTil"] == "2040-01-01"
    assert (ad_hoc["les"], ad_hoc["ny"], ad_hoc["endre"], ad_hoc["slett"]) == (True, False, False, False)
    assert sorted(ad_hoc["medlem"]) == sorted(str(p) for p in (leder, arkivleder))
    assert ad_hoc["_links"][rel("sakarkiv/saksmappe")]["href"].endswith(f"sakarkiv/saksmappe/{case_id}/")
    assert await _get(journal, ad_hoc["_links"]["self"]["href"], headers) == ad_hoc


async def test_the_lists_page_and_an_unknown_id_is_a_404(journal: Journal) -> None:
    people = [await journal.grant(f"p{n}", roles=["saksbehandler"]) for n in range(3)]
    await journal.grant("arkivleder", roles=["arkivleder"])
    for member in people:
        await _group(journal, [member])
    headers = journal.person("arkivleder")
    links = await _admin_package(journal, headers)
    for name, expected in (("admin/rettighet", 4), ("admin/tilgang", 3)):
        seen: list[str] = []
        href: str | None = _list(links, name) + "?$top=2"
        while href is not None:
            page = await _get(journal, href, headers)
            assert page["count"] <= 2
            seen += [r["systemID"] for r in page["results"]]
            href = page["_links"].get("next", {}).get("href")
        assert len(seen) == expected == len(set(seen)), name
        await _get(journal, _list(links, name) + "?$top=101", headers, status=400)
        missing = await _get(journal, _list(links, name) + f"{UNIT}/", headers, status=404)
        assert missing["feil"]["kode"] == 404


async def test_others_see_no_link_and_are_refused(journal: Journal) -> None:
    person = await journal.grant("saksbehandler", roles=["saksbehandler"], codes=["6"])
    group = await _group(journal, [person])
    await journal.grant("arkivleder", roles=["arkivleder"])
    reader = journal.person("saksbehandler", scopes=["journal.read", "journal.write"])
    links = await _admin_package(journal, reader)
    assert rel("admin/rettighet") not in links and rel("admin/tilgang") not in links
    admin_links = await _admin_package(journal, journal.person("arkivleder"))
    for name, one in (("admin/rettighet", person), ("admin/tilgang", group), ("admin/tilgang", uuid4())):
        for href in (_list(admin_links, name), _list(admin_links, name) + f"{one}/"):
            refused = await journal.client.get(href, headers={**ACCEPT, **reader})
            # Refused alike whether or not the id is known: the answer tells nothing about who is.
            assert refused.status_code == 403 and refused.json()["feil"]["kode"] == 403
    assert (await journal.client.get(_list(admin_links, "admin/tilgang"), headers=ACCEPT)).status_code == 401
