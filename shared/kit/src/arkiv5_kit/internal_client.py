"""The base of every client one Arkiv5 service uses to call another over HTTP.

It holds what each such client otherwise writes again: the base URL; a service token for
the called service (the client-credentials flow of `auth.ClientCredentials`, narrowed to
that service's audience and the scopes the client needs); a timeout; retries with backoff
on transient failures only; and the translation of answers into kit errors, so a use case
never sees an HTTP status:

| answer                                       | raised                                   |
|----------------------------------------------|------------------------------------------|
| 2xx                                          | nothing: the response is returned        |
| 404, 410                                     | `NotFound` (with the called service's detail) |
| 409                                          | `Conflict`                               |
| 400, 422                                     | `Unprocessable`                          |
| 401, 403                                     | `InternalCallRefused` (502: our configuration is wrong) |
| 429, 502, 503, 504, no answer, after retries | `ServiceUnavailable` (503: try again later) |
| any other                                    | `InternalCallFailed` (502)               |

Only what may safely be sent again is retried: a request the server never received (no
connection) always; a timeout, a dropped answer or a 429/502/503/504 only for idempotent
calls (GET, HEAD, PUT, DELETE, or any call with an `Idempotency-Key` header).

    class JournalClient(InternalClient):
        service = "journal"

        async def material(self, id: UUID) -> DispatchMaterial:
            return await self.get_model(f"/internal/journalposter/{id}/dispatch-material", DispatchMaterial)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_exponential

from .auth import ClientCredentials
from .errors import Conflict, DomainError, NotFound, Unprocessable

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class ServiceUnavailable(DomainError):
    """The called service did not answer, or answered that it cannot now: try again later."""

    status, slug, title = 503, "service-unavailable", "A service this call needs is unavailable"


class InternalCallFailed(DomainError):
    """The called service answered in a way this client does not expect."""

    status, slug, title = 502, "internal-call-failed", "A service this call needs failed"


class InternalCallRefused(InternalCallFailed):
    """The called service refused our token: a configuration fault, not the caller's."""

    slug, title = "internal-call-refused", "A service this call needs refused it"


class _TransientAnswer(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"answered {response.status_code}")
        self.response = response


class InternalClient:
    """Calls one Arkiv5 service. Subclasses set `service` and add one method per operation."""

    service: ClassVar[str] = ""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        scopes: Sequence[str] = (),
        auth: httpx.Auth | None = None,
        timeout_s: float = 30.0,
        attempts: int = 3,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 2.0,
    ) -> None:
        if not self.service:
            raise TypeError(f"{type(self).__name__} must name the service it calls")
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        if auth is None and isinstance(http.auth, ClientCredentials):
            auth = http.auth.for_audience(self.service, scopes)
        self.auth = auth

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send; return a 2xx response or raise a kit error (see the module's table)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or any(k.lower() == "idempotency-key" for k in headers or {})
        url = f"{self.base_url}{path}"

        def transient(error: BaseException) -> bool:
            if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
                return True  # never reached the server: safe to send again
            return idempotent and isinstance(error, _TransientAnswer | httpx.TransportError)

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.retry_initial_s, max=self.retry_max_s),
                retry=retry_if_exception(transient),
                reraise=False,
            ):
                with attempt:
                    response = await self.http.request(
                        method, url, params=params, json=json_body, content=content, headers=headers,
                        timeout=timeout_s or self.timeout_s, auth=self.auth or httpx.USE_CLIENT_DEFAULT,
                    )
                    if response.status_code in TRANSIENT_STATUSES:
                        raise _TransientAnswer(response)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise self._unavailable(method, path, last) from None
        except _TransientAnswer as exc:
            raise self._unavailable(method, path, exc) from None
        except httpx.TransportError as exc:
            raise self._unavailable(method, path, exc) from None
        if response.is_success:
            return response
        raise self._error(method, path, response)

    async def get_model(self, path: str, model: type[ModelT], *, params: Mapping[str, Any] | None = None) -> ModelT:
        response = await self.request("GET", path, params=params)
        return self.parse(response, model)

    async def post_model(
        self, path: str, body: BaseModel | Mapping[str, Any], model: type[ModelT], *,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT:
        payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        response = await self.request("POST", path, json_body=payload, headers=headers)
        return self.parse(response, model)

    def parse(self, response: httpx.Response, model: type[ModelT]) -> ModelT:
        try:
            return model.model_validate_json(response.content)
        except ValidationError:
            raise InternalCallFailed(
                f"The {self.service} service answered with a body this service cannot read."
            ) from None

    def _unavailable(self, method: str, path: str, error: BaseException | None) -> ServiceUnavailable:
        what = type(error).__name__ if error is not None else "no answer"
        if isinstance(error, _TransientAnswer):
            what = f"status {error.response.status_code}"
        log.warning("internal call failed", extra={"service_called": self.service, "method": method, "reason": what})
        return ServiceUnavailable(f"The {self.service} service is unavailable; try again later.")

    def _error(self, method: str, path: str, response: httpx.Response) -> DomainError:
        status = response.status_code
        detail = _problem_detail(response) or f"The {self.service} service answered {status}."
        if status in (404, 410):
            return NotFound(detail)
        if status == 409:
            return Conflict(detail)
        if status in (400, 422):
            return Unprocessable(detail)
        log.warning("internal call refused", extra={"service_called": self.service, "method": method,
                                                     "status": status})
        if status in (401, 403):
            return InternalCallRefused(f"The {self.service} service refused this service's token ({status}).")
        return InternalCallFailed(f"The {self.service} service answered {status}.")


def _problem_detail(response: httpx.Response) -> str | None:
    """The `detail` of a problem+json answer (our services' details carry no personal data)."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None
