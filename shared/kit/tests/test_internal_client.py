"""The internal HTTP client base: service token for the called service, retries on transient
failures only, problem+json answers as kit errors. Against an httpx mock transport."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import BaseModel

from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.errors import Conflict, NotFound, Unprocessable
from arkiv5_kit.internal_client import (
    InternalCallFailed,
    InternalCallRefused,
    InternalClient,
    ServiceUnavailable,
)


class Material(BaseModel):
    journalpost_id: UUID
    title_count: int


class JournalClient(InternalClient):
    service = "journal"

    async def material(self, journalpost_id: UUID) -> Material:
        return await self.get_model(f"/internal/journalposter/{journalpost_id}/material", Material)


def problem(status: int, detail: str) -> httpx.Response:
    return httpx.Response(status, json={"type": "about:blank", "title": "x", "status": status, "detail": detail},
                          headers={"content-type": "application/problem+json"})


def client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: object) -> tuple[JournalClient, list[str]]:
    calls: list[str] = []

    def recording(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return handler(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(recording))
    return JournalClient(http, base_url="http://journal.test/", retry_initial_s=0, **kwargs), calls  # type: ignore[arg-type]


async def test_a_2xx_answer_is_parsed_into_the_model() -> None:
    jp = uuid4()
    journal, calls = client(lambda r: httpx.Response(200, json={"journalpost_id": str(jp), "title_count": 2}))
    assert await journal.material(jp) == Material(journalpost_id=jp, title_count=2)
    assert calls == [f"GET /internal/journalposter/{jp}/material"]


@pytest.mark.parametrize(("status", "error"), [(404, NotFound), (410, NotFound), (409, Conflict), (422, Unprocessable),
                                               (400, Unprocessable)])
async def test_a_problem_answer_becomes_the_kit_error_with_its_detail(status: int, error: type[Exception]) -> None:
    journal, calls = client(lambda r: problem(status, "No journalpost has this id."))
    with pytest.raises(error, match="No journalpost has this id"):
        await journal.material(uuid4())
    assert len(calls) == 1, "a permanent answer was retried"


async def test_a_refused_token_is_a_configuration_fault_not_the_callers() -> None:
    journal, _ = client(lambda r: problem(403, "This call needs the scope(s): journal.dispatch."))
    with pytest.raises(InternalCallRefused) as refused:
        await journal.material(uuid4())
    assert refused.value.status == 502


async def test_an_idempotent_call_is_retried_through_transient_failures() -> None:
    answers = iter([httpx.Response(503), httpx.Response(502)])
    jp = uuid4()

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json={"journalpost_id": str(jp), "title_count": 1}))

    journal, calls = client(handler)
    assert (await journal.material(jp)).title_count == 1
    assert len(calls) == 3


async def test_when_the_attempts_are_spent_the_service_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    journal, calls = client(handler, attempts=4)
    with pytest.raises(ServiceUnavailable) as unavailable:
        await journal.material(uuid4())
    assert unavailable.value.status == 503 and len(calls) == 4


async def test_a_post_is_not_sent_again_after_the_server_may_have_acted() -> None:
    journal, calls = client(lambda r: httpx.Response(503))
    with pytest.raises(ServiceUnavailable):
        await journal.request("POST", "/internal/things", json_body={"a": 1})
    assert len(calls) == 1

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    journal, calls = client(timeout)
    with pytest.raises(ServiceUnavailable):
        await journal.request("POST", "/internal/things", json_body={"a": 1})
    assert len(calls) == 1


async def test_a_post_is_retried_when_it_never_reached_the_server_or_carries_an_idempotency_key() -> None:
    attempts = 0

    def refuse_twice(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"ok": True})

    journal, calls = client(refuse_twice)
    assert (await journal.request("POST", "/internal/things", json_body={})).status_code == 201
    assert len(calls) == 3

    answers = iter([httpx.Response(503)])
    journal, calls = client(lambda r: next(answers, httpx.Response(201)))
    response = await journal.request("POST", "/internal/things", headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 201 and len(calls) == 2


async def test_an_unreadable_body_and_an_unexpected_status_fail_the_call() -> None:
    journal, _ = client(lambda r: httpx.Response(200, json={"unexpected": True}))
    with pytest.raises(InternalCallFailed, match="cannot read"):
        await journal.material(uuid4())
    journal, _ = client(lambda r: httpx.Response(418, text="teapot"))
    with pytest.raises(InternalCallFailed, match="answered 418"):
        await journal.material(uuid4())


async def test_the_token_is_fetched_for_the_called_service_with_the_clients_scopes() -> None:
    token_requests: list[dict[str, list[str]]] = []
    seen_authorization: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            token_requests.append(parse_qs(request.content.decode()))
            return httpx.Response(200, json={"access_token": "journal-token", "expires_in": 300})
        seen_authorization.append(request.headers["authorization"])
        return httpx.Response(200, json={"journalpost_id": str(uuid4()), "title_count": 0})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    http.auth = ClientCredentials("http://access.test/oauth2/token", client_id="svarut-gateway", client_secret="s",
                                  audience="svarut-gateway", scopes=[], client=http)
    journal = JournalClient(http, base_url="http://journal.test", scopes=["journal.dispatch"])
    await journal.material(uuid4())
    await journal.material(uuid4())
    assert seen_authorization == ["Bearer journal-token"] * 2
    assert len(token_requests) == 1, "the token was not cached"
    assert token_requests[0]["audience"] == ["journal"] and token_requests[0]["scope"] == ["journal.dispatch"]


def test_a_client_must_name_the_service_it_calls() -> None:
    with pytest.raises(TypeError):
        InternalClient(httpx.AsyncClient(), base_url="http://x")
