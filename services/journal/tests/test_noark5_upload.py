"""File upload in the Noark 5 interface as a client that follows links uploads: the chunked
upload of the standard's chapter 6 ("Overføre store filer") on the `arkivstruktur/fil/`
links, a new version from the dokumentbeskrivelse's `fil` link with the standard's checks of
the stated size and checksum, and refusals that store nothing.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arkiv5_journal.blobsweep import sweep

from .conftest import Journal
from .test_noark5_api import ACCEPT, _get, _handler, _new_case, _new_journalpost, rel

FILE = b"%PDF-1.7\n" + bytes(range(256)) * 1200 + b"\n%%EOF\n"  # 307,216 bytes
PDF = {"X-Upload-Content-Type": "application/pdf"}


async def _journalpost(journal: Journal, headers: dict[str, str]) -> dict[str, Any]:
    person = str(journal.persons["saksbehandler"])
    saksmappe = (await _new_case(journal, headers, person)).json()
    return dict((await _new_journalpost(journal, headers, saksmappe)).json())


async def _start(journal: Journal, headers: dict[str, str], fil: str, total: int = len(FILE),
                 status: int = 200, **params: str) -> str:
    started = await journal.client.post(fil, params=params, headers={
        **ACCEPT, **headers, **PDF, "X-Upload-Content-Length": str(total)})
    assert started.status_code == status, started.text
    return started.headers.get("location", "")


async def _put(journal: Journal, headers: dict[str, str], session: str, first: int, last: int,
               body: bytes | None = None, total: int = len(FILE), unit: str = "bytes ") -> Any:
    content = FILE[first:last + 1] if body is None else body
    return await journal.client.put(session, content=content, headers={
        **ACCEPT, **headers, "Content-Type": "application/pdf", "Content-Range": f"{unit}{first}-{last}/{total}"})


async def _status(journal: Journal, headers: dict[str, str], session: str, total: int = len(FILE)) -> Any:
    return await journal.client.put(session, headers={**ACCEPT, **headers, "Content-Range": f"bytes */{total}"})


def _partials(journal: Journal) -> list[Path]:
    return sorted((journal.app.state.blob_store.root / "tmp").glob("partial-*"))


def _blobs(journal: Journal) -> list[Path]:
    return sorted((journal.app.state.blob_store.root / "sha256").glob("*/*/*"))


async def _documents(journal: Journal, headers: dict[str, str], journalpost: dict[str, Any]) -> list[Any]:
    listed = await _get(journal, journalpost["_links"][rel("arkivstruktur/dokumentbeskrivelse")]["href"], headers)
    return list(listed.json()["results"])


async def test_a_file_sent_in_three_chunks_downloads_byte_exact(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    journalpost = await _journalpost(journal, headers)
    fil = journalpost["_links"][rel("arkivstruktur/fil")]["href"]
    session = await _start(journal, headers, fil, tittel="Søknad", filnavn="soknad.pdf")
    assert session.startswith(fil) and "ref=" in session

    first = await _put(journal, headers, session, 0, 99_999)
    assert first.status_code == 200, first.text
    assert first.headers["range"] == "0-99999" and first.headers["location"] == session
    status = await _status(journal, headers, first.headers["location"])
    assert status.status_code == 200 and status.headers["range"] == "0-99999"
    # The standard's own form of the header (no unit) is read as well.
    second = await _put(journal, headers, status.headers["location"], 100_000, 199_999, unit="")
    assert second.status_code == 200 and second.headers["range"] == "0-199999"
    last = await _put(journal, headers, second.headers["location"], 200_000, len(FILE) - 1)
    assert last.status_code == 201, last.text

    objekt = last.json()
    assert objekt["filstoerrelse"] == len(FILE) and objekt["format"] == "application/pdf"
    assert objekt["sjekksum"] == hashlib.sha256(FILE).hexdigest() and objekt["filnavn"] == "soknad.pdf"
    assert last.headers["location"] == objekt["_links"]["self"]["href"]
    download = await journal.client.get(objekt["_links"][rel("arkivstruktur/fil")]["href"],
                                        headers={**headers, "Accept": "application/pdf"})
    assert download.status_code == 200 and download.content == FILE
    [beskrivelse] = await _documents(journal, headers, journalpost)
    assert beskrivelse["tittel"] == "Søknad"
    assert _partials(journal) == []  # the session ended with the upload
    assert (await _status(journal, headers, session)).status_code == 404
    # The same event as a single upload.
    assert sum(kind.endswith(".dokument.added.v1") for kind in await journal.outbox_types()) == 1


async def test_chunks_out_of_order_or_past_the_announced_length_are_refused_and_nothing_kept(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    journalpost = await _journalpost(journal, headers)
    blobs_before = _blobs(journal)
    session = await _start(journal, headers, journalpost["_links"][rel("arkivstruktur/fil")]["href"])

    gap = await _put(journal, headers, session, 1000, 1999)
    assert gap.status_code == 400 and "must start at byte 0" in gap.json()["feil"]["beskrivelse"]
    past = await _put(journal, headers, session, 0, len(FILE))
    assert past.status_code == 416 and past.json()["feil"]["kode"] == 416
    short_body = await _put(journal, headers, session, 0, 999, body=FILE[:500])
    assert short_body.status_code == 400, short_body.text
    other_total = await _put(journal, headers, session, 0, 999, total=len(FILE) + 1)
    assert other_total.status_code == 400
    status = await _status(journal, headers, session)
    assert status.status_code == 200 and "range" not in status.headers  # no byte kept

    assert (await _put(journal, headers, session, 0, 999)).status_code == 200
    overlap = await _put(journal, headers, session, 500, 1499)
    assert overlap.status_code == 400 and "must start at byte 1000" in overlap.json()["feil"]["beskrivelse"]
    assert (await _status(journal, headers, session)).headers["range"] == "0-999"
    malformed = await journal.client.put(session, content=b"x", headers={**headers, "Content-Range": "bytes=0-0"})
    assert malformed.status_code == 400 and "feil" in malformed.json()

    assert await _documents(journal, headers, journalpost) == []
    assert _blobs(journal) == blobs_before


async def test_a_caller_who_may_not_add_is_refused_before_anything_is_stored(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    await journal.grant("leser", roles=["lesetilgang"])
    leser = journal.person("leser")
    journalpost = await _journalpost(journal, headers)
    fil = journalpost["_links"][rel("arkivstruktur/fil")]["href"]

    refused = await journal.client.post(fil, headers={**ACCEPT, **leser, **PDF, "X-Upload-Content-Length": "1000"})
    assert refused.status_code == 403 and refused.json()["feil"]["kode"] == 403
    assert _partials(journal) == []
    # Another caller's session is no session of theirs: nothing of it is shown or taken.
    session = await _start(journal, headers, fil)
    taken = await _put(journal, leser, session, 0, 999)
    assert taken.status_code == 404, taken.text
    assert (await _status(journal, headers, session)).status_code == 200
    assert "range" not in (await _status(journal, headers, session)).headers
    # Larger than the limit: refused at the start, before any chunk.
    too_large = 200 * 1024 * 1024 + 1  # the default max_upload_bytes
    assert (await _start(journal, headers, fil, total=too_large, status=413)) == ""


async def test_a_new_version_from_the_dokumentbeskrivelse_with_the_stated_size_and_checksum_checked(
        journal: Journal) -> None:
    headers, _person = await _handler(journal)
    journalpost = await _journalpost(journal, headers)
    first = await journal.client.post(journalpost["_links"][rel("arkivstruktur/fil")]["href"], content=FILE[:5000],
                                      headers={**ACCEPT, **headers, "Content-Type": "application/pdf"})
    assert first.status_code == 201, first.text
    beskrivelse = (await _get(journal, first.json()["_links"][rel("arkivstruktur/dokumentbeskrivelse")]["href"],
                              headers)).json()
    fil = beskrivelse["_links"][rel("arkivstruktur/fil")]["href"]
    post = {**ACCEPT, **headers, "Content-Type": "application/pdf"}

    wrong_sum = await journal.client.post(fil, content=FILE, headers=post, params={"sjekksum": "0" * 64})
    assert wrong_sum.status_code == 400 and wrong_sum.json()["feil"]["kode"] == 400
    wrong_size = await journal.client.post(fil, content=FILE, headers=post, params={"filstoerrelse": "12"})
    assert wrong_size.status_code == 400
    version = await journal.client.post(fil, content=FILE, headers=post, params={
        "sjekksum": hashlib.sha256(FILE).hexdigest(), "filstoerrelse": str(len(FILE)), "filnavn": "v2.pdf"})
    assert version.status_code == 201, version.text
    assert version.json()["versjonsnummer"] == 2 and version.json()["filnavn"] == "v2.pdf"

    # The same in chunks, with a checksum that does not match: 400, and the session is gone.
    session = await _start(journal, headers, fil, sjekksum="1" * 64)
    assert (await _put(journal, headers, session, 0, 199_999)).status_code == 200
    mismatch = await _put(journal, headers, session, 200_000, len(FILE) - 1)
    assert mismatch.status_code == 400, mismatch.text
    assert _partials(journal) == []
    session = await _start(journal, headers, fil)
    assert (await _put(journal, headers, session, 0, 199_999)).status_code == 200
    third = await _put(journal, headers, session, 200_000, len(FILE) - 1)
    assert third.status_code == 201 and third.json()["versjonsnummer"] == 3
    download = await journal.client.get(third.json()["_links"][rel("arkivstruktur/fil")]["href"], headers=headers)
    assert download.content == FILE
    objekter = await _get(journal, beskrivelse["_links"][rel("arkivstruktur/dokumentobjekt")]["href"], headers)
    assert [o["versjonsnummer"] for o in objekter.json()["results"]] == [1, 2, 3]

    # A dokumentobjekt always has its file here; the standard replaces none.
    replace = await journal.client.post(first.json()["_links"][rel("arkivstruktur/fil")]["href"], content=FILE,
                                        headers=post)
    assert replace.status_code == 409 and "new version" in replace.json()["feil"]["beskrivelse"]


async def test_an_abandoned_session_is_swept_with_its_bytes(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    journalpost = await _journalpost(journal, headers)
    session = await _start(journal, headers, journalpost["_links"][rel("arkivstruktur/fil")]["href"])
    assert (await _put(journal, headers, session, 0, 999)).status_code == 200
    assert len(_partials(journal)) == 2
    database, blobs = journal.runtime.database, journal.app.state.blob_store
    await sweep(database, blobs, grace_s=3600)  # still within the grace period
    assert len(_partials(journal)) == 2
    await sweep(database, blobs, grace_s=3600, now=time.time() + 7200)
    assert _partials(journal) == []
    assert (await _put(journal, headers, session, 1000, 1999)).status_code == 404


async def test_a_session_started_on_one_replica_is_continued_on_another(
        journal: Journal, journal_factory: Callable[..., Any]) -> None:
    """Two app instances on one database and one blob store: the session is neither's alone."""
    headers, _person = await _handler(journal)
    journalpost = await _journalpost(journal, headers)
    fil = journalpost["_links"][rel("arkivstruktur/fil")]["href"]
    database_url = journal.runtime.settings.database_url
    async for other in journal_factory(database_url=database_url, migrate_on_start=False):
        other.issuer = journal.issuer
        other.app.state.token_verifier = journal.app.state.token_verifier
        session = await _start(journal, headers, fil)
        assert (await _put(other, headers, session, 0, 149_999)).status_code == 200
        assert (await _status(journal, headers, session)).headers["range"] == "0-149999"
        last = await _put(other, headers, session, 150_000, len(FILE) - 1)
        assert last.status_code == 201, last.text
        download = await journal.client.get(last.json()["_links"][rel("arkivstruktur/fil")]["href"], headers=headers)
        assert download.content == FILE


