"""CORS on the Noark 5 interface (tjenestegrensesnitt chapter 4): a browser application on an
origin the operator names gets its preflight answered and may read ETag and Location; any
other origin gets no permission; without named origins no CORS header is sent at all, and
our own API never sends one.

Runs on SQLite and PostgreSQL (the `journal` fixtures).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import ValidationError

from arkiv5_journal.settings import JournalSettings

from .conftest import Journal
from .test_noark5_api import ACCEPT, _handler, _new_case, _package, rel

ALLOWED = "https://arkiv.example.no"
OTHER = "https://elsewhere.example.com"


@pytest.fixture
async def cors_journal(journal_factory: Callable[..., AsyncIterator[Journal]]) -> AsyncIterator[Journal]:
    async for journal in journal_factory(noark5_cors_origins=[ALLOWED, "http://127.0.0.1:5173"]):
        yield journal


def _preflight(origin: str, method: str = "POST",
               headers: str = "authorization, content-type, if-match") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def _listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


async def _ny_saksmappe(journal: Journal, headers: dict[str, str]) -> str:
    return str((await _package(journal, headers, "sakarkiv"))["_links"][rel("sakarkiv/ny-saksmappe")]["href"])


async def test_an_allowed_origins_preflight_is_answered_and_its_answers_expose_etag_and_location(
        cors_journal: Journal) -> None:
    journal = cors_journal
    headers, person = await _handler(journal)
    href = await _ny_saksmappe(journal, headers)

    preflight = await journal.client.options(href, headers=_preflight(ALLOWED))
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert {"post", "put", "patch", "delete"} <= _listed(preflight.headers["access-control-allow-methods"])
    assert {"authorization", "content-type", "if-match", "etag"} <= _listed(
        preflight.headers["access-control-allow-headers"])
    assert "access-control-allow-credentials" not in preflight.headers  # tokens travel in Authorization
    assert "origin" in _listed(preflight.headers["vary"])

    created = await _new_case(journal, {**headers, "Origin": ALLOWED}, person)
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == ALLOWED
    assert {"etag", "location"} <= _listed(created.headers["access-control-expose-headers"])
    assert created.headers["etag"] and created.headers["location"]

    # A PATCH's preflight (merge-patch with the version read) is answered the same way.
    patch = await journal.client.options(created.headers["location"],
                                         headers=_preflight(ALLOWED, "PATCH", "authorization, content-type, etag"))
    assert patch.status_code == 200 and patch.headers["access-control-allow-origin"] == ALLOWED
    # A refusal is readable too: the browser application sees the 401 and how to log in.
    anonymous = await journal.client.get(href, headers={**ACCEPT, "Origin": ALLOWED})
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == ALLOWED
    assert "www-authenticate" in _listed(anonymous.headers["access-control-expose-headers"])


async def test_another_origin_gets_no_permission(cors_journal: Journal) -> None:
    journal = cors_journal
    headers, person = await _handler(journal)
    href = await _ny_saksmappe(journal, headers)

    preflight = await journal.client.options(href, headers=_preflight(OTHER))
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.json()["feil"]["kode"] == 403 and "origin" in preflight.json()["detail"]
    assert OTHER not in preflight.text
    # A header the interface does not take is refused for an allowed origin as well.
    odd_header = await journal.client.options(href, headers=_preflight(ALLOWED, headers="x-not-a-noark5-header"))
    assert odd_header.status_code == 403 and "headers" in odd_header.json()["detail"]

    # The server answers the request itself (a browser would not have sent it), without permission.
    created = await _new_case(journal, {**headers, "Origin": OTHER}, person)
    assert created.status_code == 201, created.text
    assert "access-control-allow-origin" not in created.headers
    # An origin is the whole scheme://host:port: a look-alike is another origin.
    for look_alike in (ALLOWED + ".evil.example", ALLOWED.replace("https", "http"), ALLOWED + ":8443"):
        answer = await journal.client.options(href, headers=_preflight(look_alike))
        assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers, look_alike


async def test_our_own_api_sends_no_cors_header_even_to_an_allowed_origin(cors_journal: Journal) -> None:
    journal = cors_journal
    headers, _person = await _handler(journal)
    own = await journal.client.get("/saksmapper", headers={**headers, "Origin": ALLOWED})
    assert own.status_code == 200, own.text
    assert not [name for name in own.headers if name.lower().startswith("access-control-")]
    preflight = await journal.client.options("/saksmapper", headers=_preflight(ALLOWED))
    assert preflight.status_code == 405
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]


async def test_without_named_origins_no_cors_header_is_sent(journal: Journal) -> None:
    headers, person = await _handler(journal)
    href = await _ny_saksmappe(journal, headers)
    preflight = await journal.client.options(href, headers=_preflight(ALLOWED))
    assert preflight.status_code == 200 and "POST" in preflight.headers["allow"]  # an OPTIONS, not a permission
    created = await _new_case(journal, {**headers, "Origin": ALLOWED}, person)
    assert created.status_code == 201, created.text
    for answer in (preflight, created):
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")]


@pytest.mark.parametrize("origin", ["https://arkiv.example.no/", "https://arkiv.example.no/api", "arkiv.example.no",
                                    "ftp://arkiv.example.no", "https://arkiv.example.no:99999x"])
def test_a_setting_that_is_not_an_origin_is_refused(origin: str, tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="noark5_cors_origins"):
        JournalSettings(var_dir=tmp_path, environment="test", noark5_cors_origins=[origin])



async def test_any_origin_when_the_operator_names_star(journal_factory: Callable[..., AsyncIterator[Journal]]) -> None:
    async for journal in journal_factory(noark5_cors_origins=["*"]):
        headers, _person = await _handler(journal)
        href = await _ny_saksmappe(journal, headers)
        preflight = await journal.client.options(href, headers=_preflight(OTHER))
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "*"
        read = await journal.client.get(href, headers={**ACCEPT, **headers, "Origin": OTHER})
        assert read.status_code == 200 and read.headers["access-control-allow-origin"] == "*"
