"""What conversion needs from the journal, as a protocol, over HTTP, and as a fake for tests.

Internal endpoints of the journal (service token, audience `journal`):

- `GET  /internal/journalposter/{id}/dokumentobjekter` -> `[{"dokumentobjekt_id", "sha256",
  "size", "media_type", "variantformat"}]` (the production variants to convert)
- `GET  /internal/dokumentobjekter/{id}/content` -> the bytes
- `PUT  /internal/dokumentobjekter/{id}/arkivvariant` with the archival bytes and headers
  `X-Source-Sha256`, `X-Archival-Sha256`, `X-Archival-Puid`, `Content-Type` ->
  `{"dokumentobjekt_id": <the archival variant>}`. Idempotent: the same source checksum
  gives the same archival variant, never two.
- `POST /internal/journalposter/{id}/dokumentbeskrivelser` (multipart: `metadata` JSON and
  `file`, the attachment as sent) -> `{"dokumentbeskrivelse_id", "dokumentobjekt_id",
  "sha256"}`: an e-mail's attachment as its own document (tilknyttetRegistreringSom V,
  variantformat P). Idempotent on (source dokumentobjekt, source checksum, attachment
  index), also given as the `Idempotency-Key` header: 201 when made, 200 with the same ids
  when it exists. docs/conversion.md has the full contract.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

import httpx


@dataclass(frozen=True)
class SourceDocument:
    dokumentobjekt_id: UUID
    sha256: str
    size: int | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class FiledAttachment:
    """The journal's answer: the new dokumentbeskrivelse and its production-format dokumentobjekt."""

    dokumentbeskrivelse_id: UUID
    dokumentobjekt_id: UUID
    sha256: str


def attachment_key(source_dokumentobjekt_id: UUID, source_sha256: str, index: int) -> str:
    """The idempotency key of an attachment: which message (at which checksum), which position."""
    return f"{source_dokumentobjekt_id}:{source_sha256}:{index}"


class JournalUnavailable(Exception):
    """The journal could not be reached or answered 5xx: retry later, not the document's fault."""


class SourceMissing(Exception):
    """The journal does not know the dokumentobjekt (404)."""


class JournalClient(Protocol):
    async def list_dokumentobjekter(self, journalpost_id: UUID) -> list[SourceDocument]: ...

    async def download(self, dokumentobjekt_id: UUID) -> bytes: ...

    async def put_arkivvariant(
        self, dokumentobjekt_id: UUID, content: bytes, *, source_sha256: str, archival_sha256: str,
        archival_puid: str | None, media_type: str,
    ) -> UUID: ...

    async def add_dokumentbeskrivelse(
        self, journalpost_id: UUID, content: bytes, *, source_dokumentobjekt_id: UUID, source_sha256: str,
        attachment_index: int, filename: str, declared_media_type: str,
    ) -> FiledAttachment: ...


def attachment_metadata(
    content: bytes, *, source_dokumentobjekt_id: UUID, source_sha256: str, attachment_index: int, filename: str,
    declared_media_type: str,
) -> dict[str, object]:
    """The `metadata` part of the attachment call (docs/conversion.md)."""
    return {
        "tittel": filename,
        "tilknyttet_registrering_som": "V",  # vedlegg
        "variantformat": "P",                # produksjonsformat: the attachment as it was sent
        "filnavn": filename,
        "format": declared_media_type,       # as declared by the sender; conversion identifies the bytes
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "kilde": {
            "dokumentobjekt_id": str(source_dokumentobjekt_id), "sha256": source_sha256,
            "vedlegg_indeks": attachment_index,
        },
    }


class HttpJournalClient:
    def __init__(self, base_url: str, *, auth: httpx.Auth | None = None, timeout_s: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=timeout_s, transport=transport)

    async def _request(self, method: str, url: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise JournalUnavailable(type(exc).__name__) from None
        if response.status_code == 404:
            raise SourceMissing(url)
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise JournalUnavailable(f"journal answered {response.status_code}")
        response.raise_for_status()
        return response

    async def list_dokumentobjekter(self, journalpost_id: UUID) -> list[SourceDocument]:
        response = await self._request("GET", f"/internal/journalposter/{journalpost_id}/dokumentobjekter")
        return [
            SourceDocument(UUID(item["dokumentobjekt_id"]), item["sha256"], item.get("size"), item.get("media_type"))
            for item in response.json()
        ]

    async def download(self, dokumentobjekt_id: UUID) -> bytes:
        response = await self._request("GET", f"/internal/dokumentobjekter/{dokumentobjekt_id}/content")
        return response.content

    async def put_arkivvariant(
        self, dokumentobjekt_id: UUID, content: bytes, *, source_sha256: str, archival_sha256: str,
        archival_puid: str | None, media_type: str,
    ) -> UUID:
        headers = {"Content-Type": media_type, "X-Source-Sha256": source_sha256, "X-Archival-Sha256": archival_sha256}
        if archival_puid:
            headers["X-Archival-Puid"] = archival_puid
        response = await self._request(
            "PUT", f"/internal/dokumentobjekter/{dokumentobjekt_id}/arkivvariant", content=content, headers=headers
        )
        return UUID(response.json()["dokumentobjekt_id"])

    async def add_dokumentbeskrivelse(
        self, journalpost_id: UUID, content: bytes, *, source_dokumentobjekt_id: UUID, source_sha256: str,
        attachment_index: int, filename: str, declared_media_type: str,
    ) -> FiledAttachment:
        metadata = attachment_metadata(
            content, source_dokumentobjekt_id=source_dokumentobjekt_id, source_sha256=source_sha256,
            attachment_index=attachment_index, filename=filename, declared_media_type=declared_media_type,
        )
        response = await self._request(
            "POST", f"/internal/journalposter/{journalpost_id}/dokumentbeskrivelser",
            headers={"Idempotency-Key": attachment_key(source_dokumentobjekt_id, source_sha256, attachment_index)},
            files={
                "metadata": (None, json.dumps(metadata), "application/json"),
                "file": (filename, content, declared_media_type or "application/octet-stream"),
            },
        )
        body = response.json()
        return FiledAttachment(UUID(body["dokumentbeskrivelse_id"]), UUID(body["dokumentobjekt_id"]),
                               body.get("sha256") or metadata["sha256"])

    async def aclose(self) -> None:
        await self._client.aclose()


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

    async def list_dokumentobjekter(self, journalpost_id: UUID) -> list[SourceDocument]:
        self._check()
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
