"""Sign-off, closing cases, restanseliste, the public journal, postjournal and the change log."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .conftest import FNR, Journal, case, incoming


def _screened_incoming() -> dict[str, Any]:
    return incoming(
        tittel="Søknad om bostøtte fra Ola Hemmelig",
        skjermedeOrd=["Ola Hemmelig"],
        skjerming={"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13 første ledd nr. 1",
                   "skjermingMetadata": ["TRO", "NA"]},
        korrespondansepart=[{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Hemmelig",
                             "foedselsnummer": FNR, "postadresse": ["Hemmeligveien 13"],
                             "postnummer": "4515", "poststed": "Mandal"}],
    )


async def _case_with_post(journal: Journal, headers: dict[str, str], post: dict[str, Any]) -> tuple[str, str]:
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()["systemID"]
    response = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", json=post, headers=headers)
    assert response.status_code == 201, response.text
    return saksmappe, response.json()["systemID"]


async def test_case_closes_only_when_incoming_documents_are_signed_off(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    headers = journal.person("arkivar")
    saksmappe, jp = await _case_with_post(journal, headers, incoming(forfallsdato=(date.today() - timedelta(days=3)).isoformat()))

    backlog = await journal.client.get("/rapporter/restanseliste", headers=headers)
    assert [r["journalpost"] for r in backlog.json()] == [jp]
    assert backlog.json()[0]["dagerOverForfall"] >= 2

    refused = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", headers=headers)
    assert refused.status_code == 409 and "not signed off" in refused.json()["detail"]

    bad = await journal.client.post(f"/journalposter/{jp}/avskrivninger", json={"avskrivningsmaate": "XX"},
                                    headers=headers)
    assert bad.status_code == 422
    signed = await journal.client.post(f"/journalposter/{jp}/avskrivninger", json={"avskrivningsmaate": "TLF"},
                                       headers=headers)
    assert signed.status_code == 201 and signed.json()["avskrivningsmaate"]["kodenavn"] == "Besvart på telefon"
    assert (await journal.client.get("/rapporter/restanseliste", headers=headers)).json() == []

    closed = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", headers=headers)
    assert closed.status_code == 200 and closed.json()["saksstatus"]["kode"] == "A"
    assert "no.arkiv5.journal.saksmappe.closed.v1" in await journal.outbox_types()
    again = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", json=incoming(), headers=headers)
    assert again.status_code == 409


async def test_public_journal_contains_no_screened_value(journal: Journal) -> None:
    headers = journal.fagsystem()
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6", "KL"])
    arkivar = journal.person("arkivar")
    await _case_with_post(journal, arkivar, _screened_incoming())
    client_case = (await journal.client.post("/saksmapper", json=case(
        tittel="Kari Klient - introduksjonsprogram", klient={"partNavn": "Kari Klient", "foedselsnummer": FNR}),
        headers=arkivar)).json()["systemID"]
    post = incoming(tittel="Melding om flytting for Kari Klient", skjermedeOrd=["Kari Klient"],
                    korrespondansepart=[{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Kari Klient",
                                         "foedselsnummer": FNR, "postadresse": ["Klientgata 5"]}])
    assert (await journal.client.post(f"/saksmapper/{client_case}/journalposter", json=post,
                                      headers=arkivar)).status_code == 201
    await _case_with_post(journal, headers, incoming(tittel="Byggesøknad Storgata 1"))

    today = date.today().isoformat()
    for fmt in ("json", "csv"):
        response = await journal.client.get("/rapporter/offentlig-journal",
                                            params={"fra": today, "til": today, "format": fmt}, headers=headers)
        assert response.status_code == 200
        text = response.text
        for secret in ("Ola", "Hemmelig", FNR, "Hemmeligveien", "Kari Klient", "Klient", "Klientgata"):
            assert secret not in text, f"{secret} leaked into the public journal ({fmt})"
        assert "Byggesøknad Storgata 1" in text and "*****" in text
    rows = (await journal.client.get("/rapporter/offentlig-journal", params={"fra": today, "til": today},
                                     headers=headers)).json()
    assert len(rows) == 3
    assert rows[0]["offentligTittel"] == "Søknad om bostøtte fra *****"


async def test_expired_screening_lifts(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    post = _screened_incoming()
    post["skjerming"]["skjermingOpphoererDato"] = (date.today() - timedelta(days=1)).isoformat()
    _, jp = await _case_with_post(journal, journal.person("arkivar"), post)
    await journal.grant("leser", roles=["lesetilgang"])
    seen = (await journal.client.get(f"/journalposter/{jp}", headers=journal.person("leser"))).json()
    assert seen["tittel"] == "Søknad om bostøtte fra Ola Hemmelig" and seen["erSkjermetForDeg"] is False


async def test_reader_without_clearance_gets_screened_fields_replaced(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    _, jp = await _case_with_post(journal, journal.person("arkivar"), _screened_incoming())
    full = await journal.client.get(f"/journalposter/{jp}", headers=journal.person("arkivar"))
    assert "Ola Hemmelig" in full.text
    await journal.grant("leser", roles=["lesetilgang"])
    for url in (f"/journalposter/{jp}", "/journalposter", f"/rapporter/postjournal?fra={date.today()}&til={date.today()}"):
        masked = await journal.client.get(url, headers=journal.person("leser"))
        assert masked.status_code == 200, masked.text
        for secret in ("Ola", "Hemmelig", FNR):
            assert secret not in masked.text, (url, secret)
    denied = await journal.client.get(f"/endringslogg/{jp}", headers=journal.person("leser"))
    assert denied.status_code == 403


async def test_change_log_records_every_change_from_the_first_version(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    headers = journal.person("arkivar")
    _, jp = await _case_with_post(journal, headers, incoming(journalstatus="M"))
    assert (await journal.client.post(f"/journalposter/{jp}/journalstatus", json={"journalstatus": "J"},
                                      headers=headers)).status_code == 200
    log = (await journal.client.get(f"/endringslogg/{jp}", headers=headers)).json()
    status = [(e["tidligereVerdi"], e["nyVerdi"]) for e in log if e["referanseMetadata"] == "journalstatus"]
    assert status == [(None, "M"), ("M", "J")]
    assert {"tittel", "mottattDato", "korrespondansepartNavn"} <= {e["referanseMetadata"] for e in log}
    assert all(e["endretAv"] == str(journal.persons["arkivar"]) for e in log)


async def test_distribution_and_redistribution_keep_history(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    headers = journal.person("arkivar")
    _, jp = await _case_with_post(journal, headers, incoming())
    first, second = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"
    assert (await journal.client.post(f"/journalposter/{jp}/fordeling", json={"saksbehandler": first},
                                      headers=headers)).status_code == 201
    assert (await journal.client.post(f"/journalposter/{jp}/fordeling", json={"saksbehandler": second},
                                      headers=headers)).status_code == 201
    history = (await journal.client.get(f"/journalposter/{jp}/fordeling", headers=headers)).json()
    assert [(h["fraSaksbehandler"], h["tilSaksbehandler"]) for h in history] == [(None, first), (first, second)]
    # Case handlers ask the archive service; they do not distribute themselves.
    await journal.grant("saksbehandler", roles=["saksbehandler"])
    refused = await journal.client.post(f"/journalposter/{jp}/fordeling", json={"saksbehandler": first},
                                        headers=journal.person("saksbehandler"))
    assert refused.status_code == 403


async def test_back_registration_keeps_the_original_dates(journal: Journal) -> None:
    headers = journal.fagsystem()
    post = incoming(mottattDato="2026-01-05", dokumentetsDato="2026-01-02", etterregistrering=True)
    _, jp = await _case_with_post(journal, headers, post)
    body = (await journal.client.get(f"/journalposter/{jp}", headers=headers)).json()
    assert body["mottattDato"] == "2026-01-05" and body["erEtterregistrert"] is True
    assert body["journaldato"] == date.today().isoformat()




async def test_oppfolging_lists_unprocessed_incoming_post(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    headers = journal.person("arkivar")
    _, scanned = await _case_with_post(journal, headers, incoming(journalstatus="M"))
    await _case_with_post(journal, headers, incoming())
    work = (await journal.client.get("/rapporter/oppfolging", headers=headers)).json()
    assert [w["systemID"] for w in work] == [scanned]
    await journal.client.post(f"/journalposter/{scanned}/journalstatus", json={"journalstatus": "J"}, headers=headers)
    assert (await journal.client.get("/rapporter/oppfolging", headers=headers)).json() == []


async def test_quality_report_finds_each_kind_of_gap(journal: Journal) -> None:
    headers = journal.fagsystem()
    saksmappe, no_doc = await _case_with_post(journal, headers, incoming(tittel="Klage på vedtak om parkering"))
    response = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", headers=headers, json=incoming(
        tittel="Søknad om sosialhjelp", offentlighetsvurdertDato=date.today().isoformat()))
    scanned = response.json()["systemID"]
    await journal.client.post(f"/journalposter/{scanned}/dokumenter", content=b"%PDF-1.7\n%%EOF\n",
                              params={"tittel": "Skann", "skanningKontrollert": "false"}, headers=headers)
    today = date.today().isoformat()
    report = await journal.client.get("/rapporter/kvalitet", params={"fra": today, "til": today}, headers=headers)
    assert report.status_code == 200
    found = {(f["kontroll"], f.get("journalpost")) for f in report.json()}
    assert ("mangler-dokument", no_doc) in found
    assert ("mangler-offentlighetsvurdering", no_doc) in found
    assert ("mangler-offentlighetsvurdering", scanned) not in found
    assert ("ikke-konvertert", scanned) in found
    assert ("skanning-ikke-kontrollert", scanned) in found
    assert ("tittel-avvik", no_doc) in found and ("tittel-avvik", scanned) not in found
    assert ("mangler-klasse", None) in found
    assert "sosialhjelp" not in report.text  # numbers and ids only
    csv = await journal.client.get("/rapporter/kvalitet", params={"fra": today, "til": today, "format": "csv"},
                                   headers=headers)
    assert csv.headers["content-type"].startswith("text/csv") and "mangler-dokument" in csv.text


async def test_closing_a_clients_cases_is_all_or_nothing(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["KL"])
    headers = journal.person("arkivar")
    klient = {"partNavn": "Kari Klient", "foedselsnummer": FNR}
    first = (await journal.client.post("/saksmapper", json=case(tittel="Kari Klient - bolig", klient=klient),
                                       headers=headers)).json()
    second = (await journal.client.post("/saksmapper", json=case(tittel="Kari Klient - introduksjon", klient=klient),
                                        headers=headers)).json()
    post = (await journal.client.post(f"/saksmapper/{second['systemID']}/journalposter", json=incoming(),
                                      headers=headers)).json()
    refused = await journal.client.post("/klientsaker/avslutt", json={"foedselsnummer": FNR}, headers=headers)
    assert refused.status_code == 409 and refused.json()["mappeID"] == [second["mappeID"]]
    assert FNR not in refused.text
    assert (await journal.client.get(f"/saksmapper/{first['systemID']}", headers=headers)).json()["saksstatus"]["kode"] == "B"

    await journal.client.post(f"/journalposter/{post['systemID']}/avskrivninger", json={"avskrivningsmaate": "TE"},
                              headers=headers)
    closed = await journal.client.post("/klientsaker/avslutt", json={"foedselsnummer": FNR}, headers=headers)
    assert closed.status_code == 200
    assert {c["saksstatus"]["kode"] for c in closed.json()} == {"A"} and len(closed.json()) == 2
    bad = await journal.client.post("/klientsaker/avslutt", json={"foedselsnummer": "123"}, headers=headers)
    assert bad.status_code == 422


async def test_remarks_are_kept_and_screened_with_mt(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    headers = journal.person("arkivar")
    post = _screened_incoming()
    post["skjerming"]["skjermingMetadata"] = ["TRO", "NA", "MT"]
    saksmappe, jp = await _case_with_post(journal, headers, post)
    added = await journal.client.post(f"/journalposter/{jp}/merknader",
                                      json={"merknadstekst": "Ringte Ola om barnevernet"}, headers=headers)
    assert added.status_code == 201
    case_list = (await journal.client.get(f"/saksmapper/{saksmappe}/journalposter", headers=headers)).json()
    assert case_list["results"][0]["merknad"][0]["merknadstekst"] == "Ringte Ola om barnevernet"
    await journal.grant("leser", roles=["lesetilgang"])
    masked = await journal.client.get(f"/saksmapper/{saksmappe}/journalposter", headers=journal.person("leser"))
    assert "barnevernet" not in masked.text and masked.json()["results"][0]["merknad"][0]["merknadstekst"] == "*****"
    refused = await journal.client.post(f"/journalposter/{jp}/merknader", json={"merknadstekst": "x"},
                                        headers=journal.person("leser"))
    assert refused.status_code == 403


async def test_only_the_archive_service_reopens_a_closed_case(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"])
    headers = journal.person("arkivar")
    fagsystem = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()["systemID"]
    open_case = await journal.client.post(f"/saksmapper/{saksmappe}/gjenaapne", headers=headers)
    assert open_case.status_code == 409 and "not closed" in open_case.json()["detail"]

    closed = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", headers=headers)
    assert closed.json()["saksstatus"]["kode"] == "A" and closed.json()["avsluttetDato"]
    refused = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", json=incoming(), headers=headers)
    assert refused.status_code == 409

    # A closed case is corrected only by the archive service (policy saksmappe.closed), reopening too.
    refused = await journal.client.post(f"/saksmapper/{saksmappe}/gjenaapne", headers=fagsystem)
    assert refused.status_code == 403 and refused.json()["rule"] == "saksmappe.closed"
    reopened = await journal.client.post(f"/saksmapper/{saksmappe}/gjenaapne", headers=headers)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["saksstatus"]["kode"] == "B" and reopened.json().get("avsluttetDato") is None
    registered = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", json=incoming(), headers=headers)
    assert registered.status_code == 201, registered.text

    # A case that lapses is closed as Utgår (U); it too can be reopened.
    signed = await journal.client.post(f"/journalposter/{registered.json()['systemID']}/avskrivninger",
                                       json={"avskrivningsmaate": "TLF"}, headers=headers)
    assert signed.status_code == 201
    lapsed = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", json={"saksstatus": "U"}, headers=headers)
    assert lapsed.status_code == 200 and lapsed.json()["saksstatus"]["kode"] == "U"
    assert (await journal.client.post(f"/saksmapper/{saksmappe}/gjenaapne", headers=headers)).status_code == 200

    reader = journal.person("arkivar", ["journal.read"])
    assert (await journal.client.post(f"/saksmapper/{saksmappe}/gjenaapne", headers=reader)).status_code == 403
    unknown = await journal.client.post("/saksmapper/00000000-0000-0000-0000-000000000000/gjenaapne", headers=headers)
    assert unknown.status_code == 404


async def test_a_sign_off_made_in_error_is_deleted_and_the_document_is_outstanding_again(journal: Journal) -> None:
    headers = journal.fagsystem()
    saksmappe, jp = await _case_with_post(journal, headers, incoming())
    signed = await journal.client.post(f"/journalposter/{jp}/avskrivninger", json={"avskrivningsmaate": "TLF"},
                                       headers=headers)
    avskrivning = signed.json()["systemID"]
    assert (await journal.client.get("/rapporter/restanseliste", headers=headers)).json() == []

    reader = journal.fagsystem(["journal.read"])
    url = f"/journalposter/{jp}/avskrivninger/{avskrivning}"
    assert (await journal.client.delete(url, headers=reader)).status_code == 403
    other, other_jp = await _case_with_post(journal, headers, incoming())
    wrong = await journal.client.delete(f"/journalposter/{other_jp}/avskrivninger/{avskrivning}", headers=headers)
    assert wrong.status_code == 404

    deleted = await journal.client.delete(url, headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["systemID"] == jp and deleted.json()["avskrivning"] == []
    outstanding = (await journal.client.get("/rapporter/restanseliste", headers=headers)).json()
    assert jp in [r["journalpost"] for r in outstanding]
    assert (await journal.client.delete(url, headers=headers)).status_code == 404
    refused = await journal.client.post(f"/saksmapper/{saksmappe}/avslutt", headers=headers)
    assert refused.status_code == 409 and "not signed off" in refused.json()["detail"]
    log = await journal.client.get(f"/endringslogg/{jp}", headers=headers)
    assert log.status_code == 200, log.text
    [row] = [r for r in log.json() if r["referanseMetadata"] == "avskrivning"]
    assert row["tidligereVerdi"].startswith("TLF ") and row["nyVerdi"] is None
    assert other
