"""Corrections (retting) of registered saksmapper and journalposter: merge-patch with If-Match."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .conftest import Journal, case, incoming

PATCH = {"Content-Type": "application/merge-patch+json"}


async def _registered(journal: Journal) -> tuple[str, str, dict[str, str]]:
    handler_id = await journal.grant("saksbehandler", roles=["saksbehandler"])
    handler = journal.person("saksbehandler")
    saksmappe = (await journal.client.post("/saksmapper", json=case(saksansvarlig=str(handler_id)),
                                           headers=handler)).json()
    response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                         json=incoming(saksbehandler=str(handler_id)), headers=handler)
    assert response.status_code == 201, response.text
    return saksmappe["systemID"], response.json()["systemID"], handler


async def _etag(journal: Journal, path: str, headers: dict[str, str]) -> str:
    response = await journal.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def _log(journal: Journal, system_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await journal.client.get(f"/endringslogg/{system_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _fields(log: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {row["referanseMetadata"]: (row["tidligereVerdi"], row["nyVerdi"]) for row in log
            if row["tidligereVerdi"] is not None}


async def _corrects_journalpost_with_etag(journal: Journal) -> None:
    _case, jp, handler = await _registered(journal)
    tag = await _etag(journal, f"/journalposter/{jp}", handler)
    response = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                          json={"tittel": "Melding om bostøtte", "forfallsdato": "2026-12-01"})
    assert response.status_code == 200, response.text
    assert response.json()["tittel"] == "Melding om bostøtte"
    assert response.json()["forfallsdato"] == "2026-12-01"
    assert response.headers["ETag"] != tag
    changes = _fields(await _log(journal, jp, handler))
    assert changes["tittel"] == ("Søknad om økonomisk sosialhjelp", "Melding om bostøtte")
    assert changes["offentligTittel"] == ("Søknad om økonomisk sosialhjelp", "Melding om bostøtte")
    search = await journal.client.get("/sok", params={"q": "bostøtte"}, headers=handler)
    assert [r["systemID"] for r in search.json()["results"]] == [jp]
    assert (await journal.client.get("/sok", params={"q": "søknad"}, headers=handler)).json()["count"] == 0
    # One event through the outbox: the changed fields' names, who and when; never the values.
    [raw] = await journal.outbox_payloads("journalpost.corrected.v1")
    event = json.loads(raw)
    assert event["journalpost_id"] == jp and event["saksmappe_id"] == _case
    assert event["changed_fields"] == ["forfallsdato", "offentligTittel", "tittel"]
    assert event["endret_av"] == str(journal.persons["saksbehandler"])
    assert datetime.fromisoformat(event["endret_dato"]).tzinfo is not None
    assert "bostøtte" not in raw and "sosialhjelp" not in raw.lower() and "2026-12-01" not in raw


async def test_correction_with_the_right_etag_changes_fields_and_logs_old_and_new(journal: Journal) -> None:
    await _corrects_journalpost_with_etag(journal)


async def test_a_registration_logs_each_field_with_a_value_by_its_noark_name(journal: Journal) -> None:
    _case, jp, handler = await _registered(journal)
    created = {row["referanseMetadata"]: row["nyVerdi"] for row in await _log(journal, jp, handler)
               if row["tidligereVerdi"] is None}
    assert created["tittel"] == "Søknad om økonomisk sosialhjelp"
    assert created["journalposttype"] == "I" and created["mottattDato"] == "2026-11-20"
    assert created["saksbehandler"] == str(journal.persons["saksbehandler"])
    assert "saksmappe" in created and "administrativEnhet" in created
    # Never the record's own id or its creation stamp, and no field without a value.
    assert not {"system", "opprettetDato", "opprettetAv", "sendtDato"} & set(created)
    assert None not in created.values()



async def test_stale_etag_is_412_and_writes_nothing(journal: Journal) -> None:
    _case, jp, handler = await _registered(journal)
    tag = await _etag(journal, f"/journalposter/{jp}", handler)
    first = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                       json={"tittel": "Første retting"})
    assert first.status_code == 200, first.text
    log_before = await _log(journal, jp, handler)
    stale = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                       json={"tittel": "Andre retting"})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await journal.client.get(f"/journalposter/{jp}", headers=handler)).json()["tittel"] == "Første retting"
    assert await _log(journal, jp, handler) == log_before


async def test_without_if_match_is_428(journal: Journal) -> None:
    saksmappe, jp, handler = await _registered(journal)
    for path in (f"/journalposter/{jp}", f"/saksmapper/{saksmappe}"):
        response = await journal.client.patch(path, headers={**handler, **PATCH}, json={"tittel": "Ny"})
        assert response.status_code == 428
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_handler_may_not_correct_a_colleagues_journalpost_but_the_archive_may(journal: Journal) -> None:
    _case, jp, _handler = await _registered(journal)
    await journal.grant("kollega", roles=["saksbehandler"])
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    colleague, archive = journal.person("kollega"), journal.person("arkivar")
    tag = await _etag(journal, f"/journalposter/{jp}", colleague)
    refused = await journal.client.patch(f"/journalposter/{jp}", headers={**colleague, **PATCH, "If-Match": tag},
                                         json={"tittel": "Kollegaens retting"})
    assert refused.status_code == 403
    assert refused.json()["rule"] == "saksbehandler.write.not-responsible"
    allowed = await journal.client.patch(f"/journalposter/{jp}", headers={**archive, "If-Match": tag},
                                         json={"tittel": "Arkivets retting"})
    assert allowed.status_code == 200, allowed.text
    log = [r for r in await _log(journal, jp, archive) if r["referanseMetadata"] == "tittel"]
    assert log[-1]["nyVerdi"] == "Arkivets retting"
    assert log[-1]["endretAv"] == str(journal.persons["arkivar"])


async def test_numbers_journaldato_and_type_are_immutable(journal: Journal) -> None:
    _case, jp, handler = await _registered(journal)
    tag = await _etag(journal, f"/journalposter/{jp}", handler)
    for field, value in (("journalpostnummer", 7), ("journalsekvensnummer", 99), ("journaldato", "2026-01-01"),
                         ("journalposttype", "U")):
        response = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                              json={"tittel": "Ny", field: value})
        assert response.status_code == 422
        assert response.json()["field"] == field
    assert (await _etag(journal, f"/journalposter/{jp}", handler)) == tag


async def test_public_title_follows_the_title(journal: Journal) -> None:
    saksmappe, _jp, handler = await _registered(journal)
    tag = await _etag(journal, f"/saksmapper/{saksmappe}", handler)
    response = await journal.client.patch(
        f"/saksmapper/{saksmappe}", headers={**handler, "Content-Type": "application/json", "If-Match": tag},
        json={"tittel": "Sosialhjelp til Ola Nordmann", "skjermedeOrd": ["Ola Nordmann"]})
    assert response.status_code == 200, response.text
    assert response.json()["offentligTittel"] == "Sosialhjelp til *****"
    changes = _fields(await _log(journal, saksmappe, handler))
    assert changes["offentligTittel"] == ("Økonomisk sosialhjelp 2026", "Sosialhjelp til *****")
    # The public title now hides words: a new title without them is refused, and nothing changes.
    tag = response.headers["ETag"]
    refused = await journal.client.patch(f"/saksmapper/{saksmappe}", headers={**handler, **PATCH, "If-Match": tag},
                                         json={"tittel": "Sosialhjelp til Ola Nordmann, 2027"})
    assert refused.status_code == 422
    assert (await _etag(journal, f"/saksmapper/{saksmappe}", handler)) == tag


async def test_saksmappe_correction_publishes_the_changed_field_names_only(journal: Journal) -> None:
    saksmappe, _jp, handler = await _registered(journal)
    other = await journal.grant("kollega", roles=["saksbehandler"])
    tag = await _etag(journal, f"/saksmapper/{saksmappe}", handler)
    response = await journal.client.patch(
        f"/saksmapper/{saksmappe}", headers={**handler, **PATCH, "If-Match": tag},
        json={"tittel": "Sosialhjelp til Ola Nordmann", "skjermedeOrd": ["Ola Nordmann"], "saksansvarlig": str(other)})
    assert response.status_code == 200, response.text
    [raw] = await journal.outbox_payloads("saksmappe.corrected.v1")
    event = json.loads(raw)
    assert event["saksmappe_id"] == saksmappe
    assert event["changed_fields"] == ["offentligTittel", "saksansvarlig", "tittel"]
    assert event["endret_av"] == str(journal.persons["saksbehandler"])
    assert "Ola" not in raw and "Sosialhjelp" not in raw and str(other) not in raw
    assert await journal.outbox_payloads("journalpost.corrected.v1") == []


async def test_correction_that_changes_nothing_or_is_refused_publishes_nothing(journal: Journal) -> None:
    saksmappe, jp, handler = await _registered(journal)
    before = await journal.outbox_types()
    tag = await _etag(journal, f"/journalposter/{jp}", handler)
    same = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                      json={"mottattDato": "2026-11-20"})
    assert same.status_code == 200, same.text
    stale = await journal.client.patch(f"/saksmapper/{saksmappe}", headers={**handler, **PATCH, "If-Match": '"x"'},
                                       json={"tittel": "Ny tittel"})
    assert stale.status_code == 412
    immutable = await journal.client.patch(f"/journalposter/{jp}", headers={**handler, **PATCH, "If-Match": tag},
                                           json={"tittel": "Ny", "journalaar": 2020})
    assert immutable.status_code == 422
    assert await journal.outbox_types() == before
