"""Intake mounted in the one-process suite: a fagsystem's arkivmelding reaches the journal.

The suite is served by uvicorn on a free port, so intake calls the journal over HTTP with
its own client credentials from the access service, exactly as `make run` wires it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from arkiv5_suite.app import DEMO_CLIENT_SECRET, create_suite_app
from processes import free_port

OPPRETT = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett"
MDK = 'xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"'
MESSAGE = f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
              xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>Byggesak</system><antallFiler>1</antallFiler>
  <mappe xsi:type="saksmappe"><tittel>Byggesak Storgata 1</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>Byggesak</fagsystem><noekkel {MDK}>sak-17</noekkel></referanseEksternNoekkel>
  </mappe>
  <registrering xsi:type="journalpost">
    <referanseForelderMappe><referanseEksternNoekkel {MDK}><fagsystem>Byggesak</fagsystem><noekkel>sak-17</noekkel></referanseEksternNoekkel></referanseForelderMappe>
    <dokumentbeskrivelse>
      <dokumentstatus><kode {MDK}>F</kode></dokumentstatus>
      <tittel>Søknad</tittel>
      <tilknyttetRegistreringSom><kode {MDK}>H</kode></tilknyttetRegistreringSom>
      <dokumentobjekt><filnavn>soknad.txt</filnavn><referanseDokumentfil>soknad.txt</referanseDokumentfil></dokumentobjekt>
    </dokumentbeskrivelse>
    <tittel>Søknad om tilbygg</tittel>
    <korrespondansepart><korrespondanseparttype><kode {MDK}>EA</kode></korrespondanseparttype>
      <korrespondansepartNavn>Lindesnes Bygg AS</korrespondansepartNavn></korrespondansepart>
    <referanseEksternNoekkel><fagsystem {MDK}>Byggesak</fagsystem><noekkel {MDK}>jp-17-1</noekkel></referanseEksternNoekkel>
    <journalposttype><kode {MDK}>I</kode></journalposttype>
    <mottattDato>2026-12-01T09:30:00+01:00</mottattDato>
  </registrering>
</arkivmelding>""".encode()


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(create_suite_app(var_dir=tmp_path / "var", base_url=base),
                                           host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="suite", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the suite did not start"
        await asyncio.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def test_a_fagsystem_archives_through_intake_in_the_suite(base: str) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        token = (await http.post(f"{base}/access/oauth2/token", auth=("demo-fagsystem", DEMO_CLIENT_SECRET), data={
            "grant_type": "client_credentials", "audience": "intake", "scope": "intake.fiks-arkiv"})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Fiks-Meldingstype": OPPRETT,
                   "Klient-Melding-Id": "b7a0c7a2-1f4e-4f43-9d1e-0c1c2a6f0e11"}
        response = await http.post(f"{base}/intake/fiks-arkiv/meldinger", headers=headers, files=[
            ("melding", ("arkivmelding.xml", MESSAGE, "application/xml")),
            ("soknad.txt", ("soknad.txt", "Vi søker om tilbygg.".encode(), "text/plain"))])
        assert response.status_code == 200, response.text
        svar = response.json()["svar"]
        assert [s["meldingstype"] for s in svar] == [f"{OPPRETT}.mottatt", f"{OPPRETT}.kvittering"], svar
        assert "<opprettetEllerEksisterende>Opprettet</opprettetEllerEksisterende>" in svar[1]["xml"]
        assert "journalpostnummer" in svar[1]["xml"]
