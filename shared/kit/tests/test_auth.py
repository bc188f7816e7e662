"""JWT verification against a JWKS: the good token passes, every attack gets the same 401."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from jose import jwk, jwt

from arkiv5_kit.auth import ClientCredentials, JwksCache, Principal, TokenVerifier, require_scopes
from arkiv5_kit.errors import Unauthorized, add_exception_handlers

ISSUER = "https://access.arkiv5.test"
AUDIENCE = "journal"


def rsa_key(kid: str) -> tuple[str, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = jwk.construct(pem, "RS256").public_key().to_dict()
    public.update(kid=kid, alg="RS256", use="sig")
    return pem, public


def ec_key(kid: str) -> tuple[str, dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = jwk.construct(pem, "ES256").public_key().to_dict()
    public.update(kid=kid, alg="ES256", use="sig")
    return pem, public


RSA_PEM, RSA_PUBLIC = rsa_key("k1")
EC_PEM, EC_PUBLIC = ec_key("k2")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "svc-conversion", "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
            "scope": "journal.documents.read journal.documents.write-archival"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(payload: dict[str, Any] | None = None, *, key: str = RSA_PEM, alg: str = "RS256", kid: str = "k1") -> str:
    return jwt.encode(payload or claims(), key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(JwksCache(keys=[RSA_PUBLIC, EC_PUBLIC]), issuer=ISSUER, audience=AUDIENCE)


async def test_valid_rs256_and_es256_tokens(verifier: TokenVerifier) -> None:
    verified = await verifier.verify(token())
    assert verified.sub == "svc-conversion"
    assert verified.has_scopes("journal.documents.read")
    assert (await verifier.verify(token(key=EC_PEM, alg="ES256", kid="k2"))).aud == [AUDIENCE]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _public_pem() -> str:
    return jwk.construct(RSA_PUBLIC, "RS256").to_pem().decode()


ATTACKS = {
    "alg none": lambda: f"{_b64({'alg': 'none', 'kid': 'k1', 'typ': 'JWT'})}.{_b64(claims())}.",
    "hs256 with the public key": lambda: _hs256_with_public_key(),
    "expired": lambda: token(claims(exp=int(time.time()) - 120, iat=int(time.time()) - 600)),
    "not yet valid": lambda: token(claims(nbf=int(time.time()) + 600)),
    "wrong issuer": lambda: token(claims(iss="https://evil.example")),
    "wrong audience": lambda: token(claims(aud="access")),
    "unknown kid": lambda: token(kid="nope"),
    "kid of another key type": lambda: token(kid="k2"),
    "tampered payload": lambda: _tamper(token()),
    "no exp": lambda: token(claims(exp=None)),
    "garbage": lambda: "not.a.token",
}


def _hs256_with_public_key() -> str:
    """The classic key-confusion token, signed by hand (jose rightly refuses to make one)."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'kid': 'k1', 'typ': 'JWT'})}.{_b64(claims())}"
    digest = hmac.new(_public_pem().encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def _tamper(good: str) -> str:
    header, _payload, signature = good.split(".")
    return ".".join([header, _b64(claims(sub="arkivleder", scope="everything")), signature])


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attacks_are_refused_alike(verifier: TokenVerifier, attack: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(ATTACKS[attack]())
    assert refused.value.detail == "The access token is missing, invalid or expired."


async def test_unknown_kid_refreshes_the_jwks_once_for_rotation() -> None:
    calls = 0
    _pem3, public3 = rsa_key("k3")

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        keys = [RSA_PUBLIC] if calls == 1 else [RSA_PUBLIC, public3]
        return httpx.Response(200, json={"keys": keys})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cache = JwksCache("https://access/.well-known/jwks.json", client=client, min_refresh_s=0)
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(token())
    assert calls == 1
    await verifier.verify(token(key=_pem3, kid="k3"))  # a rotated-in key is found after one refresh
    assert calls == 2
    with pytest.raises(Unauthorized):
        await verifier.verify(token(kid="unknown"))
    await client.aclose()


def _app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = verifier
    add_exception_handlers(app)

    @app.get("/documents")
    async def documents(principal: Principal = Depends(require_scopes("journal.documents.read"))) -> dict[str, str]:
        return {"sub": principal.subject}

    @app.get("/admin")
    async def admin(principal: Principal = Depends(require_scopes("journal.admin"))) -> dict[str, str]:
        return {"sub": principal.subject}

    return app


async def test_http_401_and_403_as_problem_json(verifier: TokenVerifier) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(verifier)), base_url="http://t") as client:
        ok = await client.get("/documents", headers={"Authorization": f"Bearer {token()}"})
        assert ok.status_code == 200 and ok.json() == {"sub": "svc-conversion"}
        missing = await client.get("/documents")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["www-authenticate"] == "Bearer"
        bad = await client.get("/documents", headers={"Authorization": f"Bearer {ATTACKS['alg none']()}"})
        assert bad.status_code == 401 and bad.json()["detail"] == missing.json()["detail"]
        forbidden = await client.get("/admin", headers={"Authorization": f"Bearer {token()}"})
        assert forbidden.status_code == 403
        assert "journal.admin" in forbidden.json()["detail"]


