"""The quality report and the conversion service's results: a document the format policy keeps
as it is is told apart from one that is not converted (the only one to act on)."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

from arkiv5_contracts.events.conversion import ConversionDone

from .conftest import Journal, case, eventually, incoming, publish


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (20, 20), color=200).save(out, format="PNG")
    return out.getvalue()


async def _upload(journal: Journal, headers: dict[str, str], jp: str, content: bytes, media_type: str) -> str:
    response = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=content, headers={
        **headers, "Content-Type": media_type}, params={"tittel": "Dokument", "skanningKontrollert": "true"})
    assert response.status_code == 201, response.text
    return str(response.json()["dokumentobjekt"][0]["systemID"])


async def test_a_document_kept_by_policy_is_not_a_finding_to_act_on(journal: Journal) -> None:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()["systemID"]
    registered = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", headers=headers, json=incoming(
        tittel="Søknad om økonomisk sosialhjelp", offentlighetsvurdertDato=date.today().isoformat()))
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    png = await _upload(journal, headers, jp, _png(), "image/png")
    pdf = await _upload(journal, headers, jp, b"%PDF-1.7\n%%EOF\n", "application/pdf")
    today = date.today().isoformat()

    async def findings() -> list[tuple[str, Any, bool]]:
        report = await journal.client.get("/rapporter/kvalitet", params={"fra": today, "til": today}, headers=headers)
        assert report.status_code == 200, report.text
        return [(f["kontroll"], f["dokumentobjekt"], f["kreverTiltak"]) for f in report.json()
                if f["kontroll"] in ("ikke-konvertert", "beholdt-etter-policy")]

    # Before the conversion service has said anything, both are "not converted".
    assert sorted(await findings()) == sorted([("ikke-konvertert", png, True), ("ikke-konvertert", pdf, True)])

    # The conversion service kept the PNG as it is (its archival variant is itself) — twice, as a
    # redelivered or repeated result would.
    for _ in range(2):
        await publish(journal, ConversionDone(
            job_id=uuid.uuid4(), journalpost_id=uuid.UUID(jp), source_dokumentobjekt_id=uuid.UUID(png),
            archival_dokumentobjekt_id=uuid.UUID(png), source_puid="fmt/11", archival_puid="fmt/11",
            sha256="0" * 64, size=1))

    async def kept() -> list[tuple[str, Any, bool]] | None:
        found = await findings()
        return found if ("beholdt-etter-policy", png, False) in found else None

    found = await eventually(kept)
    assert sorted(found) == sorted([("beholdt-etter-policy", png, False), ("ikke-konvertert", pdf, True)])
    csv = await journal.client.get("/rapporter/kvalitet", params={"fra": today, "til": today, "format": "csv"},
                                   headers=headers)
    assert "beholdt-etter-policy" in csv.text and "kreverTiltak" in csv.text
