"""The sporingslogg: every read of screened content — allowed and refused — reaches the access
service's sporingslogg within seconds, once each; reads of unscreened material do not.

The embedded suite (in-process bus): a case handler cleared for client cases reads a
journalpost in a client's case (allowed) and a reader without clearance reads it masked
(denied); the arkivleder finds each read once, per person and per object, with paging, and
nobody else may search. (Refused reads, 403, are noted by the same code path.)
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx

from suite_harness import Suite, eventually, suite

__all__ = ["suite"]  # the fixture, imported for pytest


async def _client_case(s: Suite, handler: str) -> tuple[str, str]:
    async def created() -> httpx.Response | None:
        response = await s.journal("POST", "/saksmapper", handler, json={
            "tittel": "Oppfølging", "administrativEnhet": s.units["HO-BV"],
            "saksansvarlig": s.person_ids["saksbehandler"],
            "klient": {"partNavn": "Sporveig Loggesen", "foedselsnummer": "28027349953"}})
        return response if response.status_code == 201 else None

    case_id = (await eventually(created, what="the handler's rights in the journal")).json()["systemID"]
    registered = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", handler, json={
        "journalposttype": "I", "tittel": "Søknad", "mottattDato": date.today().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Sporveig Loggesen"}]})
    assert registered.status_code == 201, registered.text
    return case_id, registered.json()["systemID"]


async def _entries(s: Suite, token: str, **params: Any) -> list[dict[str, Any]]:
    response = await s.call("GET", "/access/sporingslogg", token, params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["count"] >= len(page["results"])
    return list(page["results"])


async def test_allowed_and_refused_screened_reads_reach_the_sporingslogg_once_each(suite: Suite) -> None:
    s = suite
    handler = await s.person_token("saksbehandler")
    reader = await s.person_token("lesetilgang")
    arkivleder = await s.person_token("arkivleder", audience="access")
    case_id, jp_id = await _client_case(s, handler)
    open_case = await s.journal("POST", "/saksmapper", handler, json={
        "tittel": "Vegvedlikehald", "administrativEnhet": s.units["HO-BV"]})
    assert open_case.status_code == 201, open_case.text

    seen = await s.journal("GET", f"/journalposter/{jp_id}", handler)
    assert seen.status_code == 200 and "Sporveig" in seen.text
    masked = await s.journal("GET", f"/journalposter/{jp_id}", reader)
    assert masked.status_code == 200 and "Sporveig" not in masked.text
    unscreened = await s.journal("GET", f"/saksmapper/{open_case.json()['systemID']}", reader)
    assert unscreened.status_code == 200

    handler_id, reader_id = s.person_ids["saksbehandler"], s.person_ids["lesetilgang"]

    async def logged() -> list[dict[str, Any]] | None:
        rows = await _entries(s, arkivleder, objekt=jp_id)
        return rows if {r["actor_id"] for r in rows} >= {handler_id, reader_id} else None

    rows = await eventually(logged, what="the screened reads in the sporingslogg")
    await asyncio.sleep(2)  # a duplicate would arrive by now
    rows = await _entries(s, arkivleder, objekt=jp_id)
    by_reader = {reader_id: [r for r in rows if _actor(r) == reader_id],
                 handler_id: [r for r in rows if _actor(r) == handler_id and r["action"] == "screened.read"]}
    assert [r["outcome"] for r in by_reader[handler_id]] == ["allowed"], rows
    assert [r["outcome"] for r in by_reader[reader_id]] == ["denied"], rows
    for row in rows:
        assert row["object_type"] == "journalpost" and row["object_id"] == jp_id
        assert row["rule"] and row["access_code"] == "KL" and row["details"]["saksmappe_id"] == case_id
    assert "Sporveig" not in str(rows) and "28027349953" not in str(rows)

    # Per person, with paging; the case's own reads are found through the case.
    mine = await _entries(s, arkivleder, person=reader_id, **{"$top": 1})
    assert len(mine) == 1 and _actor(mine[0]) == reader_id
    through_case = await _entries(s, arkivleder, objekt=case_id)
    assert {r["id"] for r in rows} <= {r["id"] for r in through_case}

    # Unscreened reads are not logged.
    assert await _entries(s, arkivleder, objekt=open_case.json()["systemID"]) == []

    # Only the arkivleder searches it.
    for person in ("arkivtjeneste", "systemansvarlig"):
        token = await s.person_token(person, audience="access")
        refused = await s.call("GET", "/access/sporingslogg", token, params={"person": reader_id})
        assert refused.status_code == 403, refused.text


def _actor(row: dict[str, Any]) -> str | None:
    return row["actor_id"]
