"""The token endpoint, the JWKS, key rotation, and every token attack refused with a bare 401."""

from __future__ import annotations

import base64
import json
import time

import pytest
from jose import jwt

from arkiv5_contracts.claims import TokenClaims
from arkiv5_kit.errors import Unauthorized

ISSUER = "https://access.arkiv5.test"
SECRET = "demo-client-secret"


async def test_client_credentials_token_verifies_with_the_kit_and_carries_the_granted_scopes(access):
    token = await access.client_token("conversion", "journal", "journal.documents.read")
    claims = await (await access.verifier("journal")).verify(token)
    assert isinstance(claims, TokenClaims)
    assert claims.iss == ISSUER and claims.aud == ["journal"]
    assert claims.scope == {"journal.documents.read"} and claims.is_service
    assert claims.client_id == "conversion" and claims.roles == {"intern-tjeneste"}
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"]
    assert claims.exp - claims.iat == 300


async def test_client_gets_only_its_scopes_for_the_audience_it_names(access):
    response = await access.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "audience": "journal", "scope": "access.decisions"},
        auth=("conversion", SECRET),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    token = await access.client_token("conversion", "journal")
    claims = await (await access.verifier("journal")).verify(token)
    assert claims.scope == {"journal.documents.read", "journal.documents.write-archival"}


