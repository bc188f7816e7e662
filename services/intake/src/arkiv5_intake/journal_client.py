"""What intake needs from the journal, as an interface, and its HTTP implementation.

Intake is a system client of the journal's own API (audience `journal`, scopes
`journal.read journal.write`); every create carries an `Idempotency-Key` derived from the
Fiks Arkiv message (klientMeldingId, referanseEksternNoekkel) or the e-mail's hash, so a
repeated call after a crash registers nothing twice where the journal honours the header.
The journal answers JSON with Noark 5 element names; intake keeps them as dicts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

import httpx

from arkiv5_kit.auth import ClientCredentials

JOURNAL_SCOPES = ["journal.read", "journal.write"]

Json = dict[str, Any]


def digest_key(material: str) -> str:
    """The header value: a digest of what makes the command unique (keys may hold any characters)."""
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class JournalUnavailable(Exception):
    """The journal could not answer now (network, 5xx, 503): try again later."""


class JournalNotFound(Exception):
    """The journal does not know the record (404), or the caller may not see it."""


class JournalRefused(Exception):
    """The journal refused the command (4xx other than 404): `detail` says why, without input values."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Fil:
    """A file to register: its part name in the request, file name, bytes and media type."""

    part: str
    filnavn: str
    innhold: bytes
    media_type: str = "application/octet-stream"


class JournalClient(Protocol):
    async def create_saksmappe(self, body: Json, *, idempotency_key: str) -> Json: ...
    async def get_saksmappe(self, saksmappe_id: UUID) -> Json: ...
    async def correct_saksmappe(self, saksmappe_id: UUID, patch: Json) -> Json: ...
    async def close_saksmappe(self, saksmappe_id: UUID, saksstatus: str) -> Json: ...
    async def reopen_saksmappe(self, saksmappe_id: UUID) -> Json: ...
    async def add_saksmappe_merknad(self, saksmappe_id: UUID, text: str) -> Json: ...
    async def register_journalpost(self, saksmappe_id: UUID, body: Json, files: list[Fil], *,
                                   idempotency_key: str) -> Json: ...
    async def get_journalpost(self, journalpost_id: UUID) -> Json: ...
    async def correct_journalpost(self, journalpost_id: UUID, patch: Json) -> Json: ...
    async def list_journalposter(self, saksmappe_id: UUID) -> list[Json]: ...
    async def add_journalpost_merknad(self, journalpost_id: UUID, text: str) -> Json: ...
    async def avskriv(self, journalpost_id: UUID, body: Json) -> Json: ...
    async def slett_avskrivning(self, journalpost_id: UUID, avskrivning_id: UUID) -> Json: ...
    async def add_version(self, dokumentbeskrivelse_id: UUID, fil: Fil) -> Json: ...
    async def search(self, q: str, *, top: int, skip: int) -> list[Json]: ...
    async def saksmapper_by_saksdato(self, fra: date | None, til: date | None, *, top: int,
                                     skip: int) -> list[Json]: ...


