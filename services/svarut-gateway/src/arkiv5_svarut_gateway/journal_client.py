"""What the gateway needs from the journal, as an interface, and its HTTP implementation.

The journal serves (service token with audience `journal`; scope `journal.dispatch`, or
`journal.read` for one of Arkiv5's own services — what the access service grants this client):

* `GET /internal/journalposter/{journalpost_id}/dispatch-material` → `DispatchMaterial` JSON
* `GET /internal/dokumentobjekter/{dokumentobjekt_id}/content` → the document's bytes

See docs/svarut-gateway.md for the JSON.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import httpx
from pydantic import ValidationError

from arkiv5_kit.auth import ClientCredentials

from .domain.material import DispatchMaterial


class JournalUnavailable(Exception):
    """The journal could not answer now; try again later."""


class JournalNotFound(Exception):
    """The journal does not know the journalpost or document (a permanent answer)."""


class JournalClient(Protocol):
    async def get_dispatch_material(self, journalpost_id: UUID) -> DispatchMaterial: ...

    async def download(self, dokumentobjekt_id: UUID) -> bytes: ...


JOURNAL_SCOPES = ["journal.read"]


def scoped_auth(http: httpx.AsyncClient, *, audience: str, scopes: list[str]) -> httpx.Auth | None:
    """The shared client's credentials, as a token for one service: each service takes only tokens
    with its own audience, and the access service grants only the scopes it lists for the client."""
    auth = http.auth
    if not isinstance(auth, ClientCredentials):
        return None
    return ClientCredentials(auth.token_url, client_id=auth.client_id, client_secret=auth.client_secret,
                             audience=audience, scopes=scopes, client=auth._client)


class HttpJournalClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, timeout_s: float = 60.0,
                 auth: httpx.Auth | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.auth = auth or scoped_auth(http, audience="journal", scopes=JOURNAL_SCOPES)

    async def _get(self, path: str) -> httpx.Response:
        try:
            response = await self.http.get(f"{self.base_url}{path}", timeout=self.timeout_s,
                                           auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise JournalUnavailable(type(exc).__name__) from None
        if response.status_code in (404, 410):
            raise JournalNotFound(f"journal answered {response.status_code}")
        if response.status_code != 200:
            raise JournalUnavailable(f"journal answered {response.status_code}")
        return response

    async def get_dispatch_material(self, journalpost_id: UUID) -> DispatchMaterial:
        response = await self._get(f"/internal/journalposter/{journalpost_id}/dispatch-material")
        try:
            return DispatchMaterial.model_validate_json(response.content)
        except ValidationError:
            raise JournalUnavailable("journal answered with invalid dispatch material") from None

    async def download(self, dokumentobjekt_id: UUID) -> bytes:
        return (await self._get(f"/internal/dokumentobjekter/{dokumentobjekt_id}/content")).content
