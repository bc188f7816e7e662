"""A chunked (resumable) upload: started with the file's announced type and length, then its
chunks, each continuing where the bytes so far end, and completed by the same sequence as a
single upload (`upload`): the policy asked again, the size limit, the checksum, the rows and
their event in one transaction.

The session lives in the blob store (its bytes and what it was started with), never in a
replica's memory, so any replica sharing the store and the database takes the next chunk.
It belongs to the caller who started it and to the record it was started on: anyone else,
or another record's link, finds no such session. The policy is asked when the session
starts and before every chunk is stored, so a caller who loses the right to add stores no
further byte. An abandoned session is removed by the blob store's sweep of temporary files.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TypeVar
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.db import Database

from ..blobstore import BlobStore, HeldUpload, PartialBusy, PartialGone, PartialRefused, PartialWrongLength
from ..context import Context
from ..errors import BadChunk, ChunkOutsideUpload, Conflict, DomainError, NotFound, PayloadTooLarge, Unprocessable
from ..models import Dokumentbeskrivelse, Dokumentobjekt
from ..store.pre_upload import pre_upload_session
from . import documents
from .upload import NewDocument, NewVersion, upload_new_document, upload_new_version

Answer = TypeVar("Answer")

_GONE = "No upload session of this record and caller has this reference (completed, expired or never started)."


@dataclass(frozen=True)
class Started:
    """What a session was started with: the record (a journalpost for a new document, a
    dokumentbeskrivelse for a new version), who started it, and the file as announced."""

    subject: str
    record_id: str
    new_version: bool
    total: int
    declared_type: str | None
    filnavn: str | None
    originalt_filnavn: str | None
    tittel: str | None = None
    expected_sha256: str | None = None


async def _check(db: Database, caller: Caller, started: Started) -> None:
    """Every refusal that does not need the bytes (404, a final status, 403), as a single upload asks it."""
    async with pre_upload_session(db) as session:
        if started.new_version:
            await documents.check_new_version(session, caller=caller, dokumentbeskrivelse_id=UUID(started.record_id))
        else:
            await documents.check_new_document(session, caller=caller, journalpost_id=UUID(started.record_id))


async def start(db: Database, blobs: BlobStore, *, caller: Caller, started: Started, max_bytes: int) -> str:
    """A new session (its reference), refused before anything is stored if the upload would be."""
    if started.total < 1:
        raise Unprocessable("X-Upload-Content-Length must be the file's size, at least 1 byte.")
    if started.total > max_bytes:
        raise PayloadTooLarge(f"The document is larger than the limit of {max_bytes} bytes.")
    if started.subject != caller.subject:
        raise Unprocessable("A session is started by its own caller.")
    await _check(db, caller, started)
    key = uuid4().hex
    await blobs.begin_partial(key, json.dumps(asdict(started)).encode())
    return key


async def session_of(blobs: BlobStore, *, caller: Caller, key: str, record_id: UUID) -> tuple[Started, int]:
    """The session as started, and how many bytes it holds; 404 for another caller or record."""
    try:
        meta, size = await blobs.partial(key)
    except PartialGone:
        raise NotFound(_GONE) from None
    started = Started(**json.loads(meta))
    if started.subject != caller.subject or started.record_id != str(record_id):
        raise NotFound(_GONE)
    return started, size


async def receive(
    db: Database, blobs: BlobStore, *, caller: Caller, key: str, record_id: UUID, first: int, last: int, total: int,
    chunks: AsyncIterator[bytes],
) -> tuple[Started, int]:
    """Store the chunk `first`–`last` (inclusive) of `total`; the session and its bytes so far.

    A chunk must start where the bytes so far end and lie within the announced length;
    anything else is refused and nothing of it is kept.
    """
    started, size = await session_of(blobs, caller=caller, key=key, record_id=record_id)
    if total != started.total:
        raise BadChunk(f"The total in Content-Range ({total}) differs from X-Upload-Content-Length ({started.total}).")
    if last >= started.total:
        raise ChunkOutsideUpload(f"The chunk ends at byte {last}; the file announced has {started.total} bytes "
                                 f"(0–{started.total - 1}).")
    if first != size:
        raise BadChunk(f"The chunk starts at byte {first}; the next chunk must start at byte {size}.")
    await _check(db, caller, started)  # before a byte of this chunk is stored
    try:
        size = await blobs.append_partial(key, first, last - first + 1, chunks)
    except PartialGone:
        raise NotFound(_GONE) from None
    except PartialBusy:
        raise Conflict("Another chunk of this upload is being received; ask for its status and go on.") from None
    except PartialRefused as exc:
        raise BadChunk(f"The chunk starts at byte {first}; the next chunk must start at byte {exc.received}.") from None
    except PartialWrongLength:
        raise BadChunk(f"The body is not the {last - first + 1} bytes Content-Range names; it was not kept.") from None
    return started, size


async def complete(
    db: Database, blobs: BlobStore, *, ctx: Context, caller: Caller, key: str, started: Started, max_bytes: int,
    answer: Callable[[AsyncSession, Dokumentbeskrivelse, Dokumentobjekt], Awaitable[Answer]],
) -> Answer:
    """Register the session's bytes exactly as a single upload of them would be (named in the
    store where they lie, not written again); the session ends."""
    held = HeldUpload(key)
    try:
        if started.new_version:
            result = await upload_new_version(
                db, blobs, ctx=ctx, caller=caller, dokumentbeskrivelse_id=UUID(started.record_id), body=held,
                max_bytes=max_bytes, answer=answer, version=NewVersion(
                    declared_type=started.declared_type, filnavn=started.filnavn,
                    originalt_filnavn=started.originalt_filnavn, expected_sha256=started.expected_sha256,
                    expected_size=started.total))
        else:
            result = await upload_new_document(
                db, blobs, ctx=ctx, caller=caller, journalpost_id=UUID(started.record_id), body=held,
                max_bytes=max_bytes, answer=answer, document=NewDocument(
                    tittel=started.tittel or started.filnavn or "Dokument", declared_type=started.declared_type,
                    filnavn=started.filnavn, originalt_filnavn=started.originalt_filnavn,
                    expected_sha256=started.expected_sha256, expected_size=started.total))
    except PartialGone:
        raise NotFound(_GONE) from None  # completed or swept by a request beside this one
    except PartialBusy:
        raise Conflict("Another chunk of this upload is being received; ask for its status and go on.") from None
    except DomainError:
        await blobs.remove_partial(key)  # refused for good (a right, a status, a checksum): nothing stays
        raise
    await blobs.remove_partial(key)
    return result
