"""Federated sign-in: an identity provider's token exchanged (RFC 8693) for our own token,
with a fake identity provider (its own key pair and JWKS), and every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from arkiv5_access.settings import AccessSettings
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.testing import TestTokenIssuer

from .test_refusals import assert_problem, table_counts

KEYCLOAK = "https://login.kommune.test/realms/ansatte"
IDPORTEN = "https://idporten.test"
KEYCLOAK_JWKS = f"{KEYCLOAK}/protocol/openid-connect/certs"
IDPORTEN_JWKS = f"{IDPORTEN}/jwks.json"
WEB_CLIENT = "arkiv5-web"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
EMAIL = "kari.nordmann@kommune.test"


class FakeIdentityProviders:
    """Two identity providers serving their JWKS; counts the fetches."""

    def __init__(self) -> None:
        self.keycloak = TestTokenIssuer(issuer=KEYCLOAK, kid="kc-1")
        self.idporten = TestTokenIssuer(issuer=IDPORTEN, kid="idp-1")
        self.fetches = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        jwks = {KEYCLOAK_JWKS: self.keycloak.jwks, IDPORTEN_JWKS: self.idporten.jwks}.get(str(request.url))
        if jwks is None:
            return httpx.Response(404)
        self.fetches += 1
        return httpx.Response(200, json=jwks)

    def settings(self) -> list[dict[str, Any]]:
        return [
            {"issuer": KEYCLOAK, "jwks_url": KEYCLOAK_JWKS, "audience": WEB_CLIENT, "subject_claim": "email"},
            {"issuer": IDPORTEN, "jwks_url": IDPORTEN_JWKS, "audience": WEB_CLIENT, "subject_claim": "pid"},
        ]


@pytest.fixture
async def idps() -> FakeIdentityProviders:
    return FakeIdentityProviders()


@pytest.fixture
async def federated(make_access, idps):
    client = httpx.AsyncClient(transport=httpx.MockTransport(idps.handler))
    access = await make_access(http_client=client, trusted_issuers=idps.settings())
    yield access
    await client.aclose()


async def link(access, username: str, issuer: str, subject: str) -> dict[str, Any]:
    response = await access.client.post(
        "/external-identities", headers=await access.as_user("systemansvarlig"),
        json={"person_id": await access.person_id(username), "issuer": issuer, "subject": subject},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def exchange(access, subject_token: str, **extra: str) -> httpx.Response:
    return await access.client.post("/oauth2/token", data={
        "grant_type": EXCHANGE, "subject_token": subject_token, "subject_token_type": ID_TOKEN, **extra})


def keycloak_token(idps: FakeIdentityProviders, **changes: Any) -> str:
    claims: dict[str, Any] = {"sub": "f81d4fae-kc", "audience": WEB_CLIENT, "email": EMAIL}
    claims.update(changes)
    return idps.keycloak.token(**claims)


async def test_a_linked_person_exchanges_the_idp_token_for_our_token_with_todays_roles(federated, idps):
    linked = await link(federated, "saksbehandler", KEYCLOAK, EMAIL)
    person_id = await federated.person_id("saksbehandler")
    assert linked["person_id"] == person_id and linked["subject"] == EMAIL

    response = await exchange(federated, keycloak_token(idps), audience="journal")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    claims = await (await federated.verifier("journal")).verify(body["access_token"])
    assert claims.iss == "https://access.arkiv5.test" and claims.aud == ["journal"]
    assert str(claims.person_id) == person_id and claims.sub == person_id
    assert claims.roles == {"saksbehandler"} and claims.scope == {"journal.read", "journal.write"}
    assert claims.exp - claims.iat == 300

    # The exchanged token is an ordinary token of the person; the JWKS was fetched once.
    again = await exchange(federated, keycloak_token(idps))
    me = await federated.client.get("/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["person_id"] == person_id
    assert idps.fetches == 1


async def test_the_identifier_claim_is_configured_per_issuer(federated, idps):
    await link(federated, "leder", IDPORTEN, "01017000027")
    token = idps.idporten.token(sub="pairwise-xyz", audience=WEB_CLIENT, pid="01017000027")
    response = await exchange(federated, token, audience="access")
    assert response.status_code == 200, response.text
    claims = await (await federated.verifier("access")).verify(response.json()["access_token"])
    assert str(claims.person_id) == await federated.person_id("leder") and claims.roles == {"leder"}
    # The same value under the other issuer, or in the other claim, is not this person.
    unlinked = await exchange(federated, keycloak_token(idps, email="01017000027"))
    assert_problem(unlinked, 400, "unlinked-identity", "other issuer")
    assert "01017000027" not in unlinked.text


async def test_every_refused_exchange_is_a_precise_invalid_request_and_writes_nothing(federated, idps):
    await link(federated, "saksbehandler", KEYCLOAK, EMAIL)
    stranger = TestTokenIssuer(issuer="https://evil.example", kid="kc-1")
    forger = TestTokenIssuer(issuer=KEYCLOAK, kid="kc-1", fresh_key=True)  # the right issuer and kid, another key
    assert forger.public_jwk["n"] != idps.keycloak.public_jwk["n"]
    cases = [
        ("unknown issuer", stranger.token(sub="x", audience=WEB_CLIENT, email=EMAIL), "untrusted-issuer"),
        ("unlinked subject", keycloak_token(idps, email="ola@kommune.test"), "unlinked-identity"),
        ("expired subject token", keycloak_token(idps, lifetime_s=-120), "invalid-subject-token"),
        ("another audience", keycloak_token(idps, audience="some-other-app"), "invalid-subject-token"),
        ("forged signature", forger.token(sub="x", audience=WEB_CLIENT, email=EMAIL), "invalid-subject-token"),
        ("no identifier claim", idps.keycloak.token(sub="x", audience=WEB_CLIENT), "invalid-subject-token"),
        ("identifier not a string", keycloak_token(idps, email=["a", "b"]), "invalid-subject-token"),
        ("not a token", "not.a.token", "invalid-subject-token"),
        ("our own token", await federated.token("saksbehandler"), "untrusted-issuer"),
    ]
    for name, subject_token, slug in cases:
        before = await table_counts(federated)
        response = await exchange(federated, subject_token)
        assert_problem(response, 400, slug, name)
        assert response.json()["error"] == "invalid_request", name
        assert EMAIL not in response.text, name
        assert await table_counts(federated) == before, name

    good = keycloak_token(idps)
    for name, extra, detail in [
        ("unknown subject token type", {"subject_token_type": "urn:x"}, "subject_token_type"),
        ("no subject token", {"subject_token": ""}, "subject_token"),
        ("refresh token requested", {"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
         "access token"),
    ]:
        data = {"grant_type": EXCHANGE, "subject_token": good, "subject_token_type": ID_TOKEN, **extra}
        response = await federated.client.post("/oauth2/token", data=data)
        assert_problem(response, 400, "invalid-request", name)
        assert detail in response.json()["detail"], name
    # A scope the person's roles do not carry.
    response = await exchange(federated, good, audience="access", scope="access.rights.admin")
    assert_problem(response, 400, "invalid-scope", "scope")


async def test_a_disabled_account_a_person_not_started_and_a_leaver_get_no_token(federated, idps):
    linked = await link(federated, "saksbehandler", KEYCLOAK, EMAIL)
    admin = await federated.as_user("systemansvarlig")
    disabled = await federated.client.post(f"/accounts/{linked['account_id']}/disable", headers=admin,
                                           json={"disabled_from": clock.today().isoformat()})
    assert disabled.status_code == 200
    assert_problem(await exchange(federated, keycloak_token(idps)), 400, "account-disabled", "disabled")

    # Approved, but the rights start in ten days: no role today, no token yet.
    request = await federated.new_user(effective=clock.today() + timedelta(days=10), username="ola.n")
    identity = await federated.client.post("/external-identities", headers=admin, json={
        "person_id": request["person_id"], "issuer": IDPORTEN, "subject": "02028000071"})
    assert identity.status_code == 201, identity.text
    token = idps.idporten.token(sub="s", audience=WEB_CLIENT, pid="02028000071")
    assert_problem(await exchange(federated, token), 400, "no-rights", "not started")

    # A leaver's accounts are disabled from the leaving day, the federated one included.
    arkivleder = await federated.as_user("arkivleder")
    leaver = await federated.client.post("/change-requests", headers=arkivleder, json={
        "kind": "leaver", "person_id": request["person_id"], "full_name": "Kari Nordmann",
        "job_title": "Konsulent", "effective_date": clock.today().isoformat()})
    decided = await federated.client.post(f"/change-requests/{leaver.json()['id']}/decision", headers=arkivleder,
                                          json={"outcome": "approved"})
    assert decided.status_code == 200, decided.text
    assert_problem(await exchange(federated, token), 400, "account-disabled", "leaver")
    # ... and no new identity is linked to a leaver.
    before = await table_counts(federated)
    refused = await federated.client.post("/external-identities", headers=admin, json={
        "person_id": request["person_id"], "issuer": KEYCLOAK, "subject": "ola@kommune.test"})
    assert_problem(refused, 409, "conflict", "linking a leaver")
    assert await table_counts(federated) == before


async def test_linking_is_checked_and_listed(federated, idps):
    admin = await federated.as_user("systemansvarlig")
    person_id = await federated.person_id("saksbehandler")
    linked = await link(federated, "saksbehandler", KEYCLOAK, EMAIL)
    cases = [
        ("untrusted issuer", admin, {"person_id": person_id, "issuer": "https://evil.example", "subject": "x"},
         422, "unprocessable"),
        ("unknown person", admin, {"person_id": "00000000-0000-4000-8000-000000000000", "issuer": KEYCLOAK,
                                   "subject": "x"}, 422, "unprocessable"),
        ("linked twice", admin, {"person_id": await federated.person_id("leder"), "issuer": KEYCLOAK,
                                 "subject": EMAIL}, 409, "conflict"),
        ("subject with NUL", admin, {"person_id": person_id, "issuer": KEYCLOAK, "subject": "a\u0000"}, 422,
         "validation-error"),
        ("a leader may not", await federated.as_user("leder"), {"person_id": person_id, "issuer": KEYCLOAK,
                                                                "subject": "y"}, 403, "forbidden"),
    ]
    for name, headers, body, status, slug in cases:
        before = await table_counts(federated)
        response = await federated.client.post("/external-identities", headers=headers, json=body)
        assert_problem(response, status, slug, name)
        assert await table_counts(federated) == before, name
    listed = (await federated.client.get("/external-identities", params={"person_id": person_id},
                                         headers=admin)).json()
    assert listed == [linked]


def test_trusted_issuers_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCESS_TRUSTED_ISSUERS", f'[{{"issuer": "{KEYCLOAK}", "jwks_url": "{KEYCLOAK_JWKS}", '
                                                f'"audience": "{WEB_CLIENT}", "subject_claim": "email"}}]')
    [issuer] = AccessSettings().trusted_issuers
    assert (issuer.issuer, issuer.audience, issuer.subject_claim) == (KEYCLOAK, WEB_CLIENT, "email")
    monkeypatch.setenv("ACCESS_TRUSTED_ISSUERS", f'[{{"issuer": "{KEYCLOAK}", "jwks_url": "a", "audience": "b"}}, '
                                                f'{{"issuer": "{KEYCLOAK}", "jwks_url": "c", "audience": "d"}}]')
    with pytest.raises(ValidationError):
        AccessSettings()
