"""The whole routine of the refugee service (seed 000) and the archive plan (seed 004), over HTTP.

One test body walks a client's case from the post to the quality report, as the municipality's
people and systems do it: the archive service registers the scanned post, it waits on the
oppfølging list, is distributed to a case handler (and re-distributed), and is journalført
in the client's folder; the handler writes a decision, which cannot be sent before the leader
approves it; it goes through SvarUt (screened, to a person, digitally) and arrives exactly
once with the expected metadata; the journalpost becomes E; the post is signed off and leaves
the restanseliste; IT runs the nightly conversion batch twice by API (the second run converts
nothing again); the archive closes the case; the public journal keeps the screened screened;
and the quality report tells the PNG the policy keeps as it is from a document not converted.

The same body runs on the embedded suite (`make run`: one process, SQLite, the embedded bus),
on the one-process suite with every service on its own PostgreSQL database, and on the
distributed suite (`make run-distributed`: every service its own process, PostgreSQL and Kafka).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from required import services_required

from suite_harness import Suite, distributed, docx_bytes, eventually, fodselsnummer, png_bytes, suite_on

OSLO = ZoneInfo("Europe/Oslo")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RNG = random.Random(13)

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None and not services_required(), reason="LibreOffice (soffice) is not installed")


@pytest.fixture(params=["embedded", "postgresql", "distributed"])
async def routine_suite(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Suite]:
    if request.param == "distributed":
        # The batch does the night's work: nothing is converted when J is reached.
        async with distributed(tmp_path, extra_env={"CONVERSION_CONVERT_ON_EVENT": "false"}) as s:
            yield s
        return
    backend = {"embedded": "sqlite", "postgresql": "postgresql"}[request.param]
    async with suite_on(backend, tmp_path / "var") as s:
        # The batch does the night's work: nothing is converted when J is reached.
        s.mounted("conversion").state.conversion.settings.convert_on_event = False
        yield s


async def _until(send: Callable[[], Awaitable[httpx.Response]], expected: int, what: str) -> httpx.Response:
    """A person's first call may come before the seed's rights reached the journal's read model."""

    async def attempt() -> httpx.Response | None:
        response = await send()
        return response if response.status_code == expected else None

    return await eventually(attempt, what=what)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_the_whole_routine_from_the_post_to_the_quality_report(routine_suite: Suite) -> None:
    s = routine_suite
    today = datetime.now(OSLO).date().isoformat()
    fnr = fodselsnummer(RNG)
    client_name = "Kari Nordmann"
    arkivleder = await s.person_token("arkivleder")
    saksbehandler = await s.person_token("saksbehandler")
    leder = await s.person_token("leder")
    handler_id, leader_id = s.person_ids["saksbehandler"], s.person_ids["leder"]
    overvaking = await s.client_token("demo-overvaking", "svarut-gateway.read", audience="svarut-gateway")
    drift = await s.client_token("demo-drift", "conversion.convert conversion.report", audience="conversion")

    # The arkivleder keeps the classification (journal.admin); the client's folder is screened (KL).
    _ok(await _until(lambda: s.journal("POST", "/klasser", arkivleder, json={
        "klasseID": "F47", "tittel": "Flyktninger og introduksjonsprogram"}), 201, "the arkivleder's rights"), 201)
    case = _ok(await s.journal("POST", "/saksmapper", arkivleder, json={
        "tittel": f"{client_name} - introduksjonsprogram", "administrativEnhet": s.units["HO-BV"],
        "saksansvarlig": handler_id, "klasse": "F47",
        "klient": {"partNavn": client_name, "foedselsnummer": fnr}}), 201)
    case_id = case["systemID"]
    assert client_name not in case["offentligTittel"]

    # 1. Post in: scanned, registered as M, checked legible and complete; it waits on the oppfølging list.
    post = _ok(await s.journal("POST", f"/saksmapper/{case_id}/journalposter", arkivleder, json={
        "journalposttype": "I", "journalstatus": "M", "tittel": f"Søknad om introduksjonsprogram fra {client_name}",
        "skjermedeOrd": [client_name], "mottattDato": today,
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": client_name,
                                "foedselsnummer": fnr, "postadresse": ["Storgata 1"], "postnummer": "4514",
                                "poststed": "Mandal"}]}), 201)
    post_id = post["systemID"]
    letter = _ok(await s.journal("POST", f"/journalposter/{post_id}/dokumenter", arkivleder, params={
        "tittel": "Søknad", "filnavn": "soknad.docx", "skanningKontrollert": "true"},
        content=docx_bytes("Jeg søker om introduksjonsprogram."), headers={"Content-Type": DOCX}), 201)
    scan = _ok(await s.journal("POST", f"/journalposter/{post_id}/dokumenter", arkivleder, params={
        "tittel": "Oppholdstillatelse", "filnavn": "oppholdstillatelse.png", "skanningKontrollert": "true"},
        content=png_bytes(), headers={"Content-Type": "image/png"}), 201)
    letter_p = letter["dokumentobjekt"][0]["systemID"]
    scan_p = scan["dokumentobjekt"][0]["systemID"]
    oppfolging = _ok(await s.journal("GET", "/rapporter/oppfolging", arkivleder))
    assert post_id in [j["systemID"] for j in oppfolging]

    # 2. Fordeling, and re-fordeling when the leader says it belongs to the handler.
    _ok(await s.journal("POST", f"/journalposter/{post_id}/fordeling", arkivleder,
                        json={"saksbehandler": leader_id}), 201)
    _ok(await s.journal("POST", f"/journalposter/{post_id}/fordeling", arkivleder,
                        json={"saksbehandler": handler_id}), 201)
    history = _ok(await s.journal("GET", f"/journalposter/{post_id}/fordeling", arkivleder))
    # Registered in the case, the post first went to the case's saksansvarlig; then to the leader, and back.
    assert [(f["fraSaksbehandler"], f["tilSaksbehandler"]) for f in history][-2:] == [
        (handler_id, leader_id), (leader_id, handler_id)]

    # 3. Journalført in the client's folder: off the oppfølging list, on the restanseliste.
    journalfoert = _ok(await s.journal("POST", f"/journalposter/{post_id}/journalstatus", arkivleder,
                                       json={"journalstatus": "J"}))
    assert journalfoert["journalstatus"]["kode"] == "J" and journalfoert["saksbehandler"] == handler_id
    oppfolging = _ok(await s.journal("GET", "/rapporter/oppfolging", arkivleder))
    assert post_id not in [j["systemID"] for j in oppfolging]
    restanser = _ok(await s.journal("GET", "/rapporter/restanseliste", arkivleder))
    assert post_id in [r["journalpost"] for r in restanser]

    # 4. The decision: written and finished by the handler, refused for sending before approval.
    vedtak = _ok(await s.journal("POST", f"/saksmapper/{case_id}/journalposter", saksbehandler, json={
        "journalposttype": "U", "tittel": "Vedtak om introduksjonsprogram", "erVedtak": True,
        "saksbehandler": handler_id, "dokumentetsDato": today,
        "korrespondansepart": [{"korrespondanseparttype": "EM", "korrespondansepartNavn": client_name,
                                "foedselsnummer": fnr, "postadresse": ["Storgata 1"], "postnummer": "4514",
                                "poststed": "Mandal"}]}), 201)
    vedtak_id = vedtak["systemID"]
    _ok(await s.journal("POST", f"/journalposter/{vedtak_id}/dokumenter", saksbehandler, params={
        "tittel": "Vedtak", "filnavn": "vedtak.docx"},
        content=docx_bytes("Du får plass i introduksjonsprogrammet."), headers={"Content-Type": DOCX}), 201)
    _ok(await s.journal("POST", f"/journalposter/{vedtak_id}/journalstatus", saksbehandler,
                        json={"journalstatus": "F"}))
    refused = await s.journal("POST", f"/journalposter/{vedtak_id}/ekspedere", saksbehandler)
    assert refused.status_code == 409, refused.text
    assert client_name not in refused.text and fnr not in refused.text
    _ok(await s.journal("POST", f"/journalposter/{vedtak_id}/journalstatus", leder, json={"journalstatus": "G"}))

    # 5. Sending: screened, to a person, digitally — E once SvarUt took it.
    _ok(await s.journal("POST", f"/journalposter/{vedtak_id}/ekspedere", saksbehandler), 202)

    async def ekspedert() -> dict[str, Any] | None:
        body = _ok(await s.journal("GET", f"/journalposter/{vedtak_id}", saksbehandler))
        return body if body["journalstatus"]["kode"] == "E" or body["harForsendelsesfeil"] else None

    sent = await eventually(ekspedert, what="the decision ekspedert")
    [recipient] = sent["korrespondansepart"]
    assert sent["journalstatus"]["kode"] == "E", {k: v for k, v in recipient.items() if k.startswith("forsendelse")}
    assert sent["sendtDato"] == today

    # Exactly one delivery at SvarUt, with the expected metadata.
    items = (await s.simulator("/_simulator/forsendelser"))["items"]
    assert len(items) == 1, items
    assert items[0]["eksternReferanse"].endswith(f":{recipient['systemID']}")
    received = await s.simulator(f"/_simulator/forsendelser/{items[0]['id']}")
    assert (received["channel"], received["sikkerhetsniva"], received["kryptert"]) == ("person", "HOYESTE", True)
    forsendelse = received["forsendelse"]
    assert forsendelse["mottaker"]["digitalId"] == fnr and forsendelse["mottaker"]["navn"] == client_name
    assert forsendelse["tittel"] == "Vedtak om introduksjonsprogram" and forsendelse["avgivendeSystem"] == "Arkiv5"
    [document] = received["documents"]
    assert document["filnavn"].endswith(".pdf") and document["decrypted_is_pdf"] is True
    deliveries = (await s.simulator("/_simulator/deliveries"))["deliveries"]
    assert list(deliveries.values()) == [1], deliveries
    # IT follows the letter in the gateway's read API with the monitoring client.
    dispatches = _ok(await s.service("svarut-gateway", "GET", "/dispatches", overvaking,
                                     params={"journalpost_id": vedtak_id}))["items"]
    [dispatch] = dispatches
    [state] = dispatch["recipients"]
    assert state["recipient_id"] == recipient["systemID"] and state["state"] in ("ACCEPTED", "COMPLETED")
    assert fnr not in str(dispatches) and client_name not in str(dispatches)

    # 6. The decision is journalført; the post is signed off by it and leaves the restanseliste.
    _ok(await s.journal("POST", f"/journalposter/{vedtak_id}/journalstatus", arkivleder, json={"journalstatus": "J"}))
    not_yet = await s.journal("POST", f"/saksmapper/{case_id}/avslutt", arkivleder)
    assert not_yet.status_code == 409, not_yet.text  # the post is not signed off yet
    _ok(await s.journal("POST", f"/journalposter/{post_id}/avskrivninger", saksbehandler, json={
        "avskrivningsmaate": "BU", "referanseAvskrivesAvJournalpost": vedtak_id}), 201)
    restanser = _ok(await s.journal("GET", "/rapporter/restanseliste", arkivleder))
    assert post_id not in [r["journalpost"] for r in restanser]

    # 7. The nightly batch, run now by IT for today's J date — twice; the second converts nothing again.
    async def batch_ended(runs: int) -> dict[str, Any]:
        async def ended() -> dict[str, Any] | None:
            status = _ok(await s.service("conversion", "GET", f"/internal/batches/{today}", drift))
            return status if status["status"] == "done" and status["runs"] == runs else None

        return await eventually(ended, what=f"batch run {runs} ended")

    async def variants() -> dict[str, dict[str, str]]:
        documents = _ok(await s.journal("GET", f"/journalposter/{post_id}/dokumenter", arkivleder))
        return {d["tittel"]: {o["variantformat"]["kode"]: o["systemID"] for o in d["dokumentobjekt"]}
                for d in documents}

    assert await variants() == {"Søknad": {"P": letter_p}, "Oppholdstillatelse": {"P": scan_p}}

    # IT first sees that conversion knows both of today's journalførte posts (the J events arrive by Kafka).
    async def both_known() -> dict[str, Any] | None:
        status = _ok(await s.service("conversion", "GET", f"/internal/batches/{today}", drift))
        return status if status["journalposts"] == 2 else None

    before = await eventually(both_known, what="conversion knows both journalposts")
    assert before["status"] == "not-started" and before["journalposts_not_yet_listed"] == 2
    started = _ok(await s.service("conversion", "POST", "/internal/batches", drift, json={"from": today}), 202)
    assert started["started"] == [today]
    first = await batch_ended(1)
    assert first["journalposts"] == 2 and first["journalposts_not_yet_listed"] == 0
    assert first["documents"] == {"done": 3, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
    converted = await variants()
    assert set(converted["Søknad"]) == {"P", "A"}  # the letter to PDF/A
    assert converted["Oppholdstillatelse"] == {"P": scan_p}  # the PNG kept as it is

    _ok(await s.service("conversion", "POST", "/internal/batches", drift, json={"from": today}), 202)
    second = await batch_ended(2)
    assert second["documents"] == first["documents"]
    assert await variants() == converted  # nothing converted twice

    # 8. Closing: every incoming document signed off, so the archive closes the case.
    closed = _ok(await s.journal("POST", f"/saksmapper/{case_id}/avslutt", arkivleder))
    assert closed["saksstatus"]["kode"] == "A"

    # 9. The public journal: both entries, the screened stays screened.
    offentlig = await s.journal("GET", "/rapporter/offentlig-journal", arkivleder, params={"fra": today, "til": today})
    entries = {e["journalsekvensnummer"]: e for e in _ok(offentlig)}
    assert {post["journalsekvensnummer"], vedtak["journalsekvensnummer"]} <= set(entries)
    assert fnr not in offentlig.text and client_name not in offentlig.text
    public_post = entries[post["journalsekvensnummer"]]
    assert "*****" in public_post["offentligTittel"] and public_post["korrespondansepart"] == ["*****"]
    assert public_post["tilgangsrestriksjon"] == "KL"

    # 10. The quality report: the PNG kept by policy is told apart from a document not converted.
    async def report() -> list[dict[str, Any]] | None:
        findings = _ok(await s.journal("GET", "/rapporter/kvalitet", arkivleder, params={"fra": today, "til": today}))
        mine = [f for f in findings if f["saksmappe"] == case_id]
        return mine if all(f["kontroll"] != "ikke-konvertert" for f in mine) and mine else None

    findings = await eventually(report, what="the conversion results in the journal")
    assert [(f["kontroll"], f["dokumentobjekt"], f["kreverTiltak"]) for f in findings] == [
        ("beholdt-etter-policy", scan_p, False)]
