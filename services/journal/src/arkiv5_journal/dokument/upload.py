"""The upload of a new document (or a new version of one): every refusal that does not need
the bytes, then the bytes streamed into the blob store, then the rows that name them.

One sequence for every entry point (our own API, the Noark 5 interface), so an upload can
never be checked or stored differently depending on the door it came through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Dokumenttype, TilknyttetRegistreringSom
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.db import Database

from ..blobstore import BlobStore, HeldUpload
from ..context import Context
from ..models import Dokumentbeskrivelse, Dokumentobjekt
from ..store.pre_upload import pre_upload_session
from . import documents

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class NewDocument:
    """What the caller says about the document beside its bytes."""

    tittel: str
    declared_type: str | None
    filnavn: str | None
    originalt_filnavn: str | None
    tilknyttet_registrering_som: TilknyttetRegistreringSom | None = None
    dokumenttype: Dokumenttype | None = None
    skanning_kontrollert: bool | None = None
    expected_sha256: str | None = None
    expected_size: int | None = None


@dataclass(frozen=True)
class NewVersion:
    """What the caller says about a new version beside its bytes."""

    declared_type: str | None
    filnavn: str | None
    originalt_filnavn: str | None
    expected_sha256: str | None = None
    expected_size: int | None = None


async def upload_new_document(
    db: Database, blobs: BlobStore, *, ctx: Context, caller: Caller, journalpost_id: UUID,
    body: AsyncIterator[bytes] | HeldUpload, max_bytes: int, document: NewDocument,
    answer: Callable[[AsyncSession, Dokumentbeskrivelse, Dokumentobjekt], Awaitable[Answer]],
) -> Answer:
    """Register `body` as a new document of the journalpost; `answer` renders the result
    in the same unit of work that wrote it (each entry point answers in its own shape)."""
    async with pre_upload_session(db) as session:
        # 404, a final status and 403 before a byte of the body is read: a refused caller stores nothing.
        # Only reads, so no transaction of its own on PostgreSQL; add_document checks it all again
        # in the transaction that writes, so a change in between (a status, a right) still refuses.
        await documents.check_new_document(session, caller=caller, journalpost_id=journalpost_id)
    blob = await documents.store(blobs, body, max_bytes=max_bytes, expected_sha256=document.expected_sha256,
                                 expected_size=document.expected_size)
    async with db.unit_of_work() as session:
        beskrivelse, objekt = await documents.add_document(
            session, ctx=ctx, caller=caller, journalpost_id=journalpost_id, blob=blob,
            declared_type=document.declared_type, tittel=document.tittel,
            tilknyttet_registrering_som=document.tilknyttet_registrering_som, dokumenttype=document.dokumenttype,
            filnavn=document.filnavn, originalt_filnavn=document.originalt_filnavn,
            skanning_kontrollert=document.skanning_kontrollert)
        return await answer(session, beskrivelse, objekt)


async def upload_new_version(
    db: Database, blobs: BlobStore, *, ctx: Context, caller: Caller, dokumentbeskrivelse_id: UUID,
    body: AsyncIterator[bytes] | HeldUpload, max_bytes: int, version: NewVersion,
    answer: Callable[[AsyncSession, Dokumentbeskrivelse, Dokumentobjekt], Awaitable[Answer]],
) -> Answer:
    """Register `body` as the document's next version, in the same order as a new document."""
    async with pre_upload_session(db) as session:
        # 404, 403 and a final journalstatus before reading a byte (add_version checks again).
        await documents.check_new_version(session, caller=caller, dokumentbeskrivelse_id=dokumentbeskrivelse_id)
    blob = await documents.store(blobs, body, max_bytes=max_bytes, expected_sha256=version.expected_sha256,
                                 expected_size=version.expected_size)
    async with db.unit_of_work() as session:
        beskrivelse, objekt = await documents.add_version(
            session, ctx=ctx, caller=caller, dokumentbeskrivelse_id=dokumentbeskrivelse_id, blob=blob,
            declared_type=version.declared_type, filnavn=version.filnavn, originalt_filnavn=version.originalt_filnavn)
        return await answer(session, beskrivelse, objekt)
