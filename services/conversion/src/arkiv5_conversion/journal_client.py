"""What conversion needs from the journal, as a protocol and over HTTP (the tests' fake is in tests/fakes.py).

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

import httpx
from pydantic import TypeAdapter, ValidationError

from arkiv5_contracts.internal import (
    ArchivalVariantStored,
    AttachmentFiled,
    AttachmentMetadata,
    AttachmentSource,
    ProductionDocument,
)


@dataclass(frozen=True)
class SourceDocument:
    """A production document to convert (the journal sends `arkiv5_contracts.internal.ProductionDocument`)."""

    dokumentobjekt_id: UUID
    sha256: str
    size: int | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class FiledAttachment:
    """The journal's answer (`AttachmentFiled`): the new dokumentbeskrivelse and its production-format dokumentobjekt."""

    dokumentbeskrivelse_id: UUID
    dokumentobjekt_id: UUID
    sha256: str


def attachment_key(source_dokumentobjekt_id: UUID, source_sha256: str, index: int) -> str:
    """The idempotency key of an attachment: which message (at which checksum), which position."""
    return f"{source_dokumentobjekt_id}:{source_sha256}:{index}"


_PRODUCTION_DOCUMENTS = TypeAdapter(list[ProductionDocument])
T = TypeVar("T")


def _valid(parse: Callable[[], T]) -> T:
    """The journal's answer as its contract type; an answer that is not one is a journal fault, retried later."""
    try:
        return parse()
    except ValidationError:
        raise JournalUnavailable("journal answered with an invalid payload") from None


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
    """The `metadata` part of the attachment call (`AttachmentMetadata`, docs/conversion.md)."""
    metadata = AttachmentMetadata(
        tittel=filename,
        tilknyttet_registrering_som="V",  # vedlegg
        variantformat="P",                # produksjonsformat: the attachment as it was sent
        filnavn=filename,
        format=declared_media_type,       # as declared by the sender; conversion identifies the bytes
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        kilde=AttachmentSource(dokumentobjekt_id=source_dokumentobjekt_id, sha256=source_sha256,
                               vedlegg_indeks=attachment_index),
    )
    return metadata.model_dump(mode="json")


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
        documents = _valid(lambda: _PRODUCTION_DOCUMENTS.validate_json(response.content))
        return [SourceDocument(d.dokumentobjekt_id, d.sha256, d.size, d.media_type) for d in documents]

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
        return _valid(lambda: ArchivalVariantStored.model_validate_json(response.content)).dokumentobjekt_id

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
        filed = _valid(lambda: AttachmentFiled.model_validate_json(response.content))
        return FiledAttachment(filed.dokumentbeskrivelse_id, filed.dokumentobjekt_id, filed.sha256)

    async def aclose(self) -> None:
        await self._client.aclose()
