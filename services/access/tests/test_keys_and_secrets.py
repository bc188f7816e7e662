"""The key and secret steps operations.md describes, over HTTP: a signing key added,
activated, retired, a compromised one removed; a client's second secret and the first retired."""

from __future__ import annotations

import base64
import json
from typing import Any

from .conftest import SECRET, Access


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def _jwks_kids(access: Access) -> set[str]:
    return {k["kid"] for k in (await access.client.get("/.well-known/jwks.json")).json()["keys"]}


async def test_a_key_is_added_activated_retired_and_a_compromised_one_removed(make_access: Any) -> None:
    access: Access = await make_access()
    admin = await access.as_user("arkivleder")
    old_token = await access.token("lesetilgang")
    old_kid = _kid(old_token)

    added = await access.client.post("/admin/signing-keys", headers=admin)
    assert added.status_code == 201, added.text
    new_kid = added.json()["kid"]
    assert added.json()["is_published"] and not added.json()["is_signing"]
    assert new_kid in await _jwks_kids(access) and _kid(await access.token("lesetilgang")) == old_kid

    refused = await access.client.post(f"/admin/signing-keys/{old_kid}/retire", headers=admin)
    assert refused.status_code == 409, refused.text  # the only key that signs
    activated = await access.client.post(f"/admin/signing-keys/{new_kid}/activate", headers=admin, json={})
    assert activated.status_code == 200 and activated.json()["is_signing"], activated.text
    assert _kid(await access.token("lesetilgang")) == new_kid

    # The old key is compromised: removed, it leaves the JWKS and its tokens stop at once.
    assert (await access.client.get("/me", headers={"Authorization": f"Bearer {old_token}"})).status_code == 200
    removed = await access.client.delete(f"/admin/signing-keys/{old_kid}", headers=admin)
    assert removed.status_code == 204, removed.text
    assert old_kid not in await _jwks_kids(access)
    assert (await access.client.get("/me", headers={"Authorization": f"Bearer {old_token}"})).status_code == 401
    admin = await access.as_user("arkivleder")
    last = await access.client.delete(f"/admin/signing-keys/{new_kid}", headers=admin)
    assert last.status_code == 409, last.text

    # Retiring: a newer key signs, the retired one stays published for its tokens' lifetime.
    newest = (await access.client.post("/admin/signing-keys", headers=admin)).json()["kid"]
    assert (await access.client.post(f"/admin/signing-keys/{newest}/activate", headers=admin,
                                     json={"immediately": True})).status_code == 200
    retired = await access.client.post(f"/admin/signing-keys/{new_kid}/retire", headers=admin)
    assert retired.status_code == 200, retired.text
    assert not retired.json()["is_signing"] and retired.json()["is_published"]
    assert _kid(await access.token("lesetilgang")) == newest
    actions = [e["action"] for e in (await access.client.get("/audit", headers=admin)).json()]
    assert {"signing-key.added", "signing-key.activated", "signing-key.removed", "signing-key.retired"} <= set(actions)

    for user in ("leder", "saksbehandler"):
        response = await access.client.post("/admin/signing-keys", headers=await access.as_user(user))
        assert response.status_code == 403, (user, response.text)


async def test_a_client_secret_is_rotated_with_a_second_secret(make_access: Any) -> None:
    access: Access = await make_access()
    admin = await access.as_user("systemansvarlig")

    async def token_with(secret: str) -> int:
        response = await access.client.post("/oauth2/token", auth=("demo-fagsystem", secret),
                                            data={"grant_type": "client_credentials", "audience": "journal"})
        return response.status_code

    second = await access.client.post("/clients/demo-fagsystem/secrets", headers=admin)
    assert second.status_code == 201, second.text
    assert second.headers["cache-control"] == "no-store"
    new_secret = second.json()["client_secret"]
    assert await token_with(SECRET) == 200 and await token_with(new_secret) == 200
    again = await access.client.post("/clients/demo-fagsystem/secrets", headers=admin)
    assert again.status_code == 409, again.text

    retired = await access.client.post("/clients/demo-fagsystem/secrets/retire-first", headers=admin)
    assert retired.status_code == 200, retired.text
    assert await token_with(SECRET) == 401 and await token_with(new_secret) == 200
    assert (await access.client.post("/clients/demo-fagsystem/secrets/retire-first",
                                     headers=admin)).status_code == 409
    assert (await access.client.post("/clients/no-such-client/secrets", headers=admin)).status_code == 404
