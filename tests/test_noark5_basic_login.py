"""HTTP Basic login (RFC 7617) on the Noark 5 interface, across the journal and the access
service as `make run` wires them: the anonymous root advertises it, a person's user-id and
password work like the token the password grant gives them, and a wrong or malformed one is
a 401 that names no secret and changes nothing."""

from __future__ import annotations

import base64
from typing import Any

from arkiv5_kit.clock import SYSTEM_CLOCK
from suite_harness import PASSWORD, Suite, claims, eventually, suite

__all__ = ["suite"]  # the fixture, imported for pytest

REL = "https://rel.arkivverket.no/noark5/v5/api/"
BASIC_REL = "https://nikita.arkivlab.no/noark5/v5/login/rfc7617/"
NOARK5 = {"Accept": "application/vnd.noark5+json"}


def _basic(username: str, password: str) -> dict[str, str]:
    return {**NOARK5, "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


async def test_a_person_signs_in_with_basic_and_acts_as_with_their_token(suite: Suite) -> None:
    root_url = suite.url("journal", "/noark5/api/")
    anonymous = await suite.http.get(root_url, headers=NOARK5)
    assert anonymous.status_code == 200
    assert anonymous.json()["_links"][BASIC_REL]["href"].rstrip("/") == root_url.rstrip("/")

    basic = _basic("saksbehandler", PASSWORD)
    root = await suite.http.get(root_url, headers=basic)
    assert root.status_code == 200, root.text
    sakarkiv = await suite.http.get(root.json()["_links"][REL + "sakarkiv/"]["href"], headers=basic)
    assert sakarkiv.status_code == 200, sakarkiv.text
    create = sakarkiv.json()["_links"][REL + "sakarkiv/ny-saksmappe/"]["href"]
    template = (await suite.http.get(create, headers=basic)).json()
    created = await suite.http.post(create, headers={**basic, "Content-Type": "application/vnd.noark5+json"},
                                    json={**template, "tittel": "Byggesak Basic",
                                          "administrativEnhet": suite.units["HO-BV"]})
    assert created.status_code == 201, created.text
    # The case is the person's, exactly as when they bring the password grant's token.
    token = await suite.person_token("saksbehandler")
    assert created.json()["opprettetAv"] == claims(token)["person_id"]
    read = await suite.http.get(created.json()["_links"]["self"]["href"],
                                headers={**NOARK5, "Authorization": f"Bearer {token}"})
    assert read.status_code == 200 and read.json()["opprettetAv"] == created.json()["opprettetAv"]


async def test_a_wrong_or_malformed_basic_login_is_a_401_naming_no_secret(suite: Suite) -> None:
    root_url = suite.url("journal", "/noark5/api/")
    wrong = await suite.http.get(root_url, headers=_basic("saksbehandler", "not-the-password-x1"))
    assert wrong.status_code == 401
    assert wrong.json()["feil"]["kode"] == 401 and "Basic" in wrong.headers["www-authenticate"]
    assert "not-the-password-x1" not in wrong.text
    unknown = await suite.http.get(root_url, headers=_basic("finnes-ikke", PASSWORD))
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                   "Basic " + base64.b64encode(b":").decode()):
        malformed = await suite.http.get(root_url, headers={**NOARK5, "Authorization": header})
        assert malformed.status_code == 401, header
    # The right password still works afterwards (two failures are far from the lockout).
    again = await suite.http.get(root_url, headers=_basic("saksbehandler", PASSWORD))
    assert again.status_code == 200, again.text


async def test_a_kept_basic_token_that_is_refused_is_forgotten_and_the_next_call_signs_in_again(
        suite: Suite) -> None:
    """The journal keeps the token a Basic sign-in gave; once the journal refuses that token
    (here: the account is disabled), the next Basic call signs in at the access service again
    instead of bringing the refused token back. The access service's count of failed sign-ins
    (its audit of a locked account's attempts) shows when the journal signed in."""
    root_url = suite.url("journal", "/noark5/api/")
    basic = _basic("saksbehandler", PASSWORD)
    bearer = await suite.person_token("saksbehandler")
    person_id = suite.person_ids["saksbehandler"]
    arkivleder = await suite.person_token("arkivleder", audience="access")

    async def failed_sign_ins() -> list[dict[str, Any]]:
        audit = await suite.call("GET", "/access/audit", arkivleder,
                                 params={"action": "password.failed", "subject_id": person_id})
        assert audit.status_code == 200, audit.text
        entries: list[dict[str, Any]] = audit.json()
        return entries

    first = await suite.http.get(root_url, headers=basic)
    assert first.status_code == 200, first.text
    # Lock the account: from now on every sign-in with the right password is refused and counted.
    for _ in range(5):
        wrong = await suite.http.post(suite.url("access", "/oauth2/token"), data={
            "grant_type": "password", "username": "saksbehandler", "password": "not-the-password-x2"})
        assert wrong.status_code == 400, wrong.text
    locked = await failed_sign_ins()
    assert len(locked) == 5
    # The kept token serves the next call: no sign-in, so nothing more is counted (a lock stops
    # sign-ins, as for any client that holds a token).
    kept = await suite.http.get(root_url, headers=basic)
    assert kept.status_code == 200, kept.text
    assert len(await failed_sign_ins()) == 5

    # The account is disabled from today; once the journal has read that, its tokens are refused.
    account_id = locked[0]["details"]["account_id"]
    disabled = await suite.call("POST", f"/access/accounts/{account_id}/disable", arkivleder,
                                json={"disabled_from": SYSTEM_CLOCK.today().isoformat()})
    assert disabled.status_code == 200, disabled.text

    async def token_refused() -> bool:
        response = await suite.http.get(root_url, headers={**NOARK5, "Authorization": f"Bearer {bearer}"})
        return response.status_code == 401

    await eventually(token_refused, what="the disabled account's token refused by the journal")

    refused = await suite.http.get(root_url, headers=basic)
    assert refused.status_code == 401 and "Basic" in refused.headers["www-authenticate"]
    assert len(await failed_sign_ins()) == 5, "the refused call brought the kept token, it did not sign in"
    again = await suite.http.get(root_url, headers=basic)
    assert again.status_code == 401
    assert len(await failed_sign_ins()) == 6, "the next call signed in afresh (refused: the account is locked)"
