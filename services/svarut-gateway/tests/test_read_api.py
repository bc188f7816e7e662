"""The read API: per recipient of a dispatch its state, SvarUt id, status and refusal."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from svarut_helpers import address, break_check_digit, make_fnr, make_orgnr, publish
from test_gateway import Harness, person

from arkiv5_contracts.problem import PROBLEM_MEDIA_TYPE
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_svarut_gateway.models import DispatchState

RNG = random.Random(11)
READ = "svarut-gateway.read"


@pytest.fixture
async def api(tmp_path: Path, db_backend: Any) -> AsyncIterator[tuple[Harness, httpx.AsyncClient, TestTokenIssuer]]:
    harness = Harness(tmp_path, database_url=db_backend.url)
    issuer = TestTokenIssuer()
    harness.app.state.token_verifier = issuer.verifier("svarut-gateway")
    await harness.app.state.runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.app), base_url="http://t") as client:
            yield harness, client, issuer
    finally:
        await harness.app.state.runtime.stop()
        await harness.http.aclose()


async def settled(client: httpx.AsyncClient, issuer: TestTokenIssuer, dispatch_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    """The dispatch once every recipient reached an end state (read through the API itself)."""
    for _ in range(200):
        response = await client.get(f"/dispatches/{dispatch_id}", headers=token(issuer))
        if response.status_code == 200 and all(
                r["state"] in (DispatchState.COMPLETED, DispatchState.REJECTED) for r in response.json()["recipients"]):
            return response.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"dispatch {dispatch_id} did not settle")


def token(issuer: TestTokenIssuer, *scopes: str) -> dict[str, str]:
    return issuer.headers(sub="sak-system", audience="svarut-gateway", scopes=scopes or (READ,))


async def test_a_dispatch_shows_each_recipient_state_svarut_id_status_and_refusal(api) -> None:  # type: ignore[no-untyped-def]
    harness, client, issuer = api
    org, printed = person(organisasjonsnummer=make_orgnr(RNG)), person(postadresse=address())
    refused = person(fodselsnummer=break_check_digit(make_fnr(RNG)), postadresse=address(postnummer=None))
    event, _ = await harness.dispatch([org, printed, refused])
    await harness.run(event)

    response = await client.get(f"/dispatches/{event.dispatch_id}", headers=token(issuer))
    assert response.status_code == 200
    body = response.json()
    assert body["dispatch_id"] == str(event.dispatch_id) and body["journalpost_id"] == str(event.journalpost_id)
    by_recipient = {r["recipient_id"]: r for r in body["recipients"]}
    assert set(by_recipient) == {str(p.korrespondansepart_id) for p in (org, printed, refused)}

    sent = {str(f.id): f.channel for f in harness.sim.forsendelser.values()}
    for recipient, channel, status in ((org, "organisasjon", "LEST"), (printed, "print", "PRINTET")):
        view = by_recipient[str(recipient.korrespondansepart_id)]
        assert view["state"] == DispatchState.COMPLETED
        assert view["channel"] == channel and sent[view["svarut_id"]] == channel
        assert view["svarut_status"] == status and view["accepted_at"] and view["status_changed_at"]
        assert view["reason_code"] is None and view["rejection_reason"] is None

    view = by_recipient[str(refused.korrespondansepart_id)]
    assert view["state"] == DispatchState.REJECTED and view["svarut_id"] is None
    assert view["reason_code"] == "invalid-fodselsnummer" and view["reason"] == view["rejection_reason"]
    assert "check digits" in view["rejection_reason"]
    assert refused.fodselsnummer not in response.text and "Kari" not in response.text  # no personal data


async def test_the_dispatches_of_a_journalpost_are_listed_newest_first(api) -> None:  # type: ignore[no-untyped-def]
    harness, client, issuer = api
    recipient = person(organisasjonsnummer=make_orgnr(RNG))
    first, material = await harness.dispatch([recipient])
    await publish(harness.bus, first)
    await settled(client, issuer, first.dispatch_id)
    second = first.model_copy(update={"dispatch_id": uuid.uuid4()})  # the journal sends it again later
    other, _ = await harness.dispatch([person(postadresse=address())])
    await publish(harness.bus, second, other)
    await settled(client, issuer, second.dispatch_id)
    await settled(client, issuer, other.dispatch_id)

    response = await client.get("/dispatches", params={"journalpost_id": str(material.journalpost_id)},
                                headers=token(issuer))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["dispatch_id"] for i in items] == [str(second.dispatch_id), str(first.dispatch_id)]
    assert all(i["recipients"][0]["state"] == DispatchState.COMPLETED for i in items)

    nothing = await client.get("/dispatches", params={"journalpost_id": str(uuid.uuid4())}, headers=token(issuer))
    assert nothing.status_code == 200 and nothing.json() == {"items": []}


async def test_unknown_and_malformed_ids_are_precise_problems(api) -> None:  # type: ignore[no-untyped-def]
    _, client, issuer = api
    missing = await client.get(f"/dispatches/{uuid.uuid4()}", headers=token(issuer))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert missing.json()["status"] == 404 and "dispatch" in missing.json()["detail"]

    for path, params in (("/dispatches/not-a-uuid", {}), ("/dispatches", {}),
                         ("/dispatches", {"journalpost_id": "12345"})):
        bad = await client.get(path, params=params, headers=token(issuer))
        assert bad.status_code == 422, path
        assert bad.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        assert "12345" not in bad.text  # the kit never echoes input


async def test_reading_needs_the_read_scope(api) -> None:  # type: ignore[no-untyped-def]
    _, client, issuer = api
    url = f"/dispatches/{uuid.uuid4()}"
    assert (await client.get(url)).status_code == 401
    wrong = await client.get(url, headers=token(issuer, "journal.dispatch"))
    assert wrong.status_code == 403 and wrong.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    listing = await client.get("/dispatches", params={"journalpost_id": str(uuid.uuid4())},
                               headers=token(issuer, "journal.dispatch"))
    assert listing.status_code == 403