async def test_wrong_client_secret_is_invalid_client(access):
    response = await access.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "audience": "journal"}, auth=("conversion", "nope"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "nope" not in response.text


async def test_person_token_carries_person_id_and_roles_valid_today(access):
    token = await access.token("leder", audience="journal")
    claims = await (await access.verifier("journal")).verify(token)
    assert claims.person_id is not None and claims.sub == str(claims.person_id)
    assert claims.roles == {"leder"} and "journal.write" in claims.scope


async def test_wrong_password_is_invalid_grant(access):
    response = await access.client.post(
        "/oauth2/token", data={"grant_type": "password", "username": "leder", "password": "wrong"}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_password_grant_is_refused_unless_enabled(make_access):
    access = await make_access(password_grant_enabled=False)
    response = await access.client.post(
        "/oauth2/token", data={"grant_type": "password", "username": "leder", "password": "demo-password"}
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _attacks(access) -> dict[str, str]:
    good = await access.token("arkivleder")
    header, payload, signature = good.split(".")
    claims = jwt.get_unverified_claims(good)
    kid = jwt.get_unverified_header(good)["kid"]
    jwks = (await access.client.get("/.well-known/jwks.json")).json()["keys"]
    public = json.dumps(jwks[0])
    now = int(time.time())
    signer = access.app.state.signer
    keys = await _keys(access)

    def signed(**changes) -> str:
        from arkiv5_kit.clock import SYSTEM_CLOCK

        return signer.sign({**claims, **changes}, keys, SYSTEM_CLOCK.now())

    return {
        "alg none": f"{_b64({'alg': 'none', 'kid': kid})}.{payload}.",
        "HS256 with the public key": jwt.encode(claims, public, algorithm="HS256", headers={"kid": kid}),
        "expired": signed(exp=now - 3600, iat=now - 4000, nbf=now - 4000),
        "not yet valid": signed(nbf=now + 3600, iat=now),
        "wrong issuer": signed(iss="https://evil.example"),
        "wrong audience": signed(aud="journal"),
        "unknown kid": f"{_b64({'alg': 'ES256', 'kid': 'no-such-kid', 'typ': 'JWT'})}.{payload}.{signature}",
        "tampered payload": f"{header}.{_b64({**claims, 'roles': ['arkivleder', 'systemansvarlig']})}.{signature}",
        "garbage": "not.a.token",
    }


async def _keys(access):
    from arkiv5_access.domain import signing

    async with access.app.state.runtime.database.sessions() as session:
        return await signing.all_keys(session)


async def test_every_token_attack_is_a_bare_401(access):
    attacks = await _attacks(access)
    bodies = set()
    for name, token in attacks.items():
        response = await access.client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
        body = response.json()
        bodies.add((body["title"], body["detail"]))
    # One answer for all: nothing says which check failed.
    assert bodies == {("Authentication required", "The access token is missing, invalid or expired.")}


async def test_attacks_also_fail_the_kit_verifier_other_services_use(access):
    attacks = await _attacks(access)
    verifier = await access.verifier("access")
    for name, token in attacks.items():
        with pytest.raises(Unauthorized):
            await verifier.verify(token)
            pytest.fail(name)


async def test_disabled_accounts_unexpired_token_is_refused_and_account_disabled_published(access):
    token = await access.token("lesetilgang")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await access.client.get("/me", headers=headers)).status_code == 200
    person_id = await access.person_id("lesetilgang")
    admin = await access.as_user("systemansvarlig")
    accounts = await _account_ids(access, person_id)
    from arkiv5_kit.clock import SYSTEM_CLOCK as clock

    response = await access.client.post(f"/accounts/{accounts[0]}/disable", headers=admin,
                                        json={"disabled_from": clock.today().isoformat()})
    assert response.status_code == 200, response.text
    refused = await access.client.get("/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The access token is missing, invalid or expired."
    again = await access.client.post("/oauth2/token", data={"grant_type": "password", "username": "lesetilgang",
                                                            "password": "demo-password"})
    assert again.status_code == 400
    await access.flushed()
    from arkiv5_contracts.events.access import AccountDisabled

    disabled = [e.data for e in access.bus.envelopes() if isinstance(e.data, AccountDisabled)]
    assert [str(d.person_id) for d in disabled] == [person_id]


async def _account_ids(access, person_id):
    from uuid import UUID

    from arkiv5_access.domain import rights

    async with access.app.state.runtime.database.sessions() as session:
        return [a.id for a in await rights.accounts_of(session, UUID(person_id))]


async def test_rotation_publishes_the_new_key_before_it_signs_and_keeps_the_old(make_access):
    access = await make_access(signing_key_publish_ahead_s=3600)
    old_token = await access.token("systemansvarlig")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    headers = {"Authorization": f"Bearer {old_token}"}
    rotated = await access.client.post("/admin/signing-keys/rotate", headers=headers)
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    assert rotated.json()["is_published"] and not rotated.json()["is_signing"]
    published = {k["kid"] for k in (await access.client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {old_kid, new_kid}
    # Before its activation the new key does not sign; the old one still does.
    assert jwt.get_unverified_header(await access.token("systemansvarlig"))["kid"] == old_kid


async def test_after_rotation_new_tokens_use_the_new_key_and_old_tokens_still_verify(make_access):
    access = await make_access(signing_key_publish_ahead_s=0)
    old_token = await access.token("systemansvarlig")
    verifier_before = await access.verifier("access")  # a service's cache from before the rotation
    headers = {"Authorization": f"Bearer {old_token}"}
    new_kid = (await access.client.post("/admin/signing-keys/rotate", headers=headers)).json()["kid"]
    new_token = await access.token("systemansvarlig")
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert (await access.client.get("/me", headers=headers)).status_code == 200  # old token still good
    assert (await access.client.get("/me", headers={"Authorization": f"Bearer {new_token}"})).status_code == 200
    await verifier_before.verify(old_token)
    listed = (await access.client.get("/admin/signing-keys", headers=headers)).json()
    assert [k["is_signing"] for k in listed] == [False, True] and all(k["is_published"] for k in listed)


async def test_keys_are_encrypted_at_rest_when_a_passphrase_is_set(make_access):
    access = await make_access(signing_key_passphrase="s3cret-passphrase")
    keys = await _keys(access)
    assert keys and all(k.is_encrypted and "ENCRYPTED" in k.private_pem for k in keys)
    token = await access.token("arkivleder")
    assert (await access.client.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
