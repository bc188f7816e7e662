"""Every way to send the access API something it cannot carry out is a precise problem+json
4xx that writes nothing: bad types and values, unknown ids, conflicting state, oversized
bodies. (Concurrency, the other way to a 500, is tested on PostgreSQL in test_concurrency.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select

from arkiv5_access.models import metadata
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.messaging import messaging_metadata

UNKNOWN = str(uuid4())


async def table_counts(access) -> dict[str, int]:
    """Rows in every table of the service, the outbox included."""
    counts = {}
    async with access.app.state.runtime.database.sessions() as session:
        for table in [*metadata.sorted_tables, *messaging_metadata.sorted_tables]:
            counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts


def assert_problem(response, status: int, slug: str, case: str) -> None:
    assert response.status_code == status, (case, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), case
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + slug), (case, body)
    assert body["detail"] and "Traceback" not in response.text, case
    assert "correlation_id" in body, case


async def _chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * 65536
        sent += 65536


async def test_every_bad_request_is_a_precise_4xx_problem_and_writes_nothing(access):
    # On both backends: PostgreSQL refuses NUL in text and integers beyond 64 bits, where SQLite shrugs.
    await _every_bad_request(access)


async def _every_bad_request(access) -> None:
    arkivleder = await access.as_user("arkivleder")
    admin = await access.as_user("systemansvarlig")
    journal = await access.as_client("journal", "access.audit.write access.decisions")
    person_id = await access.person_id("saksbehandler")
    unit_id = await access.unit_id("HO-BV")
    day = clock.today().isoformat()
    submitted = await access.new_user(effective=clock.today() + timedelta(days=5), approve=False)
    change = {"kind": "change", "person_id": person_id, "full_name": "Kari Nordmann", "job_title": "Konsulent",
              "effective_date": day, "unit_id": unit_id, "roles": ["saksbehandler"]}
    resource = {"kind": "saksmappe", "id": str(uuid4()), "unit_id": unit_id, "access_code": "KL"}
    oversized = b'{"code": "X", "name": "' + b"x" * 1_100_000 + b'"}'

    cases: list[tuple[str, str, str, dict[str, str] | None, dict[str, Any], int, str]] = [
        # name, method, path, headers, request kwargs, status, problem slug
        ("unit code with NUL", "POST", "/units", arkivleder,
         {"json": {"code": "X\u0000", "name": "n", "valid_from": day}}, 422, "validation-error"),
        ("unit from year 9999", "POST", "/units", arkivleder,
         {"json": {"code": "X", "name": "n", "valid_from": "9999-12-31"}}, 422, "validation-error"),
        ("unit with unknown parent", "POST", "/units", arkivleder,
         {"json": {"code": "X", "name": "n", "valid_from": day, "parent_id": UNKNOWN}}, 422, "unprocessable"),
        ("unit code taken", "POST", "/units", arkivleder,
         {"json": {"code": "HO", "name": "n", "valid_from": day}}, 409, "conflict"),
        ("body is a list", "POST", "/units", arkivleder, {"json": [1, 2]}, 422, "validation-error"),
        ("body is not JSON", "POST", "/units", {**arkivleder, "content-type": "application/json"},
         {"content": b"{not json"}, 422, "validation-error"),
        ("name is a number", "POST", "/units", arkivleder,
         {"json": {"code": "X", "name": 5, "valid_from": day}}, 422, "validation-error"),
        ("oversized body", "POST", "/units", {**arkivleder, "content-type": "application/json"},
         {"content": oversized}, 413, "payload-too-large"),
        ("oversized chunked body", "POST", "/units", {**arkivleder, "content-type": "application/json"},
         {"content": _chunks(2_000_000)}, 413, "payload-too-large"),
        ("access code with a space", "POST", "/access-codes", arkivleder,
         {"json": {"code": "A B", "name": "n"}}, 422, "validation-error"),
        ("history of a code with NUL", "GET", "/access-codes/A%00B/history", arkivleder, {}, 422,
         "validation-error"),
        ("full name with NUL", "POST", "/change-requests", arkivleder,
         {"json": {**change, "full_name": "Kari\u0000"}}, 422, "validation-error"),
        ("effective date year 1", "POST", "/change-requests", arkivleder,
         {"json": {**change, "effective_date": "0001-01-01"}}, 422, "validation-error"),
        ("rights until year 9999", "POST", "/change-requests", arkivleder,
         {"json": {**change, "valid_to": "9999-12-31"}}, 422, "validation-error"),
        ("roles as a string", "POST", "/change-requests", arkivleder,
         {"json": {**change, "roles": "saksbehandler"}}, 422, "validation-error"),
        ("a system role for a person", "POST", "/change-requests", arkivleder,
         {"json": {**change, "roles": ["fagsystem"]}}, 422, "validation-error"),
        ("change for an unknown person", "POST", "/change-requests", arkivleder,
         {"json": {**change, "person_id": UNKNOWN}}, 422, "unprocessable"),
        ("change into an unknown unit", "POST", "/change-requests", arkivleder,
         {"json": {**change, "unit_id": UNKNOWN}}, 422, "unprocessable"),
        ("access code with NUL in a request", "POST", "/change-requests", arkivleder,
         {"json": {**change, "access_codes": ["K\u0000"]}}, 422, "validation-error"),
        ("decision on an unknown request", "POST", f"/change-requests/{UNKNOWN}/decision", arkivleder,
         {"json": {"outcome": "approved"}}, 404, "not-found"),
        ("decision on a malformed id", "POST", "/change-requests/not-a-uuid/decision", arkivleder,
         {"json": {"outcome": "approved"}}, 422, "validation-error"),
        ("decision outcome unknown", "POST", f"/change-requests/{submitted['id']}/decision", arkivleder,
         {"json": {"outcome": "maybe"}}, 422, "validation-error"),
        ("authorising an unknown person", "POST", f"/persons/{UNKNOWN}/authorisations", arkivleder,
         {"json": {"access_codes": ["KL"], "valid_from": day}}, 404, "not-found"),
        ("authorisation until year 9999", "POST", f"/persons/{person_id}/authorisations", arkivleder,
         {"json": {"access_codes": ["KL"], "valid_from": day, "valid_to": "9999-12-31"}}, 422, "validation-error"),
        ("authorisation for an unknown group", "POST", f"/persons/{person_id}/authorisations", arkivleder,
         {"json": {"group_ids": [UNKNOWN], "valid_from": day}}, 422, "unprocessable"),
        ("group with an unknown member", "POST", "/groups", arkivleder,
         {"json": {"name": "g", "valid_from": day, "member_person_ids": [UNKNOWN]}}, 422, "unprocessable"),
        ("group until year 9999", "POST", "/groups", arkivleder,
         {"json": {"name": "g", "valid_from": day, "valid_to": "9999-12-31", "member_person_ids": [person_id]}},
         422, "validation-error"),
        ("disabling an unknown account", "POST", f"/accounts/{UNKNOWN}/disable", admin,
         {"json": {"disabled_from": day}}, 404, "not-found"),
        ("disabling from year 1", "POST", f"/accounts/{UNKNOWN}/disable", admin,
         {"json": {"disabled_from": "0001-01-01"}}, 422, "validation-error"),
        ("client id taken", "POST", "/clients", admin,
         {"json": {"client_id": "journal", "valid_from": day}}, 409, "conflict"),
        ("client scope with NUL", "POST", "/clients", admin,
         {"json": {"client_id": "ny-klient", "valid_from": day, "allowed_scopes": ["journal.read\u0000"]}},
         422, "validation-error"),
        ("reviewing an unknown authorisation", "POST", f"/reviews/{UNKNOWN}", arkivleder,
         {"json": {"outcome": "accepted"}}, 404, "not-found"),
        ("rights of an unknown person", "GET", f"/persons/{UNKNOWN}/rights", arkivleder, {}, 404, "not-found"),
        ("history of an unknown person", "GET", f"/persons/{UNKNOWN}/history", arkivleder, {}, 404, "not-found"),
        ("rights in year 9999", "GET", f"/persons/{person_id}/rights?at=9999-12-31", arkivleder, {}, 422,
         "validation-error"),
        ("decision for an unknown person", "POST", "/decisions", journal,
         {"json": {"person_id": UNKNOWN, "action": "read-screened", "resource": resource}}, 422, "unprocessable"),
        ("decision in year 1", "POST", "/decisions", journal,
         {"json": {"person_id": person_id, "action": "read-screened", "resource": resource, "at": "0001-01-01"}},
         422, "validation-error"),
        ("audit time without a zone", "POST", "/audit", journal,
         {"json": {"action": "x.y", "outcome": "denied", "occurred_at": "2026-01-01T00:00:00"}}, 422,
         "validation-error"),
        ("audit access code with NUL", "POST", "/audit", journal,
         {"json": {"action": "x.y", "outcome": "denied", "access_code": "P\u0000"}}, 422, "validation-error"),
        ("audit offset beyond any integer column", "GET", f"/audit?offset={10**24}", arkivleder, {}, 422,
         "validation-error"),
        ("audit filter with NUL", "GET", "/audit?action=a%00b", arkivleder, {}, 422, "validation-error"),
        ("audit since without a zone", "GET", "/audit?since=2026-01-01T00:00:00", arkivleder, {}, 422,
         "validation-error"),
        ("username with NUL", "POST", "/oauth2/token", None,
         {"data": {"grant_type": "password", "username": "leder\u0000", "password": "x"}}, 400, "invalid-request"),
        ("client id with NUL", "POST", "/oauth2/token", None,
         {"data": {"grant_type": "client_credentials", "client_id": "journal\u0000", "client_secret": "x",
                   "audience": "journal"}}, 400, "invalid-request"),
        ("token request as JSON", "POST", "/oauth2/token", None, {"json": {"grant_type": "password"}}, 422,
         "validation-error"),
    ]
    for name, method, path, headers, kwargs, status, slug in cases:
        before = await table_counts(access)
        response = await access.client.request(method, path, headers=headers, **kwargs)
        assert_problem(response, status, slug, name)
        assert await table_counts(access) == before, name


async def test_approving_a_new_user_whose_username_was_taken_meanwhile_is_a_409_that_writes_nothing(access):
    first = await access.new_user(effective=clock.today(), username="kari.n", approve=False)
    second = await access.new_user(effective=clock.today(), username="kari.n", approve=False)
    arkivleder = await access.as_user("arkivleder")
    approved = await access.client.post(f"/change-requests/{first['id']}/decision", json={"outcome": "approved"},
                                        headers=arkivleder)
    assert approved.status_code == 200
    before = await table_counts(access)
    refused = await access.client.post(f"/change-requests/{second['id']}/decision", json={"outcome": "approved"},
                                       headers=arkivleder)
    assert_problem(refused, 409, "conflict", "username taken")
    assert "username" in refused.json()["detail"] and "kari.n" not in refused.json()["detail"]
    assert await table_counts(access) == before
    # It can still be rejected, which creates nobody.
    rejected = await access.client.post(f"/change-requests/{second['id']}/decision", json={"outcome": "rejected"},
                                        headers=arkivleder)
    assert rejected.status_code == 200 and rejected.json()["person_id"] is None


async def test_reviewing_an_authorisation_twice_is_a_409_that_writes_nothing(access):
    person_id = await access.person_id("saksbehandler")
    leader = await access.as_user("leder")
    granted = await access.client.post(f"/persons/{person_id}/authorisations", headers=leader,
                                       json={"access_codes": ["P"], "valid_from": clock.today().isoformat()})
    assert granted.status_code == 201, granted.text
    arkivleder = await access.as_user("arkivleder")
    path = f"/reviews/{granted.json()['id']}"
    assert (await access.client.post(path, json={"outcome": "revoked"}, headers=arkivleder)).status_code == 200
    before = await table_counts(access)
    again = await access.client.post(path, json={"outcome": "accepted"}, headers=arkivleder)
    assert_problem(again, 409, "conflict", "second review")
    assert await table_counts(access) == before


async def test_the_body_limit_is_a_setting(make_access):
    access = await make_access(max_body_bytes=2048)
    arkivleder = await access.as_user("arkivleder")
    body = {"code": "X", "name": "n" * 190, "valid_from": clock.today().isoformat()}
    assert (await access.client.post("/units", json=body, headers=arkivleder)).status_code == 201
    big = {"name": "g", "valid_from": clock.today().isoformat(), "member_person_ids": [str(uuid4()) for _ in range(80)]}
    response = await access.client.post("/groups", json=big, headers=arkivleder)
    assert_problem(response, 413, "payload-too-large", "group over 2 KiB")
    assert response.headers["x-correlation-id"] == response.json()["correlation_id"]
