"""The gateway end to end (no faults): refusals back to the journal, documents, screened letters."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfWriter
from sqlalchemy import select
from svarut_helpers import (
    address,
    break_check_digit,
    gateway_settings,
    make_fnr,
    make_orgnr,
    material_for,
    publish,
    read_events,
)

from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchRejected, DispatchStatusChanged
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_contracts.topics import DISPATCH_STATUS
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_svarut_gateway.app import create_app
from arkiv5_svarut_gateway.domain.material import Recipient
from arkiv5_svarut_gateway.models import DispatchState, Forsendelse
from arkiv5_svarut_gateway.simulator import SimulatorConfig, create_simulator_app
from arkiv5_svarut_gateway.testing import FakeConversion, FakeJournal, minimal_pdf

RNG = random.Random(7)


def self_signed_certificate() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svarut-simulator")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Harness:
    def __init__(self, tmp_path: Path, *, sim_config: SimulatorConfig | None = None,
                 wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
                 **settings: object) -> None:
        self.sim_app = create_simulator_app(sim_config or SimulatorConfig(status_step_s=0.05))
        self.sim = self.sim_app.state.simulator
        transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=self.sim_app)
        self.http = httpx.AsyncClient(transport=wrap(transport) if wrap else transport)
        self.bus = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
        self.journal = FakeJournal()
        self.conversion = FakeConversion(self.journal)
        values: dict[str, object] = {"svarut_encryption_certificate_pem": self_signed_certificate()}
        values.update(settings)
        self.app = create_app(
            gateway_settings(tmp_path, "http://sim", **values),
            bus=self.bus, journal=self.journal, conversion=self.conversion, svarut_http=self.http,
        )

    async def dispatch(self, recipients: list[Recipient], **kwargs) -> tuple[DispatchRequested, object]:  # type: ignore[no-untyped-def]
        material, content = material_for(recipients, **kwargs)
        self.journal.add(material, content)
        event = DispatchRequested(
            dispatch_id=uuid.uuid4(), journalpost_id=material.journalpost_id,
            recipient_ids=[r.korrespondansepart_id for r in recipients],
            dokumentobjekt_ids=[d.dokumentobjekt_id for d in material.documents],
        )
        return event, material

    async def run(self, *events: DispatchRequested, until: set[str] | None = None) -> list:  # type: ignore[type-arg]
        await publish(self.bus, *events)
        until = until or {DispatchState.COMPLETED, DispatchState.REJECTED}
        expected = sum(len(e.recipient_ids) for e in events)
        for _ in range(200):
            async with self.app.state.runtime.database.unit_of_work() as session:
                rows = (await session.execute(select(Forsendelse))).scalars().all()
            if len(rows) >= expected and all(r.state in until for r in rows):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"not done: {[r.state for r in rows]}")
        await asyncio.sleep(0.3)
        return [e.data for e in await read_events(self.bus, DISPATCH_STATUS)]


@pytest.fixture
async def harness(tmp_path: Path, db_backend: Any) -> AsyncIterator[Harness]:
    """On SQLite and on PostgreSQL (the root `db_backend` fixture): the gateway's state is its database."""
    h = Harness(tmp_path, database_url=db_backend.url)
    await h.app.state.runtime.start()
    try:
        yield h
    finally:
        await h.app.state.runtime.stop()
        await h.http.aclose()


def person(**values: object) -> Recipient:
    return Recipient(korrespondansepart_id=uuid.uuid4(), navn="Kari Nordmann", **values)  # type: ignore[arg-type]


async def test_one_forsendelse_per_recipient_each_reported(harness: Harness) -> None:
    recipients = [person(fodselsnummer=make_fnr(RNG)), person(organisasjonsnummer=make_orgnr(RNG)),
                  person(postadresse=address())]
    event, _ = await harness.dispatch(recipients)
    events = await harness.run(event)
    assert sorted(harness.sim.deliveries.values()) == [1, 1, 1]
    channels = sorted(f.channel for f in harness.sim.forsendelser.values())
    assert channels == ["organisasjon", "person", "print"]
    accepted = [e for e in events if isinstance(e, DispatchAccepted)]
    assert {e.recipient_id for e in accepted} == {r.korrespondansepart_id for r in recipients}
    terminal = [e for e in events if isinstance(e, DispatchStatusChanged) and e.is_terminal]
    assert len(terminal) == 3 and all(e.dispatch_id == event.dispatch_id for e in terminal)


async def test_unaddressable_recipient_is_refused_back_to_the_journal_without_personal_data(harness: Harness) -> None:
    fnr = break_check_digit(make_fnr(RNG))
    event, _ = await harness.dispatch([person(fodselsnummer=fnr, postadresse=address())])
    events = await harness.run(event)
    [rejected] = [e for e in events if isinstance(e, DispatchRejected)]
    assert rejected.reason_code == "invalid-fodselsnummer" and rejected.dispatch_id == event.dispatch_id
    assert "check digits" in rejected.reason
    assert fnr not in rejected.model_dump_json() and "Kari" not in rejected.model_dump_json()
    assert not harness.sim.deliveries


async def test_password_protected_pdf_is_refused_before_sending(harness: Harness) -> None:
    event, material = await harness.dispatch([person(postadresse=address())])
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("hemmelig")
    buffer = io.BytesIO()
    writer.write(buffer)
    harness.journal.content[material.documents[0].dokumentobjekt_id] = buffer.getvalue()  # type: ignore[attr-defined]
    events = await harness.run(event)
    [rejected] = [e for e in events if isinstance(e, DispatchRejected)]
    assert rejected.reason_code == "password-protected-pdf"
    assert not harness.sim.deliveries


