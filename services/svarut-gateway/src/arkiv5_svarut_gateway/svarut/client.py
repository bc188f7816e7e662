"""The SvarUt REST client (httpx): v3 send and status, v2 look-up by eksternRef.

Every request it sends is validated against KS's OpenAPI files first, and every answer
it reads after. A send is never retried here: whether it may be sent again is the state
machine's decision (after looking the eksternRef up), so a send ends in exactly one of

* the forsendelse id (SvarUt took it);
* `SendRefused` — SvarUt answered 4xx: it did not take it, and sending the same again won't help;
* `NotSent` — the letter surely did not reach SvarUt (no connection, circuit open, no token,
  401/403): safe to send again later;
* `Ambiguous` — it may or may not have been taken (timeout, reset, 5xx, a garbled answer).

Status and look-up calls are read-only and retried with exponential backoff (tenacity).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from arkiv5_kit.maskinporten import MaskinportenToken, TokenError

from ..domain.forsendelse import Document
from . import spec
from .breaker import CircuitBreaker, CircuitOpen

log = logging.getLogger(__name__)


class SvarutError(Exception):
    """Messages name the kind of failure, never personal data; `reason` is its code (domain/reasons.py)."""

    def __init__(self, message: str, reason: str = "unexpected-error") -> None:
        super().__init__(message)
        self.reason = reason


class SendRefused(SvarutError):
    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"SvarUt refused the forsendelse ({status} {code or ''})".strip(), "avvist")
        self.status = status
        self.code = code
        self.message = message


class NotSent(SvarutError):
    pass


class Ambiguous(SvarutError):
    pass


class QueryFailed(SvarutError):
    pass


@dataclass(frozen=True)
class StatusInfo:
    id: UUID
    status: str
    changed_at: datetime


_BUFFER_BODY_UP_TO = 8 * 1024 * 1024  # larger letters are streamed rather than copied in memory
_SURELY_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SvarutClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        konto_id: UUID,
        integrasjon_id: str,
        integrasjon_passord: str,
        token: MaskinportenToken,
        breaker: CircuitBreaker,
        connect_timeout_s: float = 10.0,
        send_timeout_s: float = 960.0,
        query_timeout_s: float = 60.0,
        query_attempts: int = 4,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.konto_id = konto_id
        self._integration = {"IntegrasjonId": integrasjon_id, "IntegrasjonPassord": integrasjon_passord}
        self.token = token
        self.breaker = breaker
        self.send_timeout = httpx.Timeout(send_timeout_s, connect=connect_timeout_s)
        self.query_timeout = httpx.Timeout(query_timeout_s, connect=connect_timeout_s)
        self.query_attempts = query_attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s

    async def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token.get()}", **self._integration}

    # --- send ---------------------------------------------------------------------------

    async def send(self, channel: str, forsendelse: dict[str, Any], files: Sequence[Document]) -> UUID:
        """POST /v3/kontoer/{kontoId}/forsendelser/{person|organisasjon|print}."""
        spec.validate_forsendelse(channel, forsendelse)  # our bug if it fails: raise before sending
        names = [d["filnavn"] for d in forsendelse.get("dokumenter", [])]
        if names != [f.filnavn for f in files]:
            raise spec.SchemaViolation("dokumenter and the file parts differ")
        try:
            self.breaker.before_call()
        except CircuitOpen as exc:
            raise NotSent(str(exc), "circuit-open") from None
        try:
            headers = await self._headers()
        except TokenError as exc:
            self.breaker.neutral()
            raise NotSent(str(exc), "maskinporten-unavailable") from None
        parts: list[tuple[str, tuple[str | None, bytes, str]]] = [
            ("forsendelse", (None, json.dumps(forsendelse, ensure_ascii=False).encode(), "application/json"))
        ]
        parts += [("dokumenter", (f.filnavn, f.content, f.mime_type)) for f in files]
        url = f"{self.base_url}/v3/kontoer/{self.konto_id}/forsendelser/{channel}"
        request = self.http.build_request("POST", url, files=parts, headers=headers, timeout=self.send_timeout)
        if sum(len(f.content) for f in files) <= _BUFFER_BODY_UP_TO:
            # httpx streams multipart part by part, a socket write per boundary, header and
            # file; a typical letter costs ~10 writes that way. Encoded once up front it is one.
            request = self.http.build_request("POST", url, content=request.read(), headers=request.headers,
                                              timeout=self.send_timeout)
        try:
            response = await self.http.send(request)
        except _SURELY_NOT_SENT as exc:
            self.breaker.failure()
            raise NotSent(f"no connection to SvarUt ({type(exc).__name__})", "svarut-unreachable") from None
        except (httpx.HTTPError, OSError) as exc:
            self.breaker.failure()
            raise Ambiguous(f"send interrupted ({type(exc).__name__})", "svarut-timeout") from None
        if response.status_code >= 500:
            self.breaker.failure()
            raise Ambiguous(f"SvarUt answered {response.status_code}", "svarut-server-error")
        self.breaker.success()
        if response.status_code in (401, 403):
            self.token.invalidate()
            raise NotSent(f"SvarUt refused our credentials ({response.status_code})", "svarut-credentials-refused")
        if response.status_code >= 400:
            error = _error_body(response)
            raise SendRefused(response.status_code, error.get("errorCode"), str(error.get("message", "")))
        try:
            body = response.json()
            spec.validate_send_response(body)
            return UUID(body["id"])
        except (ValueError, spec.SchemaViolation):
            raise Ambiguous("SvarUt answered 2xx without a valid id", "svarut-server-error") from None

    # --- read-only calls, retried -------------------------------------------------------

    async def _query(self, method: str, url: str, **kwargs: Any) -> Any:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.query_attempts),
            wait=wait_exponential(multiplier=self.retry_initial_s, max=self.retry_max_s),
            retry=retry_if_exception_type(QueryFailed),
            reraise=True,
        ):
            with attempt:
                return await self._query_once(method, url, **kwargs)
        raise AssertionError("unreachable")

    async def _query_once(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            self.breaker.before_call()
        except CircuitOpen as exc:
            raise QueryFailed(str(exc)) from None
        try:
            headers = await self._headers()
        except TokenError as exc:
            self.breaker.neutral()
            raise QueryFailed(str(exc)) from None
        try:
            response = await self.http.request(method, url, headers=headers, timeout=self.query_timeout, **kwargs)
        except (httpx.HTTPError, OSError) as exc:
            self.breaker.failure()
            raise QueryFailed(f"SvarUt call failed ({type(exc).__name__})") from None
        if response.status_code >= 500:
            self.breaker.failure()
            raise QueryFailed(f"SvarUt answered {response.status_code}")
        self.breaker.success()
        if response.status_code in (401, 403):
            self.token.invalidate()
            raise QueryFailed(f"SvarUt refused our credentials ({response.status_code})")
        if response.status_code >= 400:
            raise QueryFailed(f"SvarUt answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise QueryFailed("SvarUt answered with invalid JSON") from None

    async def statuses(self, ids: Sequence[UUID]) -> list[StatusInfo]:
        """POST /v3/kontoer/{kontoId}/forsendelser/status/sok."""
        request = {"id": [str(i) for i in ids]}
        spec.validate_status_request(request)
        url = f"{self.base_url}/v3/kontoer/{self.konto_id}/forsendelser/status/sok"
        body = await self._query("POST", url, json=request)
        try:
            spec.validate_status_response(body)
        except spec.SchemaViolation as exc:
            raise QueryFailed(f"status answer does not follow KS's schema ({exc})") from None
        return [
            StatusInfo(UUID(s["id"]), s["status"], datetime.fromisoformat(s["sisteStatusEndring"].replace("Z", "+00:00")))
            for s in body["statuser"]
        ]

    async def lookup(self, ekstern_ref: str) -> list[UUID]:
        """GET /v2/kontoer/{kontoId}/forsendelser?eksternRef=… — the ids SvarUt has for our reference."""
        url = f"{self.base_url}/v2/kontoer/{self.konto_id}/forsendelser"
        body = await self._query("GET", url, params={"eksternRef": ekstern_ref})
        try:
            spec.validate_eksternref_response(body)
            return [UUID(i) for i in body["forsendelseIds"]]
        except (spec.SchemaViolation, ValueError) as exc:
            raise QueryFailed(f"look-up answer does not follow KS's schema ({type(exc).__name__})") from None


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
        spec.validate_error(body)
        return body if isinstance(body, dict) else {}
    except (ValueError, spec.SchemaViolation):
        return {}
