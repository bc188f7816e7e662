"""Sweeping the document store: orphans and unfinished uploads go after the grace period, nothing named ever."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

import pytest

from arkiv5_journal.blobstore import SET_ASIDE_PREFIX, BlobTooLarge, FilesystemBlobStore, PartialGone
from arkiv5_journal.blobsweep import sweep

from .conftest import Journal, case, incoming

DAY = 24 * 3600
PDF = b"%PDF-1.7\nregistered\n%%EOF\n"


async def _stored(blobs: FilesystemBlobStore, data: bytes, *, age_s: float = 0) -> str:
    async def chunks() -> Any:
        yield data

    blob = await blobs.put_stream(chunks(), max_bytes=1 << 20)
    if age_s:
        then = time.time() - age_s
        os.utime(blobs.path_of(blob.sha256), (then, then))
    return blob.sha256


async def _register_document(journal: Journal) -> str:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    jp = (await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", json=incoming(),
                                    headers=headers)).json()
    upload = await journal.client.post(f"/journalposter/{jp['systemID']}/dokumenter", params={"tittel": "Søknad"},
                                       content=PDF, headers={**headers, "Content-Type": "application/pdf"})
    assert upload.status_code == 201, upload.text
    return upload.json()["dokumentobjekt"][0]["sjekksum"]


async def test_old_orphans_and_unfinished_uploads_go_and_everything_named_or_young_stays(journal: Journal) -> None:
    blobs: FilesystemBlobStore = journal.app.state.blob_store
    named = await _register_document(journal)
    os.utime(blobs.path_of(named), (time.time() - 3 * DAY, time.time() - 3 * DAY))
    old_orphan = await _stored(blobs, b"refused upload", age_s=3 * DAY)
    young_orphan = await _stored(blobs, b"upload whose record is being committed", age_s=60)
    stale_tmp = blobs.root / "tmp" / "tmpcrashed"
    stale_tmp.write_bytes(b"half an upload")
    os.utime(stale_tmp, (time.time() - 3 * DAY, time.time() - 3 * DAY))
    fresh_tmp = blobs.root / "tmp" / "tmpwriting"
    fresh_tmp.write_bytes(b"an upload in progress")

    result = await sweep(journal.runtime.database, blobs, grace_s=DAY)

    assert (result.orphans_removed, result.referenced_kept, result.temporary_removed) == (1, 1, 1)
    assert not blobs.path_of(old_orphan).exists()
    assert blobs.path_of(named).read_bytes() == PDF
    assert blobs.path_of(young_orphan).exists()
    assert not stale_tmp.exists() and fresh_tmp.exists()
    # The document still downloads; a second sweep finds nothing more to do.
    assert (await sweep(journal.runtime.database, blobs, grace_s=DAY)).orphans_removed == 0


async def test_an_orphan_uploaded_again_during_the_sweep_is_kept(tmp_path: Any) -> None:
    blobs = FilesystemBlobStore(tmp_path)
    digest = await _stored(blobs, b"the same bytes twice", age_s=3 * DAY)
    cutoff = time.time() - DAY
    assert digest in await blobs.written_before(cutoff)
    await _stored(blobs, b"the same bytes twice")  # an upload writes them again before the sweep acts
    assert await blobs.remove_if_not_rewritten(digest, cutoff) is False
    assert blobs.path_of(digest).read_bytes() == b"the same bytes twice"
    assert not any((tmp_path / "tmp").glob(f"{SET_ASIDE_PREFIX}*"))


async def test_a_blob_set_aside_by_a_crashed_sweep_comes_back_when_a_record_names_it(journal: Journal) -> None:
    blobs: FilesystemBlobStore = journal.app.state.blob_store
    named = await _register_document(journal)
    aside = blobs.root / "tmp" / f"{SET_ASIDE_PREFIX}{named}"
    os.replace(blobs.path_of(named), aside)  # the sweep crashed between setting aside and checking
    orphan = hashlib.sha256(b"nobody's").hexdigest()
    (blobs.root / "tmp" / f"{SET_ASIDE_PREFIX}{orphan}").write_bytes(b"nobody's")

    result = await sweep(journal.runtime.database, blobs, grace_s=DAY)

    assert result.restored == 1
    assert blobs.path_of(named).read_bytes() == PDF and not aside.exists()
    assert not blobs.path_of(orphan).exists()


async def test_an_upload_key_must_be_the_whole_key(tmp_path: Any) -> None:
    """A key with anything around its 32 hex digits (a trailing newline too) names no upload and makes no file."""
    blobs = FilesystemBlobStore(tmp_path)
    key = "0123456789abcdef0123456789abcdef"
    await blobs.begin_partial(key, b"{}")
    assert (await blobs.partial(key))[1] == 0
    for wrong in (key + "\n", "\n" + key, key.upper(), key[:-1], "../" + key):
        with pytest.raises(PartialGone):
            await blobs.partial(wrong)
        with pytest.raises(PartialGone):
            await blobs.begin_partial(wrong, b"{}")
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [f"partial-{key}.json", f"partial-{key}.part"]


async def test_a_finished_upload_is_stored_under_its_digest_without_a_second_copy(tmp_path: Any) -> None:
    blobs = FilesystemBlobStore(tmp_path)
    key = "fedcba9876543210fedcba9876543210"
    data = b"%PDF-1.7\n" + os.urandom(300_000) + b"\n%%EOF\n"
    await blobs.begin_partial(key, b"{}")

    async def body() -> Any:
        yield data

    assert await blobs.append_partial(key, 0, len(data), body()) == len(data)
    blob = await blobs.store_partial(key, max_bytes=1 << 20)
    assert (blob.sha256, blob.size, blob.head) == (hashlib.sha256(data).hexdigest(), len(data), data[:8192])
    part = tmp_path / "tmp" / f"partial-{key}.part"
    assert os.path.samefile(part, blobs.path_of(blob.sha256))  # one file, two names: no bytes written again
    await blobs.remove_partial(key)
    assert blobs.path_of(blob.sha256).read_bytes() == data
    assert not part.exists()
    # the same bytes once more: the stored blob is kept (and marked as written now), not replaced
    await blobs.begin_partial(key, b"{}")
    await blobs.append_partial(key, 0, len(data), body())
    assert (await blobs.store_partial(key, max_bytes=1 << 20)).sha256 == blob.sha256
    with pytest.raises(BlobTooLarge):
        await blobs.store_partial(key, max_bytes=len(data) - 1)
