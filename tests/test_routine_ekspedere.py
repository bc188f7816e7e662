"""Sending never twice, end to end over HTTP on the one-process suite (`make run`'s app).

`ekspedere` is called concurrently and again in sequence, one recipient is refused by the
SvarUt gateway (no number and no postal address), the case handler corrects that
korrespondansepart and sends again: the SvarUt simulator receives exactly one letter per
recipient, and the journal shows each recipient's state and reason on the way.
"""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from suite_harness import Suite, claims, eventually, fodselsnummer, png_bytes, suite

__all__ = ["suite"]  # the fixture, imported for pytest

OSLO = ZoneInfo("Europe/Oslo")
RNG = random.Random(1313)


def _pdf(text: str) -> bytes:
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


async def _letters(s: Suite, jp: str, token: str) -> dict[str, dict[str, Any]]:
    """Each recipient's newest letter, as the journal shows it."""
    response = await s.journal("GET", f"/journalposter/{jp}/forsendelser", token)
    assert response.status_code == 200, response.text
    return {letter["korrespondansepart"]: letter for letter in response.json()}


async def test_ekspedere_twice_concurrently_and_again_after_a_correction_delivers_once_per_recipient(
    suite: Suite,
) -> None:
    s = suite
    saksbehandler = await s.person_token("saksbehandler")
    leder = await s.person_token("leder")
    handler_id = claims(saksbehandler)["person_id"]
    case = await _until(lambda: s.journal("POST", "/saksmapper", saksbehandler, json={
        "tittel": "Tildeling av tjenester", "administrativEnhet": s.units["HO-BV"], "saksansvarlig": handler_id}),
        201, "the case registered")
    registered = await s.journal("POST", f"/saksmapper/{case.json()['systemID']}/journalposter", saksbehandler, json={
        "journalposttype": "U", "tittel": "Vedtak om tildeling", "erVedtak": True, "saksbehandler": handler_id,
        "dokumentetsDato": datetime.now(OSLO).date().isoformat(), "korrespondansepart": [
            {"korrespondanseparttype": "EM", "korrespondansepartNavn": "Kari Nordmann",
             "foedselsnummer": fodselsnummer(RNG), "postadresse": ["Storgata 1"], "postnummer": "0155",
             "poststed": "OSLO"},
            {"korrespondanseparttype": "EM", "korrespondansepartNavn": "Ola Hansen"},  # nowhere to send it
        ]})
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    parts = {p["korrespondansepartNavn"]: p["systemID"] for p in registered.json()["korrespondansepart"]}
    kari, ola = parts["Kari Nordmann"], parts["Ola Hansen"]
    uploaded = await s.journal("POST", f"/journalposter/{jp}/dokumenter", saksbehandler, params={
        "tittel": "Vedtak", "filnavn": "vedtak.pdf"}, content=_pdf("Vedtak"), headers={"Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text
    # A map as PNG: the archive keeps it as it is (an approved format), the letter needs a PDF.
    attached = await s.journal("POST", f"/journalposter/{jp}/dokumenter", saksbehandler, params={
        "tittel": "Kart", "filnavn": "kart.png", "tilknyttetRegistreringSom": "V"}, content=png_bytes(),
        headers={"Content-Type": "image/png"})
    assert attached.status_code == 201, attached.text
    await _until(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", saksbehandler,
                                   json={"journalstatus": "F"}), 200, "the handler's rights")
    too_early = await s.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert too_early.status_code == 409 and too_early.json()["allowed"] == ["G"], too_early.text
    await _until(lambda: s.journal("POST", f"/journalposter/{jp}/journalstatus", leder,
                                   json={"journalstatus": "G"}), 200, "the leader's rights")

    # Twice at once, then once more: one dispatch, one letter per recipient.
    answers = await asyncio.gather(*(s.journal("POST", f"/journalposter/{jp}/ekspedere", leder) for _ in range(2)))
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    again = await s.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert again.status_code in (202, 409), again.text
    dispatches = {f["dispatchID"] for a in answers for f in a.json()["forsendelser"]}
    assert len(dispatches) == 1

    async def settled() -> dict[str, dict[str, Any]] | None:
        letters = await _letters(s, jp, leder)
        done = letters.get(kari, {}).get("state") in ("accepted", "delivered")
        return letters if done and letters.get(ola, {}).get("state") == "rejected" else None

    letters = await eventually(settled, what="Kari's letter accepted and Ola's refused")
    assert letters[ola]["reasonCode"] == "no-valid-address" and "Correct the korrespondansepart" in letters[ola]["reason"]

    # The handler corrects Ola's address and sends again: Ola's letter alone goes.
    read = await s.journal("GET", f"/journalposter/{jp}", leder)
    corrected = await s.journal("PATCH", f"/journalposter/{jp}/korrespondanseparter/{ola}", leder,
                                json={"postadresse": ["Kirkegata 2"], "postnummer": "4514", "poststed": "MANDAL"},
                                headers={"If-Match": read.headers["ETag"],
                                         "Content-Type": "application/merge-patch+json"})
    assert corrected.status_code == 200, corrected.text
    resent = await s.journal("POST", f"/journalposter/{jp}/ekspedere", leder)
    assert resent.status_code == 202, resent.text
    now = {f["korrespondansepart"]: f for f in resent.json()["forsendelser"]}
    assert now[ola]["dispatchID"] not in dispatches and now[kari]["dispatchID"] in dispatches

    async def sent() -> dict[str, Any] | None:
        body = (await s.journal("GET", f"/journalposter/{jp}", leder)).json()
        return body if body["journalstatus"]["kode"] == "E" else None

    await eventually(sent, what="journalstatus E")
    await asyncio.sleep(1.0)  # anything sent twice would have arrived by now
    items = (await s.simulator("/_simulator/forsendelser"))["items"]
    per_recipient = {part: [i for i in items if i["eksternReferanse"].endswith(f":{part}")] for part in (kari, ola)}
    assert {part: len(found) for part, found in per_recipient.items()} == {kari: 1, ola: 1}, items
    assert len(items) == 2
    deliveries = (await s.simulator("/_simulator/deliveries"))["deliveries"]
    assert sorted(deliveries.values()) == [1, 1], deliveries
    # Each letter carries both documents as PDF: the PNG as a copy made for sending.
    for item in items:
        assert [(d["filnavn"], d["mimeType"]) for d in item["documents"]] == [
            ("vedtak.pdf", "application/pdf"), ("kart.png.pdf", "application/pdf")], item["documents"]
