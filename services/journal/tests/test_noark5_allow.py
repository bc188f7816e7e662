"""`Allow` on the Noark 5 interface: an OPTIONS of a resource answers with the methods it takes
(not a 405), and every answer of a resource names them, as the clients written for the
reference implementation read them (its conformance suite splits `Allow` on the comma).

Runs on SQLite and PostgreSQL (the `journal` fixtures).
"""

from __future__ import annotations

from .conftest import Journal
from .test_noark5_api import ACCEPT, ROOT, _get, _handler, _new_case, _package, rel


def _methods(allow: str) -> list[str]:
    # Split as the suite does: a space after the comma would make " POST" no method at all.
    return allow.split(",")


async def test_an_options_of_a_resource_names_its_methods(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    sakarkiv = await _package(journal, headers, "sakarkiv")
    ny_saksmappe = sakarkiv["_links"][rel("sakarkiv/ny-saksmappe")]["href"]

    root = await journal.client.options(ROOT)  # anonymous, as a client asks before it logs in
    assert root.status_code == 200, root.text
    assert _methods(root.headers["allow"]) == ["GET", "OPTIONS"]
    assert root.content == b""

    template = await journal.client.options(ny_saksmappe, headers=headers)
    assert template.status_code == 200, template.text
    assert {"GET", "POST", "OPTIONS"} <= set(_methods(template.headers["allow"]))
    assert "PUT" not in _methods(template.headers["allow"])


async def test_every_answer_of_a_resource_names_its_methods(journal: Journal) -> None:
    headers, person = await _handler(journal)
    created = await _new_case(journal, headers, person)
    assert created.status_code == 201, created.text
    # The POST's answer names the methods of what was asked (the template), not of the new case.
    assert {"GET", "POST"} <= set(_methods(created.headers["allow"]))

    case = await journal.client.get(created.headers["location"], headers={**ACCEPT, **headers})
    assert case.status_code == 200, case.text
    assert {"GET", "PATCH", "PUT", "OPTIONS"} <= set(_methods(case.headers["allow"]))
    assert "POST" not in _methods(case.headers["allow"])

    # A refusal of the resource names them too; the same object's OPTIONS agrees with its GET.
    anonymous = await journal.client.get(created.headers["location"], headers=ACCEPT)
    assert anonymous.status_code == 401
    assert anonymous.headers["allow"] == case.headers["allow"]
    asked = await journal.client.options(created.headers["location"])
    assert asked.status_code == 200 and asked.headers["allow"] == case.headers["allow"]
    assert (await _get(journal, ROOT, headers)).headers["allow"] == "GET,OPTIONS"


async def test_a_path_of_no_resource_is_still_not_found_and_our_own_api_keeps_its_405(journal: Journal) -> None:
    unknown = await journal.client.options(ROOT + "sakarkiv/no-such-resource/")
    assert unknown.status_code == 404
    assert "allow" not in unknown.headers
    own = await journal.client.options("/saksmapper")
    assert own.status_code == 405
