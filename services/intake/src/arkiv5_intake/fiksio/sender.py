"""Sends Fiks Arkiv answers over Fiks IO's HTTP send API (an ASiC-E package in a CMS envelope
for the recipient's certificate from the katalog). Every call carries a Maskinporten token and
the integration's IntegrasjonId/-Passord, as KS asks."""

from __future__ import annotations

import json
from typing import Protocol
from uuid import UUID

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from arkiv5_kit.maskinporten import MaskinportenToken, TokenError

from ..fiksarkiv.answers import Svar
from . import asice, crypto

PAYLOAD_NAMES = {  # meldingstyper.json: payloadFilnavn
    "arkivmelding.opprett.kvittering": "arkivmelding-kvittering.xml",
    "dokumentobjekt.opprett.kvittering": "dokumentobjekt-kvittering.xml",
}


def payload_name(meldingstype: str) -> str:
    for suffix, name in PAYLOAD_NAMES.items():
        if meldingstype.endswith(suffix):
            return name
    if meldingstype.endswith(".resultat") or ".resultat." in meldingstype:
        return "resultat.xml"
    if ".feilmelding." in meldingstype:
        return "feilmelding.xml"
    return "payload.xml"


class SendFailed(Exception):
    """Fiks IO did not take the answer; the message is delivered again and the answer resent."""


class Sender(Protocol):
    async def send(self, svar: Svar, *, til: UUID, svar_pa_melding: UUID, klient_melding_id: str) -> None: ...


class FiksIoSender:
    def __init__(self, http: httpx.AsyncClient, *, send_url: str, katalog_url: str, konto_id: UUID,
                 certificate_pem: bytes, private_key: RSAPrivateKey, integrasjon_id: str,
                 integrasjon_passord: str, token: MaskinportenToken) -> None:
        self.http = http
        self.token = token
        self.send_url = send_url
        self.katalog_url = katalog_url.rstrip("/")
        self.konto_id = konto_id
        self.certificate_pem = certificate_pem
        self.private_key = private_key
        self.headers = {"IntegrasjonId": integrasjon_id, "IntegrasjonPassord": integrasjon_passord}
        self._keys: dict[UUID, bytes] = {}

    async def _public_key(self, konto: UUID) -> bytes:
        if konto not in self._keys:
            response = await self.http.get(f"{self.katalog_url}/kontoer/{konto}/offentligNokkel",
                                           headers=await self._headers())
            self._refused(response)
            if response.status_code != 200:
                raise SendFailed(f"katalog answered {response.status_code}")
            self._keys[konto] = response.content
        return self._keys[konto]

    async def _headers(self) -> dict[str, str]:
        try:
            token = await self.token.get()
        except TokenError as exc:
            raise SendFailed(str(exc)) from None
        return {**self.headers, "Authorization": f"Bearer {token}"}

    def _refused(self, response: httpx.Response) -> None:
        """A 401 means the token expired or was revoked early: the next try fetches a new one."""
        if response.status_code == 401:
            self.token.invalidate()
            raise SendFailed("Fiks IO refused the Maskinporten token")

    async def send(self, svar: Svar, *, til: UUID, svar_pa_melding: UUID, klient_melding_id: str) -> None:
        metadata = {"avsenderKontoId": str(self.konto_id), "mottakerKontoId": str(til),
                    "meldingType": svar.meldingstype, "svarPaMelding": str(svar_pa_melding),
                    "headere": {"klientMeldingId": klient_melding_id}}
        files: list[tuple[str, tuple[str | None, bytes | str, str]]] = [
            ("metadata", (None, json.dumps(metadata), "application/json"))]
        try:
            if svar.xml is not None:
                package = asice.build({payload_name(svar.meldingstype): svar.xml.encode("utf-8")},
                                      self.certificate_pem, self.private_key)
                envelope = crypto.encrypt(package, await self._public_key(til))
                files.append(("data", ("data", envelope, "application/octet-stream")))
            response = await self.http.post(self.send_url, files=files, headers=await self._headers(), timeout=60)
        except httpx.HTTPError as exc:
            raise SendFailed(type(exc).__name__) from None
        self._refused(response)
        if response.status_code not in (200, 201, 202):
            raise SendFailed(f"Fiks IO answered {response.status_code}")
