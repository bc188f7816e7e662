"""HTTP Basic login (RFC 7617) on the Noark 5 interface, across the journal and the access
service as `make run` wires them: the anonymous root advertises it, a person's user-id and
password work like the token the password grant gives them, and a wrong or malformed one is
a 401 that names no secret and changes nothing."""

from __future__ import annotations

import base64

from suite_harness import PASSWORD, Suite, claims, suite

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