async def test_client_credentials_caches_and_renews_on_401() -> None:
    issued = 0

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        nonlocal issued
        issued += 1
        form = dict(x.split("=") for x in request.content.decode().split("&"))
        assert form["grant_type"] == "client_credentials"
        assert request.headers["authorization"].startswith("Basic ")
        return httpx.Response(200, json={"access_token": f"t{issued}", "expires_in": 300, "token_type": "Bearer"})

    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(401 if request.headers["authorization"] == "Bearer t1" and len(seen) == 2 else 200)

    auth = ClientCredentials(
        "https://access/oauth2/token", client_id="conversion", client_secret="s", audience="journal",
        scopes=["journal.documents.read"], client=httpx.AsyncClient(transport=httpx.MockTransport(token_endpoint)),
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(api), auth=auth) as client:
        assert (await client.get("https://journal/x")).status_code == 200
        assert (await client.get("https://journal/x")).status_code == 200  # 401 with t1, retried with t2
    assert issued == 2
    assert seen == ["Bearer t1", "Bearer t1", "Bearer t2"]


async def test_a_verified_token_is_recognised_without_checking_its_signature_again(
    verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = token()
    first = await verifier.verify(good)
    decoded: list[str] = []
    original = jwt.decode
    monkeypatch.setattr("arkiv5_kit.auth.jwt.decode", lambda *a, **k: decoded.append("x") or original(*a, **k))
    assert await verifier.verify(good) == first
    assert decoded == []
    # Another token is verified in full, and a tampered copy of a cached token is a new token.
    await verifier.verify(token(claims(sub="svc-gateway")))
    assert decoded == ["x"]
    header, payload, signature = good.split(".")
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{payload}.{signature[:-4]}AAAA")


async def test_a_recognised_token_is_refused_once_it_expires() -> None:
    verifier = TokenVerifier(JwksCache(keys=[RSA_PUBLIC]), issuer=ISSUER, audience=AUDIENCE, leeway_s=0)
    short = token(claims(exp=int(time.time()) + 1))
    await verifier.verify(short)
    await asyncio.sleep(2.1)
    with pytest.raises(Unauthorized):
        await verifier.verify(short)


async def test_a_recognised_token_is_refused_once_its_key_leaves_the_jwks() -> None:
    _new_pem, new_public = rsa_key("k3")
    served = {"keys": [RSA_PUBLIC]}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=served))
    async with httpx.AsyncClient(transport=transport) as client:
        jwks = JwksCache("http://access/jwks", client=client, max_age_s=3600, min_refresh_s=0)
        verifier = TokenVerifier(jwks, issuer=ISSUER, audience=AUDIENCE)
        old = token()
        await verifier.verify(old)
        served["keys"] = [new_public]  # k1 rotated out
        await jwks._refresh()
        with pytest.raises(Unauthorized):
            await verifier.verify(old)
