"""What conversion needs from the journal, as a protocol, over HTTP, and as a fake for tests.

Internal endpoints of the journal (service token, audience `journal`):

- `GET  /internal/journalposter/{id}/dokumentobjekter` -> `[{"dokumentobjekt_id", "sha256",
  "size", "media_type", "variantformat"}]` (the production variants to convert)
- `GET  /internal/dokumentobjekter/{id}/content` -> the bytes
- `PUT  /internal/dokumentobjekter/{id}/arkivvariant` with the archival bytes and headers
  `X-Source-Sha256`, `X-Archival-Sha256`, `X-Archival-Puid`, `Content-Type` ->
  `{"dokumentobjekt_id": <the archival variant>}`. Idempotent: the same source checksum
  gives the same archival variant, never two.
"""

from __future__ import annotations

import hashlib
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

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass
class FakeJournal:
    """In-memory journal for tests: documents per journalpost, idempotent archival variants."""

    documents: dict[UUID, bytes] = field(default_factory=dict)
    journalposts: dict[UUID, list[UUID]] = field(default_factory=dict)
    variants: dict[tuple[UUID, str], UUID] = field(default_factory=dict)
    variant_bytes: dict[UUID, bytes] = field(default_factory=dict)
    puts: list[UUID] = field(default_factory=list)
    downloads: list[UUID] = field(default_factory=list)
    unavailable: bool = False

    def add(self, journalpost_id: UUID, content: bytes) -> UUID:
        dokumentobjekt_id = uuid.uuid4()
        self.documents[dokumentobjekt_id] = content
        self.journalposts.setdefault(journalpost_id, []).append(dokumentobjekt_id)
        return dokumentobjekt_id

    def _check(self) -> None:
        if self.unavailable:
            raise JournalUnavailable("fake journal is down")

    async def list_dokumentobjekter(self, journalpost_id: UUID) -> list[SourceDocument]:
        self._check()
        return [SourceDocument(d, hashlib.sha256(self.documents[d]).hexdigest(), len(self.documents[d]))
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
