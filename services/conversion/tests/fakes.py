"""The tests' stand-in for the journal: the `JournalClient` protocol, in memory."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from uuid import UUID

from arkiv5_contracts.codelists import Variantformat
from arkiv5_contracts.events.journal import DokumentAdded
from arkiv5_conversion.journal_client import (
    FiledAttachment,
    JournalUnavailable,
    SourceDocument,
    SourceMissing,
    attachment_key,
    attachment_metadata,
)


@dataclass
class FakeJournal:
    """In-memory journal for tests: documents per journalpost, idempotent archival variants."""

    documents: dict[UUID, bytes] = field(default_factory=dict)
    journalposts: dict[UUID, list[UUID]] = field(default_factory=dict)
    variants: dict[tuple[UUID, str], UUID] = field(default_factory=dict)
    variant_bytes: dict[UUID, bytes] = field(default_factory=dict)
    declared_media_types: dict[UUID, str] = field(default_factory=dict)
    attachments: dict[str, FiledAttachment] = field(default_factory=dict)
    attachment_metadata: dict[UUID, dict[str, object]] = field(default_factory=dict)
    attachment_posts: list[str] = field(default_factory=list)
    puts: list[UUID] = field(default_factory=list)
    downloads: list[UUID] = field(default_factory=list)
    listed: list[UUID] = field(default_factory=list)
    unavailable: bool = False

    def add(self, journalpost_id: UUID, content: bytes, *, media_type: str | None = None) -> UUID:
        """A document as uploaded; `media_type` is what the uploader declared (never trusted)."""
        dokumentobjekt_id = uuid.uuid4()
        self.documents[dokumentobjekt_id] = content
        if media_type:
            self.declared_media_types[dokumentobjekt_id] = media_type
        self.journalposts.setdefault(journalpost_id, []).append(dokumentobjekt_id)
        return dokumentobjekt_id

    def _check(self) -> None:
        if self.unavailable:
            raise JournalUnavailable("fake journal is down")

    def added_event(self, journalpost_id: UUID, dokumentobjekt_id: UUID) -> DokumentAdded:
        """The DokumentAdded event the journal publishes for a document `add`ed here."""
        content = self.documents[dokumentobjekt_id]
        return DokumentAdded(
            journalpost_id=journalpost_id, dokumentbeskrivelse_id=uuid.uuid4(), dokumentobjekt_id=dokumentobjekt_id,
            versjonsnummer=1, variantformat=Variantformat("P"), sha256=hashlib.sha256(content).hexdigest(),
            size=len(content), media_type=self.declared_media_types.get(dokumentobjekt_id, "application/octet-stream"),
        )

    async def list_dokumentobjekter(self, journalpost_id: UUID) -> list[SourceDocument]:
        self._check()
        self.listed.append(journalpost_id)
        return [SourceDocument(d, hashlib.sha256(self.documents[d]).hexdigest(), len(self.documents[d]),
                               self.declared_media_types.get(d))
                for d in self.journalposts.get(journalpost_id, [])]

    async def download(self, dokumentobjekt_id: UUID) -> bytes:
        self._check()
        if dokumentobjekt_id not in self.documents:
            raise SourceMissing(str(dokumentobjekt_id))
        self.downloads.append(dokumentobjekt_id)
        return self.documents[dokumentobjekt_id]

    async def put_arkivvariant(
        self, dokumentobjekt_id: UUID, content: bytes, *, source_sha256: str, archival_sha256: str,
        archival_puid: str | None, media_type: str,
    ) -> UUID:
        self._check()
        self.puts.append(dokumentobjekt_id)
        key = (dokumentobjekt_id, source_sha256)
        if key not in self.variants:
            self.variants[key] = uuid.uuid4()
            self.variant_bytes[self.variants[key]] = content
        return self.variants[key]

    async def add_dokumentbeskrivelse(
        self, journalpost_id: UUID, content: bytes, *, source_dokumentobjekt_id: UUID, source_sha256: str,
        attachment_index: int, filename: str, declared_media_type: str,
    ) -> FiledAttachment:
        self._check()
        key = attachment_key(source_dokumentobjekt_id, source_sha256, attachment_index)
        self.attachment_posts.append(key)
        if key not in self.attachments:
            dokumentobjekt_id = self.add(journalpost_id, content, media_type=declared_media_type)
            self.attachments[key] = FiledAttachment(uuid.uuid4(), dokumentobjekt_id, hashlib.sha256(content).hexdigest())
            self.attachment_metadata[dokumentobjekt_id] = attachment_metadata(
                content, source_dokumentobjekt_id=source_dokumentobjekt_id, source_sha256=source_sha256,
                attachment_index=attachment_index, filename=filename, declared_media_type=declared_media_type,
            )
        return self.attachments[key]
