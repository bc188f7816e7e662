"""Sending a letter, end to end over HTTP on the one-process suite (`make run`'s app).

The journal registers and approves the letter, `ekspedere` hands it to the SvarUt gateway,
and the SvarUt simulator records what it received. These tests check the letter there:
channel, security level, encryption (the simulator decrypts with the key pair `make run`
configures), the documents and the metadata — and that it arrived exactly once. They also
check the addressing rule the journal and the gateway agree on: a party with no number but
a postal address goes to print, and an invalid number is refused when the letter is
registered, so it never reaches the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from suite_harness import Suite, claims, eventually, fodselsnummer, suite

__all__ = ["suite"]  # the fixture, imported for pytest

OSLO = ZoneInfo("Europe/Oslo")
RNG = random.Random(2026)
SKJERMING = {"tilgangsrestriksjon": "KL", "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13",
             "skjermingMetadata": ["TRO"]}


def pdf(text: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _until(send: Callable[[], Awaitable[httpx.Response]], expected: int, what: str) -> httpx.Response:
    """A person's first call may come before the seed's rights reached the journal's read model."""

    async def attempt() -> httpx.Response | None:
        response = await send()
        return response if response.status_code == expected else None

    return await eventually(attempt, what=what)


async def _approved_letter(s: Suite, korrespondansepart: dict[str, Any], document: bytes, *,
                           skjerming: dict[str, Any] | None = None) -> tuple[str, str]:
    """A fagsystem registers an outgoing decision; the handler finishes it and the leader approves it.
    Returns (journalpost id, the leader's token)."""
    saksbehandler = await s.person_token("saksbehandler")
    leder = await s.person_token("leder")
    # A screened letter is registered by the handler (cleared for KL); a fagsystem writes unscreened ones.
    writer = saksbehandler if skjerming else await s.client_token("demo-fagsystem", "journal.read journal.write")
    handler_id = claims(saksbehandler)["person_id"]
    case = await _until(lambda: s.journal("POST", "/saksmapper", writer, json={
        "tittel": "Tildeling av tjenester", "administrativEnhet": s.units["HO-BV"], "saksansvarlig": handler_id,
        **({"skjerming": skjerming} if skjerming else {})}), 201, "the case registered")
    registered = await s.journal("POST", f"/saksmapper/{case.json()['systemID']}/journalposter", writer, json={
        "journalposttype": "U", "tittel": "Vedtak om tildeling", "erVedtak": True, "saksbehandler": handler_id,
        "dokumentetsDato": datetime.now(OSLO).date().isoformat(), "korrespondansepart": [korrespondansepart],
        **({"skjerming": skjerming} if skjerming else {})})
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    uploaded = await s.journal("POST", f"/journalposter/{jp}/dokumenter", writer, params={
        "tittel": "Vedtak", "filnavn": "vedtak.pdf"}, content=document, headers={"Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text
    await _until(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", saksbehandler,
                                   json={"journalstatus": "F"}), 200, "the handler's rights")
    await _until(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", leder,
                                   json={"journalstatus": "G"}), 200, "the leader's rights")
    return jp, leder


async def _sent(s: Suite, jp: str, leder: str) -> dict[str, Any]:
    """`ekspedere`, then the journalpost once it is E; the letter's one record at the simulator."""
    ekspedert = await s.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert ekspedert.status_code == 202, ekspedert.text

    async def is_e() -> dict[str, Any] | None:
        body = (await s.journal("GET", f"/journalposter/{jp}", leder)).json()
        return body if body["journalstatus"]["kode"] == "E" or body.get("harForsendelsesfeil") else None

    body = await eventually(is_e, what="journalstatus E")
    [recipient] = body["korrespondansepart"]
    assert body["journalstatus"]["kode"] == "E", {k: v for k, v in recipient.items() if k.startswith("forsendelse")}
    await asyncio.sleep(1.0)  # anything sent twice would have arrived by now
    items = (await s.simulator("/_simulator/forsendelser"))["items"]
    mine = [i for i in items if i["eksternReferanse"].endswith(f":{recipient['systemID']}")]
    assert len(mine) == 1 and len(items) == 1, items  # exactly once, and nothing else
    deliveries = (await s.simulator("/_simulator/deliveries"))["deliveries"]
    assert list(deliveries.values()) == [1], deliveries
    return await s.simulator(f"/_simulator/forsendelser/{mine[0]['id']}")


async def test_a_screened_letter_to_a_person_arrives_encrypted_exactly_once_with_its_metadata(suite: Suite) -> None:
    fnr = fodselsnummer(RNG)
    document = pdf("Vedtak om tildeling")
    jp, leder = await _approved_letter(suite, {
        "korrespondanseparttype": "EM", "korrespondansepartNavn": "Kari Nordmann", "foedselsnummer": fnr,
        "postadresse": ["Storgata 1"], "postnummer": "0155", "poststed": "OSLO"}, document, skjerming=SKJERMING)
    received = await _sent(suite, jp, leder)

    assert received["channel"] == "person"
    assert received["sikkerhetsniva"] == "HOYESTE" and received["kryptert"] is True
    forsendelse = received["forsendelse"]
    assert forsendelse["mottaker"]["digitalId"] == fnr and forsendelse["mottaker"]["navn"] == "Kari Nordmann"
    assert forsendelse["tittel"] == "Vedtak om tildeling" and forsendelse["avgivendeSystem"] == "Arkiv5"
    assert forsendelse["kunDigitalLevering"] is False
    [sent] = received["documents"]
    assert sent["filnavn"] == "vedtak.pdf" and sent["mimeType"] == "application/pdf"
    # Encrypted on the wire; the simulator holds the key `make run` made and finds the very PDF.
    assert sent["sha256"] != hashlib.sha256(document).hexdigest()
    assert sent["decrypted"] is True and sent["decrypted_is_pdf"] is True
    assert sent["decrypted_sha256"] == hashlib.sha256(document).hexdigest()


