"""Remarks (merknad) on a saksmappe and on a journalpost: policy-checked, logged, never in events."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select

from arkiv5_journal.models import Endringslogg, Merknad
from arkiv5_kit.messaging import outbox_table

from .conftest import Journal, case, incoming

TEXT = "Kari Nordmann ringte 21.11 og ba om rask behandling"


async def _case(journal: Journal, **overrides: Any) -> tuple[str, str, dict[str, str]]:
    """A case with the handler as saksansvarlig and one journalpost in it."""
    handler_id = await journal.grant("saksbehandler", roles=["saksbehandler"])
    handler = journal.person("saksbehandler")
    saksmappe = await journal.client.post("/saksmapper", json=case(saksansvarlig=str(handler_id), **overrides),
                                          headers=handler)
    assert saksmappe.status_code == 201, saksmappe.text
    jp = await journal.client.post(f"/saksmapper/{saksmappe.json()['systemID']}/journalposter",
                                   json=incoming(saksbehandler=str(handler_id)), headers=handler)
    assert jp.status_code == 201, jp.text
    return saksmappe.json()["systemID"], jp.json()["systemID"], handler


async def _rows(journal: Journal) -> tuple[int, int, int]:
    async with journal.runtime.database.unit_of_work() as session:
        counts = [(await session.execute(select(func.count()).select_from(t))).scalar_one()
                  for t in (Merknad.__table__, Endringslogg.__table__, outbox_table)]  # type: ignore[attr-defined]
    return counts[0], counts[1], counts[2]


async def _outbox_text(journal: Journal) -> str:
    async with journal.runtime.database.unit_of_work() as session:
        return " ".join(str(p) for p in (await session.execute(select(outbox_table.c.payload))).scalars())


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(slug), response.json()
    assert TEXT not in response.text
    return response.json()


async def _remarks_on_case_and_journalpost(journal: Journal) -> None:
    saksmappe, jp, handler = await _case(journal)
    outbox_before = await journal.outbox_types()

    created = await journal.client.post(f"/saksmapper/{saksmappe}/merknader", headers=handler,
                                        json={"merknadstekst": TEXT, "merknadstype": "intern"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["merknadstekst"] == TEXT and body["merknadstype"] == "intern"
    assert body["merknadRegistrertAv"] == str(journal.persons["saksbehandler"])
    assert created.headers["Location"] == f"/saksmapper/{saksmappe}/merknader"
    on_jp = await journal.client.post(f"/journalposter/{jp}/merknader", headers=handler,
                                      json={"merknadstekst": "Purret per telefon"})
    assert on_jp.status_code == 201, on_jp.text

    # Each record lists its own remarks only; the case's read view carries them too.
    listed = await journal.client.get(f"/saksmapper/{saksmappe}/merknader", headers=handler)
    assert [m["systemID"] for m in listed.json()] == [body["systemID"]]
    assert [m["merknadstekst"] for m in (await journal.client.get(f"/saksmapper/{saksmappe}",
                                                                   headers=handler)).json()["merknad"]] == [TEXT]
    jp_listed = (await journal.client.get(f"/journalposter/{jp}/merknader", headers=handler)).json()
    assert [m["merknadstekst"] for m in jp_listed] == ["Purret per telefon"]
    assert [m["merknadstekst"] for m in (await journal.client.get(f"/journalposter/{jp}",
                                                                   headers=handler)).json()["merknad"]] == [
        "Purret per telefon"]

    # Logged in the change log; no event (and no text in any event).
    async with journal.runtime.database.unit_of_work() as session:
        log = {r.referanse_metadata: (r.arkivenhet_type, r.ny_verdi) for r in (await session.execute(
            select(Endringslogg).where(Endringslogg.referanse_arkivenhet == UUID(body["systemID"])))).scalars()}
    assert log["merknadstekst"] == ("merknad", TEXT) and log["saksmappe"] == ("merknad", saksmappe)
    assert await journal.outbox_types() == outbox_before
    assert "Kari" not in await _outbox_text(journal)


async def test_remark_on_a_case_is_added_listed_and_logged(journal: Journal) -> None:
    await _remarks_on_case_and_journalpost(journal)



async def test_refused_remarks_are_precise_and_write_nothing(journal: Journal) -> None:
    saksmappe, _jp, handler = await _case(journal)
    await journal.grant("kollega", roles=["saksbehandler"])
    before = await _rows(journal)
    path = f"/saksmapper/{saksmappe}/merknader"

    _problem(await journal.client.post(f"/saksmapper/{uuid4()}/merknader", headers=handler,
                                       json={"merknadstekst": TEXT}), 404, "not-found")
    refused = _problem(await journal.client.post(path, headers=journal.person("kollega"),
                                                 json={"merknadstekst": TEXT}), 403, "forbidden")
    assert refused["rule"] == "saksbehandler.write.not-responsible"
    _problem(await journal.client.post(path, headers=journal.person("saksbehandler", scopes=["journal.read"]),
                                       json={"merknadstekst": TEXT}), 403, "forbidden")
    _problem(await journal.client.post(path, headers=handler, json={"merknadstekst": ""}), 422, "validation-error")
    _problem(await journal.client.post(path, headers=handler, json={"merknadstekst": TEXT, "saksmappe": saksmappe}),
             422, "validation-error")
    _problem(await journal.client.post(path, headers=handler, json={"merknadstekst": TEXT,
                                                                    "merknadstype": "x" * 256}), 422, "validation-error")
    assert await _rows(journal) == before


async def test_no_remark_on_a_closed_case(journal: Journal) -> None:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()["systemID"]
    closed = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", headers=headers)
    assert closed.status_code == 200, closed.text
    before = await _rows(journal)
    refused = await journal.client.post(f"/saksmapper/{saksmappe}/merknader", headers=headers,
                                        json={"merknadstekst": TEXT})
    _problem(refused, 403, "forbidden")
    assert await _rows(journal) == before


async def test_screened_remark_text_is_masked_for_a_reader_without_clearance(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["P"])
    archive = journal.person("arkivar")
    skjerming = {"tilgangsrestriksjon": "P", "skjermingshjemmel": "Offl. § 13",
                 "skjermingMetadata": ["MT"]}
    saksmappe = await journal.client.post("/saksmapper", json=case(skjerming=skjerming), headers=archive)
    assert saksmappe.status_code == 201, saksmappe.text
    system_id = saksmappe.json()["systemID"]
    added = await journal.client.post(f"/saksmapper/{system_id}/merknader", headers=archive,
                                      json={"merknadstekst": TEXT})
    assert added.status_code == 201, added.text

    await journal.grant("leser", roles=["lesetilgang"])
    reader = journal.person("leser")
    listed = await journal.client.get(f"/saksmapper/{system_id}/merknader", headers=reader)
    assert listed.status_code == 200, listed.text
    assert [m["merknadstekst"] for m in listed.json()] == ["*****"]
    view = await journal.client.get(f"/saksmapper/{system_id}", headers=reader)
    assert [m["merknadstekst"] for m in view.json()["merknad"]] == ["*****"] and "Kari" not in view.text
    cleared = await journal.client.get(f"/saksmapper/{system_id}/merknader", headers=archive)
    assert [m["merknadstekst"] for m in cleared.json()] == [TEXT]
