"""The README's fagsystem walk, on the one-process suite and on the distributed suite alike.

The distributed suite (`tests/support/distributed_suite.py`) is what `make run-distributed`
starts: every service its own process on its own PostgreSQL database, events over Kafka,
seeded and wired from the same place as `make run`. Each walk registers a case, an incoming
letter with its PDF, finds it by search, downloads the PDF byte-exact and reads the public
journal, where the screened name in the title is replaced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed_suite import DistributedSuite, distributed_suite
from hostile_suite import RunningSuite, suite_on

from processes import CLEAN_EXIT
from project import ROOT, load_script
from suite_harness import docx_bytes, pdf_bytes

Suite = RunningSuite | DistributedSuite
SERVICES = ["journal", "access", "conversion", "svarut-gateway", "intake"]


def until(check: Callable[[], httpx.Response | None], what: str, timeout_s: float = 90) -> httpx.Response:
    """Events cross the bus asynchronously (rights to the journal, the search index)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = check()
        if response is not None:
            return response
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_readme_fagsystem_walk_on_the_one_process_suite(tmp_path: Path) -> None:
    with suite_on("sqlite", tmp_path / "var") as suite:
        fagsystem_walk(suite)


def test_make_run_distributed_is_seeded_wired_and_walks_the_readme_and_stops_cleanly(tmp_path: Path) -> None:
    with distributed_suite(tmp_path) as suite:
        fagsystem_walk(suite)
        for service in SERVICES:
            metrics = suite.http.get(suite.url(service, "/metrics"))
            assert metrics.status_code == 200
            assert f'arkiv5_build_info{{service="{service}"' in metrics.text
        outgoing_letter_is_sent(suite)
        noark5_login_is_discovered_from_the_root(suite)
    assert set(suite.exit_codes) == {*SERVICES, "svarut-simulator"}
    assert all(code in CLEAN_EXIT for code in suite.exit_codes.values()), suite.exit_codes
    for service in SERVICES:
        log = (suite.logs_dir / f"{service}.log").read_text()
        assert "service stopped" in log, service


@pytest.mark.images
def test_the_suite_runs_from_its_images_and_walks_the_readme_with_their_converters(tmp_path: Path) -> None:
    """`make run-images`: every process a container of its image (`make images`), as root with
    podman, wired like `make run-distributed`. On request only (ARKIV5_TEST_IMAGES=1; IMAGE_PREFIX,
    IMAGE_TAG, STORAGE_DRIVER as the build had them): CI builds no images, so without the request
    the root conftest deselects it; with the request, missing images fail it."""
    distributed = load_script("run_distributed")
    images = distributed.ContainerImages(
        os.environ.get("IMAGE_PREFIX", distributed.ContainerImages.prefix),
        os.environ.get("IMAGE_TAG", distributed.ContainerImages.tag),
        os.environ.get("STORAGE_DRIVER", distributed.ContainerImages.storage_driver))
    assert not (absent := images.missing()), f"missing {', '.join(absent)} (make images)"
    with distributed_suite(tmp_path, images=images) as suite:
        overvaking = suite.client_token("demo-overvaking", "conversion.report", "conversion")
        engines = suite.http.get(suite.url("conversion", "/internal/engines"),
                                 headers={"Authorization": f"Bearer {overvaking}"})
        assert engines.status_code == 200, engines.text
        assert {engine: engines.json()[engine] for engine in ("libreoffice", "ghostscript", "verapdf")} == {
            "libreoffice": "ok", "ghostscript": "ok", "verapdf": "ok"}, engines.json()
        assert engines.json()["validator"] == "verapdf"
        fagsystem_walk(suite)
        incoming_letters_get_their_archival_pdfa(suite)
        outgoing_letter_is_sent(suite)
    assert set(suite.exit_codes) == {*SERVICES, "svarut-simulator"}
    assert all(code in distributed.CLEAN_EXIT for code in suite.exit_codes.values()), suite.exit_codes
    for service in SERVICES:
        assert "service stopped" in (suite.logs_dir / f"{service}.log").read_text(), service


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def incoming_letters_get_their_archival_pdfa(s: Suite) -> None:
    """An incoming letter as DOCX (LibreOffice) and as PDF (Ghostscript) reaches J and gets its
    archival PDF/A variant, validated by veraPDF, in the conversion service's own process."""
    fagsystem = s.client_token("demo-fagsystem", "journal.read journal.write", "journal")
    auth = {"Authorization": f"Bearer {fagsystem}"}
    case = s.http.post(s.url("journal", "/saksmapper"), headers=auth, json={
        "tittel": "Søknad om tjenester", "administrativEnhet": s.units["HO-BV"]})
    assert case.status_code == 201, case.text
    for content, media_type, filnavn in ((docx_bytes("Jeg søker om tjenester."), DOCX, "soknad.docx"),
                                         (pdf_bytes(), "application/pdf", "vedlegg.pdf")):
        registered = s.http.post(s.url("journal", f"/saksmapper/{case.json()['systemID']}/journalposter"),
                                 headers=auth, json={
            "journalposttype": "I", "tittel": "Søknad om tjenester", "mottattDato": date.today().isoformat(),
            "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Lindesnes Bygg AS",
                                    "organisasjonsnummer": "974760673"}]})
        assert registered.status_code == 201, registered.text
        jp = registered.json()["systemID"]
        uploaded = s.http.post(s.url("journal", f"/journalposter/{jp}/dokumenter"), headers={
            **auth, "Content-Type": media_type}, params={"tittel": "Søknad", "filnavn": filnavn}, content=content)
        assert uploaded.status_code == 201, uploaded.text

        def archival(jp: str = jp) -> httpx.Response | None:
            response = s.http.get(s.url("journal", f"/journalposter/{jp}"), headers=auth)
            [beskrivelse] = response.json()["dokumentbeskrivelse"]
            return response if any(o["variantformat"]["kode"] == "A" for o in beskrivelse["dokumentobjekt"]) else None

        [beskrivelse] = until(archival, f"the archival variant of {filnavn}", timeout_s=300).json()["dokumentbeskrivelse"]
        variants = {o["variantformat"]["kode"]: o for o in beskrivelse["dokumentobjekt"]}
        assert variants["A"]["format"] == "application/pdf"
        assert variants["A"]["formatDetaljer"] in ("fmt/477", "fmt/476", "fmt/478"), variants["A"]
        pdfa = s.http.get(s.url("journal", f"/dokumentobjekter/{variants['A']['systemID']}/fil"), headers=auth)
        assert pdfa.status_code == 200 and pdfa.content.startswith(b"%PDF-")


