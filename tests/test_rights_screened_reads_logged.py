"""Each read of a screened journalpost appears in the sporingslogg once, with who, when, which
object and which rule (issue 12): the allowed read (a cleared case handler), the masked one (a
reader without clearance: denied) and the refused one (403: the change log of a screened
record needs clearance). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from suite_harness import Suite, eventually, suite_each_backend

__all__ = ["suite_each_backend"]  # the fixture, imported for pytest

CLIENT = "Refusia Loggmann"
FNR = "28027349953"


async def _entries(s: Suite, token: str, **params: Any) -> list[dict[str, Any]]:
    response = await s.call("GET", "/access/sporingslogg", token, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


async def test_allowed_masked_and_refused_screened_reads_are_each_logged_once(suite_each_backend: Suite) -> None:
    s = suite_each_backend
    handler = await s.person_token("saksbehandler")
    reader = await s.person_token("lesetilgang")
    archivist = await s.person_token("arkivtjeneste")
    arkivleder = await s.person_token("arkivleder", audience="access")
    ids = {name: s.person_ids[name] for name in ("saksbehandler", "lesetilgang", "arkivtjeneste")}

    async def created() -> Any:
        response = await s.journal("POST", "/saksmapper", handler, json={
            "tittel": "Oppfølging", "administrativEnhet": s.units["HO-BV"], "saksansvarlig": ids["saksbehandler"],
            "klient": {"partNavn": CLIENT, "foedselsnummer": FNR}})
        return response if response.status_code == 201 else None

    case_id = (await eventually(created, what="the handler's rights in the journal")).json()["systemID"]
    registered = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", handler, json={
        "journalposttype": "I", "tittel": "Søknad", "mottattDato": date.today().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": CLIENT}]})
    assert registered.status_code == 201, registered.text
    jp_id = registered.json()["systemID"]
    started = datetime.now().astimezone()

    allowed = await s.journal("GET", f"/journalposter/{jp_id}", handler)
    assert allowed.status_code == 200 and CLIENT in allowed.text
    masked = await s.journal("GET", f"/journalposter/{jp_id}", reader)
    assert masked.status_code == 200 and CLIENT not in masked.text
    refused = await s.journal("GET", f"/endringslogg/{jp_id}", archivist)
    assert refused.status_code == 403, refused.text
    assert CLIENT not in refused.text and FNR not in refused.text

    def reads(rows: list[dict[str, Any]], person: str) -> list[dict[str, Any]]:
        return [r for r in rows if r["actor_id"] == ids[person] and r["action"] == "screened.read"]

    async def logged() -> list[dict[str, Any]] | None:
        rows = await _entries(s, arkivleder, objekt=jp_id)
        return rows if all(reads(rows, p) for p in ids) else None

    await eventually(logged, what="the three screened reads in the sporingslogg")
    await asyncio.sleep(2)  # a duplicate would have arrived by now
    rows = await _entries(s, arkivleder, objekt=jp_id)
    expected = {"saksbehandler": "allowed", "lesetilgang": "denied", "arkivtjeneste": "denied"}
    for person, outcome in expected.items():
        mine = reads(rows, person)
        assert [r["outcome"] for r in mine] == [outcome], (person, rows)
        entry = mine[0]
        assert entry["object_type"] == "journalpost" and entry["object_id"] == jp_id
        assert entry["access_code"] == "KL" and entry["details"]["saksmappe_id"] == case_id
        assert entry["rule"], entry
        assert datetime.fromisoformat(entry["occurred_at"]) >= started.replace(microsecond=0), entry
    # The refused read names the rule that refused it: no clearance for the code.
    assert reads(rows, "arkivtjeneste")[0]["rule"] == "read-screened.not-cleared"
    assert reads(rows, "lesetilgang")[0]["rule"] == "read-screened.not-cleared"
    assert CLIENT not in str(rows) and FNR not in str(rows)

    # Found per person too.
    by_person = await _entries(s, arkivleder, person=ids["arkivtjeneste"])
    assert [r["object_id"] for r in reads(by_person, "arkivtjeneste")] == [jp_id]
