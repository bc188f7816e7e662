"""Login discovery on the Noark 5 interface, across the journal and the access service as
`make run` wires them: a client that knows only the root finds the token endpoint through the
standard's OpenID Connect rel, signs in there (a person with the password grant, a system with
client credentials) and uses the token; the configuration's issuer and JWKS are the ones the
access service really signs with."""

from __future__ import annotations

import base64
import json
from typing import Any

from suite_harness import PASSWORD, SECRET, Suite, suite, suite_each_backend

__all__ = ["suite", "suite_each_backend"]  # the fixtures, imported for pytest

REL = "https://rel.arkivverket.no/noark5/v5/api/"
NOARK5 = {"Accept": "application/vnd.noark5+json"}


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


async def _configuration(suite: Suite) -> dict[str, Any]:
    root = await suite.http.get(suite.url("journal", "/noark5/api/"), headers=NOARK5)
    assert root.status_code == 200, root.text
    answer = await suite.http.get(root.json()["_links"][REL + "login/oidc/"]["href"])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_client_knowing_only_the_root_finds_the_token_endpoint_signs_in_and_uses_the_token(
        suite_each_backend: Suite) -> None:
    suite = suite_each_backend
    configuration = await _configuration(suite)
    assert "password" in configuration["grant_types_supported"]
    signed_in = await suite.http.post(configuration["token_endpoint"], data={
        "grant_type": "password", "username": "saksbehandler", "password": PASSWORD, "audience": "journal"})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["expires_in"] > 0
    token = signed_in.json()["access_token"]
    root = await suite.http.get(suite.url("journal", "/noark5/api/"),
                                headers={**NOARK5, "Authorization": f"Bearer {token}"})
    assert root.status_code == 200, root.text
    sakarkiv = await suite.http.get(root.json()["_links"][REL + "sakarkiv/"]["href"],
                                    headers={**NOARK5, "Authorization": f"Bearer {token}"})
    assert sakarkiv.status_code == 200 and REL + "sakarkiv/ny-saksmappe/" in sakarkiv.json()["_links"]

    # A system signs in with client credentials in the Authorization header, as advertised.
    assert "client_credentials" in configuration["grant_types_supported"]
    assert "client_secret_basic" in configuration["token_endpoint_auth_methods_supported"]
    system = await suite.http.post(configuration["token_endpoint"], auth=("demo-fagsystem", SECRET), data={
        "grant_type": "client_credentials", "audience": "journal", "scope": "journal.read"})
    assert system.status_code == 200, system.text
    system_root = await suite.http.get(root.json()["_links"]["self"]["href"], headers={
        **NOARK5, "Authorization": f"Bearer {system.json()['access_token']}"})
    assert system_root.status_code == 200 and REL + "sakarkiv/" in system_root.json()["_links"]


async def test_the_configurations_issuer_and_jwks_are_those_the_access_service_signs_with(suite: Suite) -> None:
    configuration = await _configuration(suite)
    token = await suite.person_token("saksbehandler")
    assert _payload(token)["iss"] == configuration["issuer"]
    jwks = await suite.http.get(configuration["jwks_uri"])
    assert jwks.status_code == 200, jwks.text
    assert jwks.json() == (await suite.http.get(suite.url("access", "/.well-known/jwks.json"))).json()
    assert _header(token)["kid"] in {key["kid"] for key in jwks.json()["keys"]}
    # The reference implementation's rel and address lead to the same document.
    anonymous = (await suite.http.get(suite.url("journal", "/noark5/api/"), headers=NOARK5)).json()["_links"]
    assert anonymous["https://nikita.arkivlab.no/noark5/v5/login/oidc/"] == anonymous[REL + "login/oidc/"]
    old = await suite.http.get(suite.url("journal", "/noark5/api/login/oidc/.well-known/openid-configuration"))
    assert old.json() == configuration
