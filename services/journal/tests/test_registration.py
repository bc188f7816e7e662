"""Saksmappe and journalpost registration over HTTP: numbers, korrespondanseparter, events, errors."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from arkiv5_journal.models import Journalpost, Korrespondansepart, Saksmappe
from arkiv5_kit.messaging import outbox_table

from .conftest import FNR, UNIT, Journal, case, incoming


async def _counts(journal: Journal) -> tuple[int, int, int, int]:
    async with journal.runtime.database.unit_of_work() as session:
        return (
            (await session.execute(select(func.count()).select_from(Saksmappe))).scalar_one(),
            (await session.execute(select(func.count()).select_from(Journalpost))).scalar_one(),
            (await session.execute(select(func.count()).select_from(Korrespondansepart))).scalar_one(),
            (await session.execute(select(func.count()).select_from(outbox_table))).scalar_one(),
        )


async def test_fagsystem_registers_a_case_and_incoming_post_with_parties(journal: Journal) -> None:
    headers = journal.fagsystem()
    created = await journal.client.post("/saksmapper", json=case(), headers=headers)
    assert created.status_code == 201, created.text
    saksmappe = created.json()
    assert saksmappe["saksstatus"] == {"kode": "B", "kodenavn": "Under behandling"}
    assert saksmappe["mappeID"] == f"{saksmappe['saksaar']}/1"
    assert created.headers["location"] == f"/saksmapper/{saksmappe['systemID']}"

    first = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", json=incoming(),
                                      headers=headers)
    assert first.status_code == 201, first.text
    jp = first.json()
    assert (jp["journalpostnummer"], jp["journalsekvensnummer"]) == (1, 1)
    assert jp["journalstatus"]["kode"] == "J"
    assert jp["mottattDato"] == "2026-11-20"
    assert [p["korrespondanseparttype"]["kode"] for p in jp["korrespondansepart"]] == ["EA", "EK"]
    assert jp["korrespondansepart"][0]["foedselsnummer"] == FNR
    assert jp["korrespondansepart"][1]["organisasjonsnummer"] == "974760673"

    second = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                       json=incoming(journalposttype="N", tittel="Notat", mottattDato=None),
                                       headers=headers)
    assert second.status_code == 201, second.text
    assert (second.json()["journalpostnummer"], second.json()["journalsekvensnummer"]) == (2, 2)
    assert second.json()["journalstatus"]["kode"] == "R"

    got = await journal.client.get(f"/journalposter/{jp['systemID']}", headers=headers)
    assert got.status_code == 200 and got.json()["tittel"] == "Søknad om økonomisk sosialhjelp"

    types = await journal.outbox_types()
    assert types == ["no.arkiv5.journal.saksmappe.opened.v1", "no.arkiv5.journal.journalpost.registered.v1",
                     "no.arkiv5.journal.journalpost.registered.v1"]
    # Events carry ids and codes only.
    for payload in await journal.outbox_payloads("registered.v1"):
        assert FNR not in payload and "Kari" not in payload and "sosialhjelp" not in payload
    event = json.loads((await journal.outbox_payloads("registered.v1"))[0])
    assert event["journalpostnummer"] == 1 and event["journalposttype"] == "I"


async def test_every_endpoint_needs_a_token(journal: Journal) -> None:
    assert (await journal.client.post("/saksmapper", json=case())).status_code == 401
    assert (await journal.client.get("/journalposter")).status_code == 401
    read_only = journal.fagsystem(scopes=["journal.read"])
    refused = await journal.client.post("/saksmapper", json=case(), headers=read_only)
    assert refused.status_code == 403 and "journal.write" in refused.json()["detail"]
    assert await _counts(journal) == (0, 0, 0, 0)


async def test_bad_input_is_refused_with_problem_json_and_nothing_written(journal: Journal) -> None:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    before = await _counts(journal)
    url = f"/saksmapper/{saksmappe['systemID']}/journalposter"

    bad_fnr = incoming()
    bad_fnr["korrespondansepart"][0]["foedselsnummer"] = "01010012357"
    response = await journal.client.post(url, json=bad_fnr, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["code"] == "fodselsnummer_checksum"
    assert "01010012357" not in response.text

    unknown_code = await journal.client.post(url, json=incoming(journalposttype="Q"), headers=headers)
    assert unknown_code.status_code == 422
    assert "journalposttype" in unknown_code.json()["detail"] and "valid codes" in unknown_code.json()["detail"]

    missing_title = incoming()
    del missing_title["tittel"]
    missing = await journal.client.post(url, json=missing_title, headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.tittel"

    no_received_date = await journal.client.post(url, json=incoming(mottattDato=None), headers=headers)
    assert no_received_date.status_code == 422 and "mottattDato" in no_received_date.json()["detail"]

    wrong_status = await journal.client.post(url, json=incoming(journalstatus="E"), headers=headers)
    assert wrong_status.status_code == 409
    assert wrong_status.json()["allowed"] == ["J", "M", "S"]

    unknown_case = await journal.client.post(
        "/saksmapper/00000000-0000-4000-8000-00000000dead/journalposter", json=incoming(), headers=headers)
    assert unknown_case.status_code == 404

    unknown_klasse = await journal.client.post("/saksmapper", json=case(klasse="Z99"), headers=headers)
    assert unknown_klasse.status_code == 422 and unknown_klasse.json()["type"].endswith("unknown-code")
    # A person's number typed into the klasse field is not echoed: the error names the field and the rule.
    typed_wrong = await journal.client.post("/saksmapper", json=case(klasse="01017012345"), headers=headers)
    assert typed_wrong.status_code == 422 and "body.klasse" in typed_wrong.text
    assert "01017012345" not in typed_wrong.text

    assert await _counts(journal) == before


async def test_case_is_classified_by_klasse_and_client_case_is_screened(journal: Journal) -> None:
    headers = journal.fagsystem()
    klasse = await journal.client.post("/klasser", json={"klasseID": "F47", "tittel": "Flyktninger"}, headers=headers)
    assert klasse.status_code == 201
    normal = await journal.client.post("/saksmapper", json=case(klasse="F47"), headers=headers)
    assert normal.status_code == 201 and normal.json()["klasse"] == "F47"

    # A system client without clearance may not create a screened client case.
    client_case = case(tittel="Kari Nordmann - oppfølging", klient={"partNavn": "Kari Nordmann", "foedselsnummer": FNR})
    refused = await journal.client.post("/saksmapper", json=client_case, headers=headers)
    assert refused.status_code == 403

    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["KL"])
    created = await journal.client.post("/saksmapper", json=client_case, headers=journal.person("arkivar"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["skjerming"]["tilgangsrestriksjon"]["kode"] == "KL"
    assert body["offentligTittel"] == "***** - oppfølging"
    assert body["sekundaerklassifikasjon"] == FNR
    assert body["mappeID"].endswith("/2")

    # A reader without clearance sees the case with the screened fields replaced.
    await journal.grant("leser", roles=["lesetilgang"])
    seen = await journal.client.get(f"/saksmapper/{body['systemID']}", headers=journal.person("leser"))
    assert seen.status_code == 200
    assert "Kari" not in seen.text and FNR not in seen.text
    assert seen.json()["erSkjermetForDeg"] is True


async def test_person_without_rights_is_refused(journal: Journal) -> None:
    journal.persons["ukjent"] = UNIT  # any id without rights in the read model
    response = await journal.client.post("/saksmapper", json=case(), headers=journal.person("ukjent"))
    assert response.status_code == 403
    assert await _counts(journal) == (0, 0, 0, 0)
