"""Conversion to PDF on demand, as an interface, and its HTTP implementation.

`POST /internal/conversions` with `{"dokumentobjekt_id": "<uuid>", "target_media_type": "application/pdf"}`
answers 200/201 with the job when the archival variant exists (at once or already), or 202
while it is being made (we ask again later). A failed job is a permanent answer. A format
the policy keeps as it is (an image, text) is its own archival variant and not a PDF: for
those `POST /internal/conversions/sending-copy` answers with a PDF made for sending.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import httpx

from .journal_client import scoped_auth


class ConversionPending(Exception):
    """Not converted yet (or the conversion service is away): ask again later."""


class ConversionFailed(Exception):
    """The document cannot be converted (a permanent answer)."""


class ConversionClient(Protocol):
    async def convert(self, dokumentobjekt_id: UUID) -> UUID | None:
        """The archival PDF's dokumentobjekt; None when the archival variant is kept as it is (not a PDF)."""
        ...

    async def sending_copy(self, dokumentobjekt_id: UUID) -> bytes:
        """A PDF of the document made for sending (not filed)."""
        ...


class HttpConversionClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, timeout_s: float = 60.0,
                 auth: httpx.Auth | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.auth = auth or scoped_auth(http, audience="conversion", scopes=["conversion.convert"])

    async def convert(self, dokumentobjekt_id: UUID) -> UUID | None:
        response = await self._post("/internal/conversions", {
            "dokumentobjekt_id": str(dokumentobjekt_id), "target_media_type": "application/pdf"})
        try:
            job = response.json()
            if job["status"] == "failed":
                raise ConversionFailed(str(job.get("reason_code") or "failed"))
            if not str(job["archival_media_type"] or "").startswith("application/pdf"):
                return None
            return UUID(job["archival_dokumentobjekt_id"])
        except (ValueError, KeyError, TypeError):
            raise ConversionPending("conversion answered without an id") from None

    async def sending_copy(self, dokumentobjekt_id: UUID) -> bytes:
        response = await self._post("/internal/conversions/sending-copy", {"dokumentobjekt_id": str(dokumentobjekt_id)})
        return response.content

    async def _post(self, path: str, body: dict[str, str]) -> httpx.Response:
        """200/201, or ConversionPending (try later) or ConversionFailed (a permanent answer)."""
        try:
            response = await self.http.post(f"{self.base_url}{path}", json=body, timeout=self.timeout_s,
                                            auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise ConversionPending(type(exc).__name__) from None
        if response.status_code == 202 or response.status_code >= 500 or response.status_code == 429:
            raise ConversionPending(f"conversion answered {response.status_code}")
        if response.status_code not in (200, 201):
            raise ConversionFailed(f"conversion answered {response.status_code}")
        return response