async def test_documents_without_an_archival_pdf_are_converted_on_demand(harness: Harness) -> None:
    event, material = await harness.dispatch([person(postadresse=address())], documents=2)
    docx = material.documents[1]  # type: ignore[attr-defined]
    docx.media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    docx.filnavn = "Vedtak.docx"
    docx.hoveddokument, material.documents[0].hoveddokument = True, False  # type: ignore[attr-defined]
    harness.journal.content[docx.dokumentobjekt_id] = b"PK\x03\x04 not a pdf"
    events = await harness.run(event)
    assert any(isinstance(e, DispatchAccepted) for e in events)
    assert list(harness.conversion.converted) == [docx.dokumentobjekt_id]


async def test_a_document_kept_as_it_is_goes_as_a_pdf_made_for_sending(harness: Harness) -> None:
    """A PNG is its own archival variant (no archival PDF): the letter carries a sending copy."""
    event, material = await harness.dispatch([person(postadresse=address())], documents=2)
    scan = material.documents[1]  # type: ignore[attr-defined]
    scan.media_type, scan.filnavn = "image/png", "Skanna vedlegg.png"
    harness.journal.content[scan.dokumentobjekt_id] = b"\x89PNG\r\n\x1a\n not a pdf"
    harness.conversion.kept.add(scan.dokumentobjekt_id)
    events = await harness.run(event)
    assert any(isinstance(e, DispatchAccepted) for e in events)
    assert harness.conversion.sending_copies == [scan.dokumentobjekt_id]
    [sent] = harness.sim.forsendelser.values()
    assert [(d["filnavn"], d["mimeType"]) for d in sent.record["documents"]] == [
        ("Vedtak.pdf", "application/pdf"), ("Skanna vedlegg.png.pdf", "application/pdf")]


async def test_screened_letter_to_a_person_is_encrypted_at_the_highest_level(harness: Harness) -> None:
    event, _ = await harness.dispatch([person(fodselsnummer=make_fnr(RNG))], skjermet=True)
    events = await harness.run(event)
    assert any(isinstance(e, DispatchAccepted) for e in events)
    assert harness.sim.rejected == []  # the simulator refuses HOYESTE without encrypted files


async def test_redelivered_request_creates_no_second_letter(harness: Harness) -> None:
    event, _ = await harness.dispatch([person(organisasjonsnummer=make_orgnr(RNG))])
    await publish(harness.bus, event)
    await harness.run(event)
    assert list(harness.sim.deliveries.values()) == [1]


def _record_downloads(harness: Harness) -> list[uuid.UUID]:
    downloaded: list[uuid.UUID] = []
    download = harness.journal.download

    async def recording(dokumentobjekt_id: uuid.UUID) -> bytes:
        downloaded.append(dokumentobjekt_id)
        return await download(dokumentobjekt_id)

    harness.journal.download = recording  # type: ignore[method-assign]
    return downloaded


def _with_archival_variant(harness: Harness, material) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """The hoveddokument becomes a DOCX whose archival PDF the journal already holds."""
    document = material.documents[0]
    document.media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document.filnavn = "Vedtak.docx"
    harness.journal.content[document.dokumentobjekt_id] = b"PK\x03\x04 not a pdf"
    archival = uuid.uuid4()
    document.archival_pdf_dokumentobjekt_id = archival
    harness.journal.add(material, {archival: minimal_pdf("Arkivversjon")})
    return archival


async def test_the_journals_archival_pdf_is_sent_and_nothing_is_converted(harness: Harness) -> None:
    event, material = await harness.dispatch([person(postadresse=address())], documents=1)
    archival = _with_archival_variant(harness, material)
    downloaded = _record_downloads(harness)
    events = await harness.run(event)
    assert any(isinstance(e, DispatchAccepted) for e in events)
    assert downloaded == [archival] and not harness.conversion.converted


async def test_a_request_naming_the_archival_variant_sends_that_document(harness: Harness) -> None:
    # DispatchRequested names each document by its production (P) dokumentobjekt; requests that
    # name the archival variant (A) instead still mean the same document and are sent, not refused.
    event, material = await harness.dispatch([person(postadresse=address())], documents=1)
    archival = _with_archival_variant(harness, material)
    event = event.model_copy(update={"dokumentobjekt_ids": [archival]})
    downloaded = _record_downloads(harness)
    events = await harness.run(event)
    assert not [e for e in events if isinstance(e, DispatchRejected)]
    assert any(isinstance(e, DispatchAccepted) for e in events)
    assert downloaded == [archival] and not harness.conversion.converted


@pytest.mark.parametrize("saksbehandler", ["Ola Saksbehandler", None])
async def test_metadata_fra_avleverende_system_carries_the_saksbehandler_when_the_journal_gives_one(
    harness: Harness, saksbehandler: str | None
) -> None:
    event, material = await harness.dispatch([person(organisasjonsnummer=make_orgnr(RNG))])
    material.metadata.saksbehandler = saksbehandler  # type: ignore[attr-defined]
    await harness.run(event)
    [received] = [f.record for f in harness.sim.forsendelser.values()]
    meta = received["forsendelse"]["metadataFraAvleverendeSystem"]
    assert (meta["journalaar"], meta["journalsekvensnummer"], meta["journalposttype"]) == (2026, 345, "U")
    if saksbehandler:
        assert meta["saksbehandler"] == saksbehandler
    else:
        assert "saksbehandler" not in meta  # the journal sends none today: left out, not invented