async def test_a_single_post_above_the_bulkgrense_is_refused_with_403_and_goes_in_chunks(
        journal_factory: Callable[..., Any]) -> None:
    """The standard: a file too large to be sent as a small file is refused with 403, telling the client
    to send it in chunks; admin/system announces that bulkgrense, and chunks take files up to the upload
    limit. Refused whether the request says its length or streams the body without one; nothing stored."""
    async for journal in journal_factory(noark5_bulk_limit_bytes=100_000, max_upload_bytes=400_000):
        headers, _person = await _handler(journal)
        system = await _get(journal, "/noark5/api/admin/system/", headers)
        assert system.json()["bulkgrense"] == 100_000
        journalpost = await _journalpost(journal, headers)
        fil = journalpost["_links"][rel("arkivstruktur/fil")]["href"]
        post = {**ACCEPT, **headers, "Content-Type": "application/pdf"}

        stated = await journal.client.post(fil, content=FILE, headers=post)
        assert stated.status_code == 403 and stated.json()["feil"]["kode"] == 403, stated.text
        assert "chunks" in stated.json()["feil"]["beskrivelse"]

        async def streamed() -> Any:  # no Content-Length: the limit is met while the bytes arrive
            for start in range(0, len(FILE), 50_000):
                yield FILE[start:start + 50_000]

        unstated = await journal.client.post(fil, content=streamed(), headers=post)
        assert unstated.status_code == 403, unstated.text
        assert await _documents(journal, headers, journalpost) == [] and _blobs(journal) == []

        small = await journal.client.post(fil, content=FILE[:90_000], headers=post)
        assert small.status_code == 201, small.text
        session = await _start(journal, headers, fil)
        assert (await _put(journal, headers, session, 0, 199_999)).status_code == 200
        done = await _put(journal, headers, session, 200_000, len(FILE) - 1)
        assert done.status_code == 201, done.text
        assert len(await _documents(journal, headers, journalpost)) == 2

    # Where the bulkgrense is not below the upload limit, a file above the limit is the plain 413.
    async for journal in journal_factory(noark5_bulk_limit_bytes=500_000, max_upload_bytes=100_000):
        headers, _person = await _handler(journal)
        assert (await _get(journal, "/noark5/api/admin/system/", headers)).json()["bulkgrense"] == 100_000
        journalpost = await _journalpost(journal, headers)
        fil = journalpost["_links"][rel("arkivstruktur/fil")]["href"]
        too_large = await journal.client.post(fil, content=FILE, headers={**ACCEPT, **headers,
                                                                           "Content-Type": "application/pdf"})
        assert too_large.status_code == 413, too_large.text