async def test_a_party_with_no_number_but_a_postal_address_goes_to_print(suite: Suite) -> None:
    document = pdf("Vedtak")
    jp, leder = await _approved_letter(suite, {
        "korrespondanseparttype": "EM", "korrespondansepartNavn": "Ola Hansen",
        "postadresse": ["Storgata 1", "c/o Hansen"], "postnummer": "0155", "poststed": "OSLO"}, document)
    received = await _sent(suite, jp, leder)

    assert received["channel"] == "print" and received["kryptert"] is False
    mottaker = received["forsendelse"]["mottaker"]
    assert "digitalId" not in mottaker and mottaker["navn"] == "Ola Hansen"
    assert mottaker["adresse"]["adresselinje1"] == "Storgata 1" and mottaker["adresse"]["postnummer"] == "0155"
    [sent] = received["documents"]
    assert sent["mimeType"] == "application/pdf" and sent["sha256"] == hashlib.sha256(document).hexdigest()


async def test_an_invalid_fodselsnummer_is_refused_at_registration_so_it_never_reaches_the_gateway(
    suite: Suite,
) -> None:
    fagsystem = await suite.client_token("demo-fagsystem", "journal.read journal.write")
    case = await suite.journal("POST", "/saksmapper", fagsystem, json={
        "tittel": "Tildeling av tjenester", "administrativEnhet": suite.units["HO-BV"]})
    assert case.status_code == 201, case.text
    valid = fodselsnummer(RNG)
    invalid = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    refused = await suite.journal("POST", f"/saksmapper/{case.json()['systemID']}/journalposter", fagsystem, json={
        "journalposttype": "U", "tittel": "Vedtak", "korrespondansepart": [{
            "korrespondanseparttype": "EM", "korrespondansepartNavn": "Kari Nordmann", "foedselsnummer": invalid,
            "postadresse": ["Storgata 1"], "postnummer": "0155", "poststed": "OSLO"}]})
    assert refused.status_code == 422, refused.text
    assert invalid not in refused.text  # the number is not echoed
    assert (await suite.simulator("/_simulator/forsendelser"))["items"] == []


async def test_a_screened_letter_without_the_certificate_shows_its_reason_in_the_gauge_within_seconds(
    suite: Suite,
) -> None:
    gateway = next(s for s in suite.app.state.services if s.name == "svarut-gateway").app.state.gateway
    gateway.settings.svarut_encryption_certificate_pem = None  # as on a machine nobody configured
    jp, leder = await _approved_letter(suite, {
        "korrespondanseparttype": "EM", "korrespondansepartNavn": "Kari Nordmann",
        "foedselsnummer": fodselsnummer(RNG)}, pdf("Vedtak"), skjerming=SKJERMING)
    ekspedert = await suite.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert ekspedert.status_code == 202, ekspedert.text
    begun = time.monotonic()

    async def shown() -> bool:
        from prometheus_client.parser import text_string_to_metric_families

        text = (await suite.http.get(f"{suite.base}/svarut-gateway/metrics")).text
        return any(sample.value == 1 for family in text_string_to_metric_families(text)
                   if family.name == "arkiv5_svarut_dispatches_waiting" for sample in family.samples
                   if sample.labels.get("reason") == "encryption-certificate-missing")

    await eventually(shown, what="the waiting gauge")
    assert time.monotonic() - begun < 30  # seconds, not the 600 s retry

    # The same reason, per recipient, where the case handler looks (the journal's letters) …
    async def in_the_journal() -> Any:
        letters = (await suite.journal("GET", f"/journalposter/{jp}/forsendelser", leder)).json()
        return [f for f in letters if f["state"] == "waiting" and f["reasonCode"] == "encryption-certificate-missing"]

    [letter] = await eventually(in_the_journal, what="the waiting reason in the journal")
    assert letter["reason"] and "Kari" not in letter["reason"]
    # … and where IT looks (the gateway's read API, with the monitoring client).
    overvaking = await suite.client_token("demo-overvaking", "svarut-gateway.read", audience="svarut-gateway")
    dispatch = (await suite.call("GET", f"/svarut-gateway/dispatches/{letter['dispatchID']}", overvaking)).json()
    [recipient] = dispatch["recipients"]
    assert recipient["state"] == "PENDING" and recipient["reason_code"] == "encryption-certificate-missing"
    assert time.monotonic() - begun < 60
    assert (await suite.simulator("/_simulator/forsendelser"))["items"] == []