def noark5_login_is_discovered_from_the_root(s: Suite) -> None:
    """The journal and access on ports of their own: the Noark 5 root's OpenID configuration
    names the access service's issuer, token endpoint and JWKS as they really are."""
    rel = "https://rel.arkivverket.no/noark5/v5/api/login/oidc/"
    root = s.http.get(s.url("journal", "/noark5/api/"), headers={"Accept": "application/vnd.noark5+json"})
    configuration = s.http.get(root.json()["_links"][rel]["href"]).json()
    signed_in = s.http.post(configuration["token_endpoint"], data={
        "grant_type": "password", "username": "saksbehandler", "password": "demo-password", "audience": "journal"})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    payload = token.split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"] == configuration["issuer"]
    assert s.http.get(configuration["jwks_uri"]).json() == s.http.get(s.url("access", "/.well-known/jwks.json")).json()
    packages = s.http.get(root.json()["_links"]["self"]["href"], headers={"Authorization": f"Bearer {token}"})
    assert packages.status_code == 200 and "https://rel.arkivverket.no/noark5/v5/api/sakarkiv/" in packages.json()["_links"]


def outgoing_letter_is_sent(s: Suite) -> None:
    """The journal, the gateway (its client, Maskinporten at the simulator) and SvarUt connected:
    an approved outgoing PDF letter to an organisation goes out once and the journalpost becomes E."""
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    saksbehandler_id = s.http.get(s.url("access", "/me"),
                                  headers=auth(s.person_token("saksbehandler", "access"))).json()["person_id"]
    saksbehandler, leder = s.person_token("saksbehandler", "journal"), s.person_token("leder", "journal")
    fagsystem = s.client_token("demo-fagsystem", "journal.read journal.write", "journal")
    case = s.http.post(s.url("journal", "/saksmapper"), headers=auth(fagsystem), json={
        "tittel": "Tildeling av tjenester", "administrativEnhet": s.units["HO-BV"], "saksansvarlig": saksbehandler_id})
    assert case.status_code == 201, case.text
    registered = s.http.post(s.url("journal", f"/saksmapper/{case.json()['systemID']}/journalposter"),
                             headers=auth(fagsystem), json={
        "journalposttype": "U", "tittel": "Vedtak om tildeling", "erVedtak": True, "saksbehandler": saksbehandler_id,
        "dokumentetsDato": date.today().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EM", "korrespondansepartNavn": "Lindesnes Bygg AS",
                                "organisasjonsnummer": "974760673", "postadresse": ["Storgata 1"],
                                "postnummer": "4514", "poststed": "Mandal"}]})
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    uploaded = s.http.post(s.url("journal", f"/journalposter/{jp}/dokumenter"), headers={
        **auth(fagsystem), "Content-Type": "application/pdf"}, params={"tittel": "Vedtak", "filnavn": "vedtak.pdf"},
        content=pdf_bytes())
    assert uploaded.status_code == 201, uploaded.text
    for token, status in ((saksbehandler, "F"), (leder, "G")):
        response = s.http.post(s.url("journal", f"/journalposter/{jp}/journalstatus"), headers=auth(token),
                               json={"journalstatus": status})
        assert response.status_code == 200, response.text
    ekspedert = s.http.post(s.url("journal", f"/journalposter/{jp}/ekspedere"), headers=auth(leder))
    assert ekspedert.status_code == 202, ekspedert.text

    def sent() -> httpx.Response | None:
        response = s.http.get(s.url("journal", f"/journalposter/{jp}"), headers=auth(leder))
        return response if response.json()["journalstatus"]["kode"] == "E" else None

    body = until(sent, "journalstatus E").json()
    assert body["harForsendelsesfeil"] is False
    deliveries = s.simulator("/_simulator/deliveries")["deliveries"]
    assert list(deliveries.values()) == [1], deliveries


