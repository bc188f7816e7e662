"""The Noark 5 admin package: administrativenhet and bruker as read views of the rights read
model, reached from the root by following links; persons only for the archive's administrators.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from .conftest import OTHER_UNIT, UNIT, Journal

ROOT = "/noark5/api/"
REL = "https://rel.arkivverket.no/noark5/v5/api/"
ACCEPT = {"Accept": "application/vnd.noark5+json"}
THIRD_UNIT = UUID("00000000-0000-4000-8000-000000000003")


def rel(name: str) -> str:
    return f"{REL}{name}/"


async def _get(journal: Journal, href: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await journal.client.get(href, headers={**ACCEPT, **headers})
    assert response.status_code == status, response.text
    return response.json()


async def _admin_package(journal: Journal, headers: dict[str, str]) -> dict[str, Any]:
    root = await _get(journal, ROOT, headers)
    return dict((await _get(journal, root["_links"][rel("admin")]["href"], headers))["_links"])


def _list(links: dict[str, Any], name: str) -> str:
    assert links[rel(name)].get("templated") is True
    return str(links[rel(name)]["href"]).split("{")[0]


async def _people(journal: Journal) -> dict[str, UUID]:
    return {
        "arkivleder": await journal.grant("arkivleder", roles=["arkivleder"]),
        "leder": await journal.grant("leder", roles=["leder"], unit=OTHER_UNIT, led=[OTHER_UNIT, THIRD_UNIT]),
        "saksbehandler": await journal.grant("saksbehandler", roles=["saksbehandler"]),
    }


async def test_an_administrator_follows_links_to_every_unit_and_person_the_journal_knows(journal: Journal) -> None:
    people = await _people(journal)
    headers = journal.person("arkivleder")  # journal.read, journal.write, journal.admin
    links = await _admin_package(journal, headers)
    assert rel("admin/system") in links

    units = await _get(journal, _list(links, "admin/administrativenhet"), headers)
    assert [u["systemID"] for u in units["results"]] == sorted(str(u) for u in (UNIT, OTHER_UNIT, THIRD_UNIT))
    assert units["count"] == 3 and "next" not in units["_links"]
    for unit in units["results"]:
        assert unit["_links"]["self"] == unit["_links"][rel("admin/administrativenhet")]
        assert await _get(journal, unit["_links"]["self"]["href"], headers) == unit

    persons = await _get(journal, _list(links, "admin/bruker"), headers)
    assert sorted(p["systemID"] for p in persons["results"]) == sorted(str(p) for p in people.values())
    leder = next(p for p in persons["results"] if p["systemID"] == str(people["leder"]))
    assert leder["brukerNavn"] == str(people["leder"])
    assert await _get(journal, leder["_links"]["self"]["href"], headers) == leder
    own_unit = await _get(journal, leder["_links"][rel("admin/administrativenhet")]["href"], headers)
    assert own_unit["systemID"] == str(OTHER_UNIT)


async def test_the_lists_page_with_top_skip_and_next(journal: Journal) -> None:
    people = await _people(journal)
    headers = journal.person("arkivleder")
    links = await _admin_package(journal, headers)
    for name, expected in (("admin/administrativenhet", 3), ("admin/bruker", len(people))):
        seen: list[str] = []
        href: str | None = _list(links, name) + "?$top=2"
        while href is not None:
            page = await _get(journal, href, headers)
            assert page["count"] <= 2
            seen += [r["systemID"] for r in page["results"]]
            href = page["_links"].get("next", {}).get("href")
        assert len(seen) == expected and len(set(seen)) == expected, name
        skipped = await _get(journal, _list(links, name) + "?$skip=1&$top=100", headers)
        assert [r["systemID"] for r in skipped["results"]] == seen[1:]
        too_many = await _get(journal, _list(links, name) + "?$top=101", headers, status=400)
        assert "100" in too_many["feil"]["beskrivelse"]
        await _get(journal, _list(links, name) + "?$filter=systemID eq 'x'", headers, status=400)


async def test_a_reader_sees_the_units_but_no_person(journal: Journal) -> None:
    people = await _people(journal)
    reader = journal.person("saksbehandler", scopes=["journal.read", "journal.write"])
    links = await _admin_package(journal, reader)
    assert rel("admin/bruker") not in links
    units = await _get(journal, _list(links, "admin/administrativenhet"), reader)
    assert units["count"] == 3
    assert all(set(u["_links"]) == {"self", rel("admin/administrativenhet")} for u in units["results"])

    admin_links = await _admin_package(journal, journal.person("arkivleder"))
    refused = await _get(journal, _list(admin_links, "admin/bruker"), reader, status=403)
    assert refused["feil"]["kode"] == 403
    one = _list(admin_links, "admin/bruker") + f"{people['arkivleder']}/"
    await _get(journal, one, reader, status=403)
    # Refused alike whether or not the person exists: the answer tells nothing about who is known.
    unknown = await journal.client.get(_list(admin_links, "admin/bruker") + f"{THIRD_UNIT}/",
                                       headers={**ACCEPT, **reader})
    assert unknown.status_code == 403
    await _get(journal, ROOT + "admin/bruker/", {}, status=401)


async def test_an_unknown_unit_or_person_is_a_404(journal: Journal) -> None:
    await _people(journal)
    headers = journal.person("arkivleder")
    links = await _admin_package(journal, headers)
    missing = UUID("00000000-0000-4000-8000-0000000000ff")
    for name in ("admin/administrativenhet", "admin/bruker"):
        answer = await _get(journal, _list(links, name) + f"{missing}/", headers, status=404)
        assert answer["feil"]["kode"] == 404
