"""The shared test helpers: `eventually` polls sync and async checks; `free_port` is bindable;
`TestTokenIssuer` shares a key per issuer and kid, and `fresh_key=True` forges."""

from __future__ import annotations

import asyncio
import socket

import pytest

from arkiv5_kit.errors import Unauthorized
from arkiv5_kit.testing import TestTokenIssuer, eventually, free_port


async def test_eventually_returns_the_first_truthy_value_of_an_async_check() -> None:
    calls = 0

    async def check() -> list[int]:
        nonlocal calls
        calls += 1
        return [calls] if calls >= 3 else []

    assert await eventually(check, interval_s=0.01) == [3]


async def test_eventually_takes_a_plain_function_and_fails_with_the_last_value() -> None:
    assert await eventually(lambda: "ready") == "ready"
    with pytest.raises(AssertionError, match=r"waiting for the queue to drain: 0"):
        await eventually(lambda: 0, timeout_s=0.05, what="the queue to drain")


async def test_eventually_waits_between_calls() -> None:
    start = asyncio.get_running_loop().time()
    with pytest.raises(AssertionError):
        await eventually(lambda: False, timeout_s=0.2, interval_s=0.05)
    assert asyncio.get_running_loop().time() - start >= 0.2


def test_free_port_can_be_bound_on_localhost() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        assert sock.getsockname()[1] == port


async def test_token_issuers_share_a_key_per_issuer_and_kid_and_a_fresh_key_forges() -> None:
    first = TestTokenIssuer(issuer="https://idp.test", kid="k1")
    same = TestTokenIssuer(issuer="https://idp.test", kid="k1")
    other_issuer = TestTokenIssuer(issuer="https://other-idp.test", kid="k1")
    forger = TestTokenIssuer(issuer="https://idp.test", kid="k1", fresh_key=True)
    assert same.public_jwk == first.public_jwk
    assert other_issuer.public_jwk["n"] != first.public_jwk["n"]
    assert forger.public_jwk["n"] != first.public_jwk["n"]
    # A fresh key is the forger's own: the next issuer of that issuer and kid has the shared one.
    assert TestTokenIssuer(issuer="https://idp.test", kid="k1").public_jwk == first.public_jwk

    verifier = first.verifier("journal")
    claims = await verifier.verify(same.token(sub="fagsystem", audience="journal"))
    assert claims.sub == "fagsystem"
    with pytest.raises(Unauthorized):
        await verifier.verify(forger.token(sub="fagsystem", audience="journal"))
    # Changing one issuer's JWK (a test of a broken key) leaves the shared one alone.
    same.public_jwk["alg"] = "HS256"
    assert first.public_jwk["alg"] == "RS256"
