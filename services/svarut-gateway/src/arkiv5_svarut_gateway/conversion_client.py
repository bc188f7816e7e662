"""Conversion to the archival PDF on demand, as an interface, and its HTTP implementation.

`POST /internal/conversions` with `{"dokumentobjekt_id": "<uuid>", "target_media_type": "application/pdf"}`
answers 200/201 `{"archival_dokumentobjekt_id": "<uuid>"}` when the archival variant exists
(at once or already), or 202 while it is being made (we ask again later).
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
    async def convert(self, dokumentobjekt_id: UUID) -> UUID: ...


class HttpConversionClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, timeout_s: float = 60.0,
                 auth: httpx.Auth | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.auth = auth or scoped_auth(http, audience="conversion", scopes=["conversion.convert"])

    async def convert(self, dokumentobjekt_id: UUID) -> UUID:
        try:
            response = await self.http.post(
                f"{self.base_url}/internal/conversions",
                json={"dokumentobjekt_id": str(dokumentobjekt_id), "target_media_type": "application/pdf"},
                timeout=self.timeout_s, auth=self.auth or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise ConversionPending(type(exc).__name__) from None
        if response.status_code == 202 or response.status_code >= 500 or response.status_code == 429:
            raise ConversionPending(f"conversion answered {response.status_code}")
        if response.status_code in (200, 201):
            try:
                return UUID(response.json()["archival_dokumentobjekt_id"])
            except (ValueError, KeyError, TypeError):
                raise ConversionPending("conversion answered without an id") from None
        raise ConversionFailed(f"conversion answered {response.status_code}")
