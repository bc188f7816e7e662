"""Idempotency-Key on the creating requests: a retry answers the first result, a reuse is refused, a race makes one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from arkiv5_journal.models import IdempotencyKey, Journalpost, Saksmappe
from arkiv5_kit.messaging import outbox_table

from .conftest import UNIT, Journal, case, incoming
from .test_registration_multipart import PDF, multipart

KEY = "Idempotency-Key"


async def _counts(journal: Journal) -> tuple[int, int, int, int]:
    async with journal.runtime.database.unit_of_work() as session:
        return tuple([(await session.execute(select(func.count()).select_from(table))).scalar_one()  # type: ignore[return-value]
                      for table in (Saksmappe, Journalpost, outbox_table, IdempotencyKey)])


async def test_idempotent_creation(journal_factory: Callable[..., Any]) -> None:
    async for journal in journal_factory(database_pool_size=5):
        await _case_retried_and_reused(journal)
        await _journalpost_retried_and_reused(journal)
        await _multipart_retried_and_reused(journal)
        await _keys_belong_to_their_client(journal)
        await _concurrent_requests_with_one_key_create_one(journal)
        await _bad_keys_are_refused(journal)


async def _case_retried_and_reused(journal: Journal) -> None:
    headers = {**journal.fagsystem(), KEY: "sak-1"}
    first = await journal.client.post("/saksmapper", json=case(), headers=headers)
    assert first.status_code == 201, first.text
    before = await _counts(journal)

    again = await journal.client.post("/saksmapper", json=case(), headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["systemID"] == first.json()["systemID"]
    assert again.json()["mappeID"] == first.json()["mappeID"]
    assert again.headers["location"] == first.headers["location"]
    assert await _counts(journal) == before

    # The same request in another spelling is the same request.
    respelled = await journal.client.post("/saksmapper", headers=headers,
                                          json={"administrativEnhet": str(UNIT), "tittel": case()["tittel"]})
    assert respelled.status_code == 201 and respelled.json()["systemID"] == first.json()["systemID"]

    reused = await journal.client.post("/saksmapper", json=case(tittel="Noe annet"), headers=headers)
    assert reused.status_code == 409, reused.text
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert "sak-1" not in reused.text
    assert await _counts(journal) == before


async def _journalpost_retried_and_reused(journal: Journal) -> None:
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).json()
    url = f"/saksmapper/{saksmappe['systemID']}/journalposter"
    headers = {**journal.fagsystem(), KEY: "jp-1"}
    first = await journal.client.post(url, json=incoming(), headers=headers)
    assert first.status_code == 201, first.text
    before = await _counts(journal)

    again = await journal.client.post(url, json=incoming(), headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["location"] == first.headers["location"]
    assert {k: again.json()[k] for k in ("systemID", "journalpostnummer", "journalsekvensnummer", "tittel")} == \
        {k: first.json()[k] for k in ("systemID", "journalpostnummer", "journalsekvensnummer", "tittel")}
    assert await _counts(journal) == before

    for different in (incoming(tittel="Et annet brev"),):
        reused = await journal.client.post(url, json=different, headers=headers)
        assert reused.status_code == 409 and reused.json()["type"].endswith("/idempotency-key-reused")
    # The same key and body against another case is another request.
    other = (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).json()
    before = await _counts(journal)
    elsewhere = await journal.client.post(f"/saksmapper/{other['systemID']}/journalposter", json=incoming(),
                                          headers=headers)
    assert elsewhere.status_code == 409
    assert await _counts(journal) == before


async def _multipart_retried_and_reused(journal: Journal) -> None:
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).json()
    url = f"/saksmapper/{saksmappe['systemID']}/journalposter"
    metadata = incoming(dokumentbeskrivelse=[{"fil": "brev", "tittel": "Søknaden"}])
    body, content_type = multipart(metadata, {"brev": ("brev.pdf", PDF, "application/pdf")})
    headers = {**journal.fagsystem(), KEY: "mp-1", "Content-Type": content_type}
    first = await journal.client.post(url, content=body, headers=headers)
    assert first.status_code == 201, first.text
    before = await _counts(journal)

    again = await journal.client.post(url, content=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["systemID"] == first.json()["systemID"]
    assert [d["systemID"] for d in again.json()["dokumentbeskrivelse"]] == \
        [d["systemID"] for d in first.json()["dokumentbeskrivelse"]]
    assert await _counts(journal) == before

    other_file, other_type = multipart(metadata, {"brev": ("brev.pdf", PDF + b"\n", "application/pdf")})
    reused = await journal.client.post(url, content=other_file, headers={**headers, "Content-Type": other_type})
    assert reused.status_code == 409 and reused.json()["type"].endswith("/idempotency-key-reused")
    assert await _counts(journal) == before


async def _keys_belong_to_their_client(journal: Journal) -> None:
    mine = {**journal.fagsystem(), KEY: "shared-key"}
    theirs = {**journal.issuer.headers(sub="fagsystem-teknisk", audience="journal",
                                       scopes=["journal.read", "journal.write"], roles=["fagsystem"]),
              KEY: "shared-key"}
    first = await journal.client.post("/saksmapper", json=case(), headers=mine)
    second = await journal.client.post("/saksmapper", json=case(), headers=theirs)
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["systemID"] != second.json()["systemID"]


async def _concurrent_requests_with_one_key_create_one(journal: Journal) -> None:
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).json()
    url = f"/saksmapper/{saksmappe['systemID']}/journalposter"
    before = await _counts(journal)
    for key, send in (("race-sak", lambda h: journal.client.post("/saksmapper", json=case(), headers=h)),
                      ("race-jp", lambda h: journal.client.post(url, json=incoming(), headers=h))):
        headers = {**journal.fagsystem(), KEY: key}
        answers = await asyncio.gather(*(send(headers) for _ in range(4)))
        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        assert len({a.json()["systemID"] for a in answers}) == 1
    saksmapper, journalposter, events, keys = await _counts(journal)
    assert (saksmapper, journalposter, events, keys) == \
        (before[0] + 1, before[1] + 1, before[2] + 2, before[3] + 2)


async def _bad_keys_are_refused(journal: Journal) -> None:
    before = await _counts(journal)
    for bad in ("x" * 201, "   "):
        refused = await journal.client.post("/saksmapper", json=case(), headers={**journal.fagsystem(), KEY: bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == f"header.{KEY}"
    assert await _counts(journal) == before
    accepted = await journal.client.post("/saksmapper", json=case(), headers={**journal.fagsystem(), KEY: "x" * 200})
    assert accepted.status_code == 201


async def test_a_replay_is_masked_for_a_caller_without_clearance(journal: Journal) -> None:
    """The repeat renders the case as it is now, through the read path: masking applies."""
    await journal.grant("leder", roles=["leder"], led=[UNIT])
    writer = {**journal.person("leder"), KEY: "skjermet-1"}
    body = case(tittel="Barnevern for Ola Hansen", skjermedeOrd=["Ola Hansen"], skjerming={"tilgangsrestriksjon": "6",
                                                                "skjermingshjemmel": "Offl. § 13",
                                                                "skjermingMetadata": ["TMO"]})
    first = await journal.client.post("/saksmapper", json=body, headers=writer)
    assert first.status_code == 201, first.text
    again = await journal.client.post("/saksmapper", json=body, headers=writer)
    assert again.status_code == 201, again.text
    assert "Ola Hansen" not in again.text
    read = await journal.client.get(first.headers["location"], headers=writer)
    assert again.json()["tittel"] == read.json()["tittel"]
