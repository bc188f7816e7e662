"""A local access code created in access is usable in the journal and screens like a Noark code
(issue 12, item 8): the arkivleder adds it, access publishes it (AccessCodeChanged), the journal
accepts it on a skjerming and shows the record in full only to those cleared for it. A code
neither list knows is refused with problem+json naming the field, never the value.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from arkiv5_kit.clock import SYSTEM_CLOCK
from suite_harness import Suite, eventually, suite_each_backend

__all__ = ["suite_each_backend"]  # the fixture, imported for pytest

SECRET = "Lokalia Kodesen"
FIELD = "body.skjerming.tilgangsrestriksjon"


def _skjerming(code: str) -> dict[str, Any]:
    return {"tilgangsrestriksjon": code, "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13",
            "skjermingMetadata": ["TMO", "TRO"]}


def _case(code: str, unit: str, saksansvarlig: str) -> dict[str, Any]:
    return {"tittel": f"Sak om {SECRET}", "skjermedeOrd": [SECRET], "skjerming": _skjerming(code),
            "administrativEnhet": unit, "saksansvarlig": saksansvarlig}


def _assert_refused_naming_the_field(response: Any, value: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert FIELD in [e["field"] for e in problem["errors"]], problem
    assert value not in response.text


async def test_a_local_access_code_is_accepted_and_screens_in_the_journal(suite_each_backend: Suite) -> None:
    s = suite_each_backend
    arkivleder = await s.person_token("arkivleder", audience="access")
    handler = await s.person_token("saksbehandler")
    leader = await s.person_token("leder")
    handler_id = s.person_ids["saksbehandler"]
    unit = s.units["HO-BV"]

    # A code nobody published: refused, naming the field and not the value.
    unknown = await s.journal("POST", "/saksmapper", handler, json=_case("Q7XW", unit, handler_id))
    _assert_refused_naming_the_field(unknown, "Q7XW")

    created = await s.call("POST", "/access/access-codes", arkivleder, json={"code": "BVL", "name": "Barnevern lokal"})
    assert created.status_code == 201, created.text
    granted = await s.call("POST", f"/access/persons/{handler_id}/authorisations", arkivleder, json={
        "access_codes": ["BVL"], "valid_from": SYSTEM_CLOCK.today().isoformat()})
    assert granted.status_code == 201, granted.text

    async def accepted() -> Any:
        response = await s.journal("POST", "/saksmapper", handler, json=_case("BVL", unit, handler_id))
        assert response.status_code in (201, 403, 422), response.text
        return response if response.status_code == 201 else None

    case = (await eventually(accepted, what="the journal accepts the published local code")).json()
    assert case["skjerming"]["tilgangsrestriksjon"]["kode"] == "BVL"

    async def cleared() -> bool:
        read = await s.journal("GET", f"/saksmapper/{case['systemID']}", handler)
        return read.status_code == 200 and read.json()["erSkjermetForDeg"] is False

    await eventually(cleared, what="the journal has the handler's clearance for the local code")
    post = await s.journal("POST", f"/saksmapper/{case['systemID']}/journalposter", handler, json={
        "journalposttype": "X", "tittel": f"Notat om {SECRET}", "skjermedeOrd": [SECRET]})
    assert post.status_code == 201, post.text

    # Cleared for BVL: in full. The leader of the unit tree holds KL but not BVL: screened.
    for path in (f"/saksmapper/{case['systemID']}", f"/journalposter/{post.json()['systemID']}"):
        full = await s.journal("GET", path, handler)
        assert full.status_code == 200 and SECRET in full.text and full.json()["erSkjermetForDeg"] is False
        screened = await s.journal("GET", path, leader)
        assert screened.status_code in (200, 403), screened.text
        assert SECRET not in screened.text
        if screened.status_code == 200:
            assert screened.json()["erSkjermetForDeg"] is True

    # The same case under KL (a Noark code the leader holds) is open to her: the local code is what screened it.
    kl_case = await s.journal("POST", "/saksmapper", handler, json=_case("KL", unit, handler_id))
    assert kl_case.status_code == 201, kl_case.text
    kl_read = await s.journal("GET", f"/saksmapper/{kl_case.json()['systemID']}", leader)
    assert kl_read.status_code == 200 and SECRET in kl_read.text

    # Still unknown codes are refused on a journalpost too.
    bad_post = await s.journal("POST", f"/saksmapper/{case['systemID']}/journalposter", handler, json={
        "journalposttype": "X", "tittel": "Notat", "skjerming": _skjerming("ZZ9Q")})
    _assert_refused_naming_the_field(bad_post, "ZZ9Q")