def fagsystem_walk(s: Suite) -> None:
    """README: a case, an incoming letter with its PDF, search, download byte-exact, public journal."""
    http = s.http
    journal_token = s.person_token("saksbehandler", audience="journal")
    auth = {"Authorization": f"Bearer {journal_token}"}
    me = http.get(s.url("access", "/me"),
                  headers={"Authorization": f"Bearer {s.person_token('saksbehandler', audience='access')}"})
    assert me.status_code == 200, me.text
    person_id, unit_id = me.json()["person_id"], me.json()["unit_id"]
    assert unit_id

    def create_case() -> httpx.Response | None:
        response = http.post(s.url("journal", "/saksmapper"), headers=auth, json={
            "tittel": "Byggesak Storgata 1 - tilbygg", "administrativEnhet": unit_id, "saksansvarlig": person_id})
        if response.status_code == 201:
            return response
        # Until the seed's rights have reached the journal the case handler is refused.
        assert response.status_code == 403, response.text
        return None

    case = until(create_case, "the case handler's rights in the journal").json()
    assert case["saksstatus"]["kode"] == "B"

    pdf = pdf_bytes()
    journalpost: dict[str, Any] = {
        "journalposttype": "I", "tittel": "Søknad om tilbygg fra Ola Hansen", "skjermedeOrd": ["Ola Hansen"],
        "mottattDato": date.today().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Hansen",
                                "postadresse": ["Storgata 1"], "postnummer": "4514", "poststed": "Mandal"}],
        "dokumentbeskrivelse": [{"fil": "soknad", "tittel": "Søknad", "sjekksum": hashlib.sha256(pdf).hexdigest()}],
    }
    registered = http.post(s.url("journal", f"/saksmapper/{case['systemID']}/journalposter"), headers=auth, files=[
        ("journalpost", (None, json.dumps(journalpost), "application/json")),
        ("soknad", ("soknad.pdf", pdf, "application/pdf")),
    ])
    assert registered.status_code == 201, registered.text
    jp = registered.json()
    assert jp["journalstatus"]["kode"] == "J"
    assert jp["offentligTittel"] == "Søknad om tilbygg fra *****"
    [beskrivelse] = jp["dokumentbeskrivelse"]
    [objekt] = beskrivelse["dokumentobjekt"]
    assert objekt["sjekksum"] == hashlib.sha256(pdf).hexdigest()

    def found() -> httpx.Response | None:
        response = http.get(s.url("journal", "/sok"), headers=auth, params={"q": "tilbygg"})
        assert response.status_code == 200, response.text
        return response if any(hit["systemID"] == jp["systemID"] for hit in response.json()["results"]) else None

    until(found, "the journalpost in the search")

    download = http.get(s.url("journal", f"/dokumentobjekter/{objekt['systemID']}/fil"), headers=auth)
    assert download.status_code == 200, download.text
    assert download.content == pdf
    assert download.headers["content-type"].startswith("application/pdf")

    today = date.today()
    public = http.get(s.url("journal", "/rapporter/offentlig-journal"), headers=auth, params={
        "fra": (today - timedelta(days=1)).isoformat(), "til": (today + timedelta(days=1)).isoformat()})
    assert public.status_code == 200, public.text
    [line] = [row for row in public.json() if row["journalpostnummer"] == jp["journalpostnummer"]
              and row["mappeID"] == case["mappeID"]]
    assert line["offentligTittel"] == "Søknad om tilbygg fra *****"
    assert "Søknad om tilbygg fra Ola Hansen" not in public.text


def test_a_service_without_its_wiring_refuses_to_start_and_names_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNAL_", "SVARUT_GATEWAY_"))}
    env["JOURNAL_VAR_DIR"] = env["SVARUT_GATEWAY_VAR_DIR"] = str(tmp_path)
    journal = subprocess.run([sys.executable, "-m", "arkiv5_journal", "serve", "--port", "1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert journal.returncode == 2
    assert "JOURNAL_JWKS_URL" in journal.stderr and "JOURNAL_TOKEN_ISSUER" in journal.stderr
    gateway = subprocess.run([sys.executable, "-m", "arkiv5_svarut_gateway", "serve", "--port", "1"],
                             cwd=ROOT, env={**env, "SVARUT_GATEWAY_JWKS_URL": "http://127.0.0.1:1/jwks",
                                            "SVARUT_GATEWAY_TOKEN_ISSUER": "x"},
                             capture_output=True, text=True, timeout=120)
    assert gateway.returncode == 2
    for name in ("SVARUT_GATEWAY_TOKEN_URL", "SVARUT_GATEWAY_CLIENT_ID", "SVARUT_GATEWAY_CLIENT_SECRET"):
        assert name in gateway.stderr
    assert "JWKS_URL" not in gateway.stderr.split("(")[0]
