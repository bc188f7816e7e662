"""The four services working together over HTTP in the one-process suite.

The suite runs on a real socket (`tests/support/suite_harness.py`), so the journal,
conversion and the SvarUt gateway call each other exactly as `make run` wires them; the
SvarUt simulator plays KS. Rights come from the access service's own events (seed and change requests)
through the suite's embedded bus into the journal's read model.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from required import services_required

from arkiv5_suite.app import SIMULATOR_PREFIX
from suite_harness import PASSWORD, Suite, docx_bytes, eventually, pdf_bytes, suite

__all__ = ["suite"]  # the fixture, imported for pytest

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OSLO = ZoneInfo("Europe/Oslo")

# Skipped only on a developer machine without LibreOffice; with ARKIV5_REQUIRE_SERVICES=1
# (CI) the tests run and fail, so a missing converter can never hide behind a skip.
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None
    and not services_required(),
    reason="LibreOffice (soffice) is not installed",
)


async def _until_allowed(send: Callable[[], Awaitable[httpx.Response]], expected: int, what: str) -> httpx.Response:
    """A person's first call may come before the seed's RightsChanged reached the journal."""

    async def attempt() -> httpx.Response | None:
        response = await send()
        return response if response.status_code == expected else None

    return await eventually(attempt, what=what)


async def _register_case(s: Suite, token: str, **body: Any) -> dict[str, Any]:
    response = await s.journal("POST", "/saksmapper", token, json={
        "tittel": "Tildeling av tjenester", "administrativEnhet": s.units["HO-BV"], **body})
    assert response.status_code == 201, response.text
    return response.json()


async def _outgoing_letter(s: Suite, document: bytes, media_type: str, filnavn: str) -> tuple[str, str, str, str]:
    """A fagsystem registers a case and an outgoing decision to an organisation; the handler and
    the leader finish and approve it. Returns (journalpost id, handler, leader, fagsystem) tokens."""
    saksbehandler = await s.person_token("saksbehandler")
    leder = await s.person_token("leder")
    fagsystem = await s.client_token("demo-fagsystem", "journal.read journal.write")
    case = await _register_case(s, fagsystem, saksansvarlig=s.person_ids["saksbehandler"])
    registered = await s.journal("POST", f"/saksmapper/{case['systemID']}/journalposter", fagsystem, json={
        "journalposttype": "U", "tittel": "Vedtak om tildeling", "erVedtak": True,
        "saksbehandler": s.person_ids["saksbehandler"], "dokumentetsDato": datetime.now(OSLO).date().isoformat(),
        "korrespondansepart": [{
            "korrespondanseparttype": "EM", "korrespondansepartNavn": "Lindesnes Bygg AS",
            "organisasjonsnummer": "974760673", "postadresse": ["Storgata 1"], "postnummer": "4514",
            "poststed": "Mandal"}]})
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    uploaded = await s.journal("POST", f"/journalposter/{jp}/dokumenter", fagsystem, params={
        "tittel": "Vedtak", "filnavn": filnavn}, content=document, headers={"Content-Type": media_type})
    assert uploaded.status_code == 201, uploaded.text
    await _until_allowed(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", saksbehandler,
                                           json={"journalstatus": "F"}), 200, "the handler's rights in the journal")
    await _until_allowed(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", leder,
                                           json={"journalstatus": "G"}), 200, "the leader's rights in the journal")
    return jp, saksbehandler, leder, fagsystem


async def _sent(s: Suite, jp: str, leder: str) -> None:
    ekspedert = await s.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert ekspedert.status_code == 202, ekspedert.text

    async def is_e() -> dict[str, Any] | None:
        body = (await s.journal("GET", f"/journalposter/{jp}", leder)).json()
        return body if body["journalstatus"]["kode"] == "E" else None

    body = await eventually(is_e, what="journalstatus E")
    assert body["sendtDato"] == datetime.now(OSLO).date().isoformat()
    assert body["harForsendelsesfeil"] is False
    assert body["korrespondansepart"][0]["forsendelseStatus"] in ("accepted", "delivered")
    deliveries = (await s.http.get(f"{s.base}{SIMULATOR_PREFIX}/_simulator/deliveries")).json()["deliveries"]
    [recipient] = body["korrespondansepart"]
    # eksternReferanse is <dispatch_id>:<recipient_id>: one letter, delivered exactly once.
    assert len(deliveries) == 1 and list(deliveries.values()) == [1], deliveries
    assert next(iter(deliveries)).endswith(f":{recipient['systemID']}")


async def test_outgoing_pdf_letter_is_sent_through_svarut_and_becomes_e(suite: Suite) -> None:
    jp, _saksbehandler, leder, _fagsystem = await _outgoing_letter(suite, pdf_bytes(), "application/pdf", "vedtak.pdf")
    await _sent(suite, jp, leder)


@needs_libreoffice
async def test_outgoing_docx_letter_is_converted_sent_through_svarut_and_becomes_e(suite: Suite) -> None:
    jp, _saksbehandler, leder, _fagsystem = await _outgoing_letter(
        suite, docx_bytes("Du får tildelt tjenesten."), DOCX, "vedtak.docx")
    await _sent(suite, jp, leder)


async def test_outgoing_letter_whose_archival_pdfa_exists_before_sending_is_sent(suite: Suite) -> None:
    """The archival variant made before ekspedere must not stop the letter: the journal names the
    document, the gateway finds it in the dispatch material and sends its archival PDF."""
    jp, _saksbehandler, leder, fagsystem = await _outgoing_letter(suite, pdf_bytes(), "application/pdf", "vedtak.pdf")
    [beskrivelse] = (await suite.journal("GET", f"/journalposter/{jp}", fagsystem)).json()["dokumentbeskrivelse"]
    [source] = beskrivelse["dokumentobjekt"]
    converter = await suite.client_token("svarut-gateway", "conversion.convert", audience="conversion")
    converted = await suite.call("POST", "/conversion/internal/conversions", converter, json={
        "dokumentobjekt_id": source["systemID"], "journalpost_id": jp, "target_media_type": "application/pdf"})
    assert converted.status_code in (200, 201), converted.text
    archival = converted.json()["archival_dokumentobjekt_id"]
    assert archival and archival != source["systemID"]

    ekspedert = await suite.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert ekspedert.status_code == 202, ekspedert.text

    async def settled() -> dict[str, Any] | None:
        body = (await suite.journal("GET", f"/journalposter/{jp}", leder)).json()
        return body if body["journalstatus"]["kode"] == "E" or body["harForsendelsesfeil"] else None

    body = await eventually(settled, what="the letter sent or refused")
    [recipient] = body["korrespondansepart"]
    outcome = {k: v for k, v in recipient.items() if k.startswith("forsendelse")}
    assert body["journalstatus"]["kode"] == "E", outcome
    assert recipient["forsendelseStatus"] in ("accepted", "delivered"), outcome
    deliveries = (await suite.http.get(f"{suite.base}{SIMULATOR_PREFIX}/_simulator/deliveries")).json()["deliveries"]
    assert list(deliveries.values()) == [1], deliveries


@needs_libreoffice
async def test_incoming_journalpost_registered_as_j_gets_its_archival_pdfa_variant(suite: Suite) -> None:
    fagsystem = await suite.client_token("demo-fagsystem", "journal.read journal.write")
    case = await _register_case(suite, fagsystem)
    registered = await suite.journal("POST", f"/saksmapper/{case['systemID']}/journalposter", fagsystem, json={
        "journalposttype": "I", "tittel": "Søknad om tjenester", "mottattDato": datetime.now(OSLO).date().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Lindesnes Bygg AS",
                                "organisasjonsnummer": "974760673"}]})
    assert registered.status_code == 201, registered.text
    assert registered.json()["journalstatus"]["kode"] == "J"
    jp = registered.json()["systemID"]
    uploaded = await suite.journal("POST", f"/journalposter/{jp}/dokumenter", fagsystem,
                                   params={"tittel": "Søknad", "filnavn": "soknad.docx"},
                                   content=docx_bytes("Jeg søker om tjenester."), headers={"Content-Type": DOCX})
    assert uploaded.status_code == 201, uploaded.text
    source = uploaded.json()["dokumentobjekt"][0]["systemID"]

    async def archival() -> dict[str, Any] | None:
        body = (await suite.journal("GET", f"/journalposter/{jp}", fagsystem)).json()
        [beskrivelse] = body["dokumentbeskrivelse"]
        variants = {o["variantformat"]["kode"]: o for o in beskrivelse["dokumentobjekt"]}
        return variants if "A" in variants else None

    variants = await eventually(archival, what="the archival variant")
    assert variants["P"]["systemID"] == source
    assert variants["A"]["format"] == "application/pdf"
    assert variants["A"]["formatDetaljer"] in ("fmt/477", "fmt/476", "fmt/478")
    content = await suite.journal("GET", f"/dokumentobjekter/{variants['A']['systemID']}/fil", fagsystem)
    assert content.status_code == 200 and content.content.startswith(b"%PDF-")


async def _change_rights(s: Suite, username: str, body: dict[str, Any]) -> None:
    """The leader's written request, approved by the arkivleder: the access service publishes
    RightsChanged (and AccountDisabled for a leaver), which the journal reads from the bus."""
    leder = await s.person_token("leder", audience="access")
    arkivleder = await s.person_token("arkivleder", audience="access")
    submitted = await s.call("POST", "/access/change-requests", leder, json={
        "person_id": s.person_ids[username], "full_name": "Barnevern Saksbehandler",
        "job_title": "Barnevernskonsulent", "effective_date": datetime.now(OSLO).date().isoformat(), **body})
    assert submitted.status_code == 201, submitted.text
    decided = await s.call("POST", f"/access/change-requests/{submitted.json()['id']}/decision", arkivleder,
                           json={"outcome": "approved"})
    assert decided.status_code == 200, decided.text


async def test_authorisation_matrix_is_enforced_by_the_journal_with_rights_from_access_events(suite: Suite) -> None:
    s = suite
    arkivleder = await s.person_token("arkivleder")
    leder = await s.person_token("leder")
    saksbehandler = await s.person_token("saksbehandler")
    lesetilgang = await s.person_token("lesetilgang")
    # A colleague's (the leader's) case in Barnevern, screened with access code 6.
    case = await _until_allowed(lambda: s.journal("POST", "/saksmapper", arkivleder, json={
        "tittel": "Undersøkelse", "administrativEnhet": s.units["HO-BV"], "saksansvarlig": s.person_ids["leder"],
        "skjerming": {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13 jf. bvl. § 13-1",
                      "skjermingMetadata": ["TRO"]}}), 201, "the arkivleder's rights in the journal")
    case_id = case.json()["systemID"]
    jp = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", arkivleder, json={
        "journalposttype": "I", "tittel": "Bekymringsmelding om Kari Nordmann", "skjermedeOrd": ["Kari Nordmann"],
        "mottattDato": datetime.now(OSLO).date().isoformat(),
        "skjerming": {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13 jf. bvl. § 13-1",
                      "skjermingMetadata": ["TRO", "NA"]},
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Melder"}]})
    assert jp.status_code == 201, jp.text
    jp_id = jp.json()["systemID"]
    document = await s.journal("POST", f"/journalposter/{jp_id}/dokumenter", arkivleder, params={"tittel": "Melding"},
                               content=pdf_bytes(), headers={"Content-Type": "application/pdf"})
    assert document.status_code == 201, document.text
    document_id = document.json()["dokumentobjekt"][0]["systemID"]

    # Reading a screened journalpost without clearance: the screened fields are replaced,
    # and the document itself is refused.
    seen = await s.journal("GET", f"/journalposter/{jp_id}", lesetilgang)
    assert seen.status_code == 200
    assert seen.json()["erSkjermetForDeg"] is True
    assert "Kari Nordmann" not in seen.text and "Ola Melder" not in seen.text
    assert (await s.journal("GET", f"/dokumentobjekter/{document_id}/fil", lesetilgang)).status_code == 403
    # The handler is cleared for KL only (seed): masked as well.
    assert (await s.journal("GET", f"/journalposter/{jp_id}", saksbehandler)).json()["erSkjermetForDeg"] is True

    # The leader registers in a restricted case of the own unit tree.
    led = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", leder, json={
        "journalposttype": "N", "tittel": "Notat fra leder"})
    assert led.status_code == 201, led.text

    # A change request clears the handler for code 6; RightsChanged reaches the journal.
    await _change_rights(s, "saksbehandler", {
        "kind": "change", "unit_id": s.units["HO-BV"], "roles": ["saksbehandler"], "access_codes": ["KL", "6"]})

    async def cleared() -> bool:
        body = (await s.journal("GET", f"/journalposter/{jp_id}", saksbehandler)).json()
        return body["erSkjermetForDeg"] is False and "Kari Nordmann" in body["tittel"]

    await eventually(cleared, what="the handler's new clearance in the journal")
    # Cleared to read, but the case is a colleague's: the handler may not write to it.
    refused = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", saksbehandler, json={
        "journalposttype": "N", "tittel": "Notat"})
    assert refused.status_code == 403, refused.text
    assert refused.json().get("rule") == "saksbehandler.create-journalpost.restricted-not-member"
    merknad = await s.journal("POST", f"/journalposter/{jp_id}/merknader", saksbehandler,
                              json={"merknadstekst": "Ringt melder"})
    assert merknad.status_code == 403, merknad.text

    # The handler leaves from today: the token issued before still verifies, but the journal
    # refuses every action once the ended rights are in its read model (403), and the token
    # itself once AccountDisabled is (401, as any invalid token).
    await _change_rights(s, "saksbehandler", {"kind": "leaver"})

    async def refused_after_leaving() -> httpx.Response | None:
        response = await s.journal("GET", f"/journalposter/{jp_id}", saksbehandler)
        return response if response.status_code in (401, 403) else None

    gone = await eventually(refused_after_leaving, what="the leaver refused by the journal")
    assert gone.status_code == 401 or gone.json().get("rule") in ("account.disabled", "validity.ended")
    token = await s.http.post(f"{s.base}/access/oauth2/token", data={
        "grant_type": "password", "username": "saksbehandler", "password": PASSWORD, "audience": "journal"})
    assert token.status_code == 400