def scoped_auth(http: httpx.AsyncClient, *, audience: str, scopes: list[str]) -> httpx.Auth | None:
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

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, f"{self.base_url}{path}", timeout=self.timeout_s,
                                               auth=self.auth or httpx.USE_CLIENT_DEFAULT, **kwargs)
        except httpx.HTTPError as exc:
            raise JournalUnavailable(type(exc).__name__) from None
        if response.status_code in (404, 410):
            raise JournalNotFound(f"journal answered {response.status_code}")
        if response.status_code >= 500 or response.status_code in (401, 429):
            raise JournalUnavailable(f"journal answered {response.status_code}")
        if response.status_code >= 400:
            raise JournalRefused(response.status_code, _problem_detail(response))
        return response

    async def create_saksmappe(self, body: Json, *, idempotency_key: str) -> Json:
        response = await self._call("POST", "/saksmapper", json=body, headers={"Idempotency-Key": idempotency_key})
        return dict(response.json())

    async def get_saksmappe(self, saksmappe_id: UUID) -> Json:
        return dict((await self._call("GET", f"/saksmapper/{saksmappe_id}")).json())

    async def _patch(self, path: str, patch: Json) -> Json:
        current = await self._call("GET", path)
        etag = current.headers.get("etag", "")
        response = await self._call("PATCH", path, content=json.dumps(patch).encode(), headers={
            "If-Match": etag, "Content-Type": "application/merge-patch+json"})
        return dict(response.json())

    async def correct_saksmappe(self, saksmappe_id: UUID, patch: Json) -> Json:
        return await self._patch(f"/saksmapper/{saksmappe_id}", patch)

    async def close_saksmappe(self, saksmappe_id: UUID, saksstatus: str) -> Json:
        response = await self._call("POST", f"/saksmapper/{saksmappe_id}/avslutt", json={"saksstatus": saksstatus})
        return dict(response.json())

    async def reopen_saksmappe(self, saksmappe_id: UUID) -> Json:
        return dict((await self._call("POST", f"/saksmapper/{saksmappe_id}/gjenaapne")).json())

    async def add_saksmappe_merknad(self, saksmappe_id: UUID, text: str) -> Json:
        response = await self._call("POST", f"/saksmapper/{saksmappe_id}/merknader",
                                    json={"merknadstekst": text, "merknadstype": "fagsystem"})
        return dict(response.json())

    async def register_journalpost(self, saksmappe_id: UUID, body: Json, files: list[Fil], *,
                                   idempotency_key: str) -> Json:
        headers = {"Idempotency-Key": idempotency_key}
        path = f"/saksmapper/{saksmappe_id}/journalposter"
        if not files:
            response = await self._call("POST", path, json=body, headers=headers)
        else:
            parts: list[tuple[str, tuple[str | None, bytes | str, str]]] = [
                ("journalpost", (None, json.dumps(body), "application/json"))]
            parts += [(f.part, (f.filnavn, f.innhold, f.media_type)) for f in files]
            response = await self._call("POST", path, files=parts, headers=headers)
        return dict(response.json())

    async def get_journalpost(self, journalpost_id: UUID) -> Json:
        return dict((await self._call("GET", f"/journalposter/{journalpost_id}")).json())

    async def correct_journalpost(self, journalpost_id: UUID, patch: Json) -> Json:
        return await self._patch(f"/journalposter/{journalpost_id}", patch)

    async def list_journalposter(self, saksmappe_id: UUID) -> list[Json]:
        response = await self._call("GET", f"/saksmapper/{saksmappe_id}/journalposter")
        return list(response.json()["results"])

    async def add_journalpost_merknad(self, journalpost_id: UUID, text: str) -> Json:
        response = await self._call("POST", f"/journalposter/{journalpost_id}/merknader",
                                    json={"merknadstekst": text, "merknadstype": "epost"})
        return dict(response.json())

    async def avskriv(self, journalpost_id: UUID, body: Json) -> Json:
        return dict((await self._call("POST", f"/journalposter/{journalpost_id}/avskrivninger", json=body)).json())

    async def slett_avskrivning(self, journalpost_id: UUID, avskrivning_id: UUID) -> Json:
        path = f"/journalposter/{journalpost_id}/avskrivninger/{avskrivning_id}"
        return dict((await self._call("DELETE", path)).json())

    async def add_version(self, dokumentbeskrivelse_id: UUID, fil: Fil) -> Json:
        response = await self._call("POST", f"/dokumentbeskrivelser/{dokumentbeskrivelse_id}/versjoner",
                                    params={"filnavn": fil.filnavn}, content=fil.innhold,
                                    headers={"Content-Type": fil.media_type})
        return dict(response.json())

    async def search(self, q: str, *, top: int, skip: int) -> list[Json]:
        response = await self._call("GET", "/sok", params={"q": q, "$top": top, "$skip": skip})
        return list(response.json()["results"])

    async def saksmapper_by_saksdato(self, fra: date | None, til: date | None, *, top: int,
                                     skip: int) -> list[Json]:
        params: dict[str, str | int] = {"$top": top, "$skip": skip}
        if fra is not None:
            params["saksdatoFra"] = fra.isoformat()
        if til is not None:
            params["saksdatoTil"] = til.isoformat()
        return list((await self._call("GET", "/saksmapper", params=params)).json()["results"])


def _problem_detail(response: httpx.Response) -> str:
    """The journal's problem+json detail and field errors (they name fields and reasons, never values)."""
    try:
        problem = response.json()
    except ValueError:
        return f"journal answered {response.status_code}"
    detail = str(problem.get("detail") or problem.get("title") or response.status_code)
    fields = [f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or [] if isinstance(e, dict)]
    return detail + (f" ({'; '.join(fields)})" if fields else "")
