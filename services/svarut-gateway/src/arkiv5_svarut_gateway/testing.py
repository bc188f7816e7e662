"""In-memory fakes of the journal and conversion APIs, for tests and benchmarks."""

from __future__ import annotations

import uuid
from uuid import UUID

from .conversion_client import ConversionFailed
from .domain.material import DispatchMaterial
from .journal_client import JournalNotFound, JournalUnavailable


def minimal_pdf(text: str = "Vedtak") -> bytes:
    """A small valid one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class FakeJournal:
    """Holds dispatch material and document bytes; can be told to be unavailable."""

    def __init__(self) -> None:
        self.material: dict[UUID, DispatchMaterial] = {}
        self.content: dict[UUID, bytes] = {}
        self.unavailable = False
        self.calls = 0

    def add(self, material: DispatchMaterial, content: dict[UUID, bytes]) -> None:
        self.material[material.journalpost_id] = material
        self.content.update(content)

    async def get_dispatch_material(self, journalpost_id: UUID) -> DispatchMaterial:
        self.calls += 1
        if self.unavailable:
            raise JournalUnavailable("fake journal told to be unavailable")
        try:
            return self.material[journalpost_id]
        except KeyError:
            raise JournalNotFound("unknown journalpost") from None

    async def download(self, dokumentobjekt_id: UUID) -> bytes:
        if self.unavailable:
            raise JournalUnavailable("fake journal told to be unavailable")
        try:
            return self.content[dokumentobjekt_id]
        except KeyError:
            raise JournalNotFound("unknown dokumentobjekt") from None


class FakeConversion:
    """Converts by storing a PDF in the fake journal under a new dokumentobjekt id."""

    def __init__(self, journal: FakeJournal, *, unconvertible: set[UUID] | None = None,
                 kept: set[UUID] | None = None) -> None:
        self.journal = journal
        self.unconvertible = unconvertible or set()
        self.kept = kept or set()  # formats the policy keeps as they are: no archival PDF
        self.converted: dict[UUID, UUID] = {}
        self.sending_copies: list[UUID] = []

    async def convert(self, dokumentobjekt_id: UUID) -> UUID | None:
        if dokumentobjekt_id in self.unconvertible:
            raise ConversionFailed("cannot convert")
        if dokumentobjekt_id in self.kept:
            return None
        if dokumentobjekt_id not in self.converted:
            archival = uuid.uuid4()
            self.journal.content[archival] = minimal_pdf("Konvertert")
            self.converted[dokumentobjekt_id] = archival
        return self.converted[dokumentobjekt_id]

    async def sending_copy(self, dokumentobjekt_id: UUID) -> bytes:
        if dokumentobjekt_id in self.unconvertible:
            raise ConversionFailed("cannot convert")
        self.sending_copies.append(dokumentobjekt_id)
        return minimal_pdf("Sendekopi")
