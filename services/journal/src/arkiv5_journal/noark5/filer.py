"""File upload in the Noark 5 interface, on the `arkivstruktur/fil/` links: a single POST of
the file, or a chunked upload (POST with `X-Upload-Content-Type` and `X-Upload-Content-Length`
and no body starts it, PUT with `Content-Range` sends each chunk), as the standard's chapter 6
describes ("Overføre små filer", "Overføre store filer").

Where a file may go, as the journal's model allows:

- the journalpost's `fil` link: a new document (its dokumentbeskrivelse and dokumentobjekt
  together; our documents exist only with their bytes);
- the dokumentbeskrivelse's `fil` link: its next version (variantformat P), the journal's
  "new version" use case;
- a dokumentobjekt's `fil` link downloads its bytes; a POST there is refused (409), since a
  dokumentobjekt here always has its file and the standard overwrites none.

What the client states about the file is checked as the standard asks of pre-filled fields:
`filstoerrelse` (query, or `X-Upload-Content-Length`) and `sjekksum` (query, SHA-256) against
the bytes received, a 400 if either differs, and nothing is registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from arkiv5_kit.limits import ORIGINAL_FILENAME_MAX_LENGTH

from .. import visibility
from ..api.deps import Writer, blobs_of, body_chunks, check_length, ctx_of, db_of
from ..api.translate import file_name
from ..dokument import documents, resumable
from ..dokument.upload import NewDocument, NewVersion, upload_new_document, upload_new_version
from ..errors import BadChunk, ChecksumMismatch, Conflict, PayloadTooLarge, SizeMismatch, UseChunkedUpload
from ..schemas import DokumentbeskrivelseOut
from ..store import repository
from . import render
from .http import Noark5Route, hal, href

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

_FILENAME = re.compile(r'filename="?([^";]+)"?')
# `bytes 0-524287/2000000`, the standard's `0-524287/2000000`, or `bytes */2000000` (the status).
_CONTENT_RANGE = re.compile(r"^\s*(?:bytes\s+)?(?:(\d{1,19})-(\d{1,19})|\*)/(\d{1,19})\s*$")

Tittel = Annotated[str | None, Query(min_length=1, max_length=2000)]
Filnavn = Annotated[str | None, Query(max_length=ORIGINAL_FILENAME_MAX_LENGTH)]
Sjekksum = Annotated[str | None, Query(description="The file's SHA-256 (hex), checked against the bytes")]
Filstoerrelse = Annotated[int | None, Query(ge=1, description="The file's size, checked against the bytes")]
Ref = Annotated[str, Query(min_length=1, max_length=64, description="The upload session, as its Location names it")]


def _sent_filename(request: Request, filnavn: str | None) -> str | None:
    if filnavn:
        return filnavn
    match = _FILENAME.search(request.headers.get("content-disposition", ""))
    return match.group(1)[:ORIGINAL_FILENAME_MAX_LENGTH] if match else None


@contextmanager
def _as_the_standard_checks() -> Iterator[None]:
    """A file that differs from what the client stated about it is the standard's 400."""
    try:
        yield
    except (ChecksumMismatch, SizeMismatch) as exc:
        raise BadChunk(exc.detail) from None


@contextmanager
def _within_bulkgrense(request: Request) -> Iterator[int]:
    """A single POST's limit, the bulkgrense: above it (by Content-Length, or by the bytes of a body
    sent without one) the standard's 403 tells the client to send the file in chunks, which
    take files up to the upload limit itself."""
    settings = ctx_of(request).settings
    limit = settings.noark5_bulkgrense
    chunks_take_more = limit < settings.max_upload_bytes
    refusal = (f"The file is larger than the bulkgrense of {limit} bytes for one request: send it in chunks "
               "(POST with X-Upload-Content-Type and X-Upload-Content-Length, then PUT with Content-Range).")
    length = request.headers.get("content-length")
    if chunks_take_more and length is not None and length.isdigit() and int(length) > limit:
        raise UseChunkedUpload(refusal)
    check_length(request, settings.max_upload_bytes)
    try:
        yield limit
    except PayloadTooLarge:
        if chunks_take_more:
            raise UseChunkedUpload(refusal) from None
        raise


def _announced(request: Request, filstoerrelse: int | None) -> int | None:
    """The chunked upload's X-Upload-Content-Length (None: a single upload); it must agree with `filstoerrelse`."""
    header = request.headers.get("x-upload-content-length")
    if header is None:
        return None
    if not header.strip().isdigit():
        raise BadChunk("X-Upload-Content-Length must be the file's size in bytes.")
    total = int(header)
    if filstoerrelse is not None and filstoerrelse != total:
        raise BadChunk(f"filstoerrelse ({filstoerrelse}) differs from X-Upload-Content-Length ({total}).")
    return total


async def _objekt_answer(request: Request, caller: Any, session: Any, beskrivelse: Any, objekt: Any) -> dict[str, Any]:
    """The new dokumentobjekt as the caller may see it (only it: not the whole journalpost)."""
    journalpost = await repository.get_journalpost(session, beskrivelse.journalpost_id)
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    out: DokumentbeskrivelseOut = await visibility.dokumentbeskrivelse(
        session, caller, journalpost, saksmappe, beskrivelse, [objekt], answer=True)
    [objekt_out] = out.dokumentobjekt
    return render.dokumentobjekt(request, objekt_out, out.system_id)


def _created(request: Request, body: dict[str, Any]) -> JSONResponse:
    return hal(request, body, status_code=201, location_path=render.dokumentobjekt_path(body["systemID"]))


def _session_answer(request: Request, fil_path: str, key: str, received: int) -> Response:
    """An upload not yet complete: 200 with the session's URL for the next PUT and, once bytes
    have arrived, `Range: 0-<last byte received>` (the standard's form)."""
    headers = {"Location": href(request, f"{fil_path}?ref={key}")}
    if received:
        headers["Range"] = f"0-{received - 1}"
    return Response(status_code=200, headers=headers)


async def _start(request: Request, caller: Any, fil_path: str, started: resumable.Started) -> Response:
    key = await resumable.start(db_of(request), blobs_of(request), caller=caller, started=started,
                                max_bytes=ctx_of(request).settings.max_upload_bytes)
    return _session_answer(request, fil_path, key, 0)


async def _chunk(request: Request, caller: Any, fil_path: str, record_id: UUID, ref: str) -> Response:
    """A PUT of a chunk (or, with `Content-Range: bytes */<total>`, a question for the status)."""
    match = _CONTENT_RANGE.match(request.headers.get("content-range", ""))
    if match is None:
        raise BadChunk("Content-Range must be `bytes <first>-<last>/<total>` (or `bytes */<total>` for the status).")
    first, last, total = match.group(1), match.group(2), int(match.group(3))
    db, blobs = db_of(request), blobs_of(request)
    if first is None or last is None:
        started, received = await resumable.session_of(blobs, caller=caller, key=ref, record_id=record_id)
        if total != started.total:
            raise BadChunk(f"The total ({total}) differs from X-Upload-Content-Length ({started.total}).")
        return _session_answer(request, fil_path, ref, received)
    if int(first) > int(last):
        raise BadChunk("Content-Range's first byte comes after its last.")
    started, received = await resumable.receive(
        db, blobs, caller=caller, key=ref, record_id=record_id, first=int(first), last=int(last), total=total,
        chunks=body_chunks(request))
    if received < started.total:
        return _session_answer(request, fil_path, ref, received)

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> dict[str, Any]:
        return await _objekt_answer(request, caller, session, beskrivelse, objekt)

    with _as_the_standard_checks():
        body = await resumable.complete(db, blobs, ctx=ctx_of(request), caller=caller, key=ref, started=started,
                                        max_bytes=ctx_of(request).settings.max_upload_bytes, answer=answer)
    return _created(request, body)


@router.post("/noark5/api/sakarkiv/journalpost/{journalpost_id}/fil/")
async def upload(journalpost_id: UUID, request: Request, caller: Writer, tittel: Tittel = None,
                 filnavn: Filnavn = None, sjekksum: Sjekksum = None, filstoerrelse: Filstoerrelse = None) -> Response:
    """A new document: the body is the file (its Content-Type its media type); answers the new
    dokumentobjekt. With X-Upload-Content-Length and no body, starts a chunked upload instead."""
    sent_name = _sent_filename(request, filnavn)
    stored_name, original_name = file_name(sent_name)
    expected = documents.check_expected_sha256(sjekksum)
    total = _announced(request, filstoerrelse)
    if total is not None:
        return await _start(request, caller, render.journalpost_path(journalpost_id) + "fil/", resumable.Started(
            subject=caller.subject, record_id=str(journalpost_id), new_version=False, total=total,
            declared_type=request.headers.get("x-upload-content-type"), filnavn=stored_name,
            originalt_filnavn=original_name, tittel=tittel or sent_name, expected_sha256=expected))
    document = NewDocument(tittel=tittel or sent_name or "Dokument", declared_type=request.headers.get("content-type"),
                           filnavn=stored_name, originalt_filnavn=original_name, expected_sha256=expected,
                           expected_size=filstoerrelse)

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> dict[str, Any]:
        return await _objekt_answer(request, caller, session, beskrivelse, objekt)

    with _within_bulkgrense(request) as limit, _as_the_standard_checks():
        body = await upload_new_document(
            db_of(request), blobs_of(request), ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
            body=body_chunks(request), max_bytes=limit, document=document, answer=answer)
    return _created(request, body)


@router.put("/noark5/api/sakarkiv/journalpost/{journalpost_id}/fil/")
async def upload_chunk(journalpost_id: UUID, request: Request, caller: Writer, ref: Ref) -> Response:
    return await _chunk(request, caller, render.journalpost_path(journalpost_id) + "fil/", journalpost_id, ref)


@router.post("/noark5/api/arkivstruktur/dokumentbeskrivelse/{dokumentbeskrivelse_id}/fil/")
async def upload_version(dokumentbeskrivelse_id: UUID, request: Request, caller: Writer, filnavn: Filnavn = None,
                         sjekksum: Sjekksum = None, filstoerrelse: Filstoerrelse = None) -> Response:
    """The document's next version (variantformat P): answers its new dokumentobjekt. With
    X-Upload-Content-Length and no body, starts a chunked upload of it instead."""
    stored_name, original_name = file_name(_sent_filename(request, filnavn))
    expected = documents.check_expected_sha256(sjekksum)
    total = _announced(request, filstoerrelse)
    if total is not None:
        return await _start(request, caller, render.dokumentbeskrivelse_path(dokumentbeskrivelse_id) + "fil/",
                            resumable.Started(
            subject=caller.subject, record_id=str(dokumentbeskrivelse_id), new_version=True, total=total,
            declared_type=request.headers.get("x-upload-content-type"), filnavn=stored_name,
            originalt_filnavn=original_name, expected_sha256=expected))
    version = NewVersion(declared_type=request.headers.get("content-type"), filnavn=stored_name,
                         originalt_filnavn=original_name, expected_sha256=expected, expected_size=filstoerrelse)

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> dict[str, Any]:
        return await _objekt_answer(request, caller, session, beskrivelse, objekt)

    with _within_bulkgrense(request) as limit, _as_the_standard_checks():
        body = await upload_new_version(
            db_of(request), blobs_of(request), ctx=ctx_of(request), caller=caller,
            dokumentbeskrivelse_id=dokumentbeskrivelse_id, body=body_chunks(request),
            max_bytes=limit, version=version, answer=answer)
    return _created(request, body)


@router.put("/noark5/api/arkivstruktur/dokumentbeskrivelse/{dokumentbeskrivelse_id}/fil/")
async def upload_version_chunk(dokumentbeskrivelse_id: UUID, request: Request, caller: Writer, ref: Ref) -> Response:
    return await _chunk(request, caller, render.dokumentbeskrivelse_path(dokumentbeskrivelse_id) + "fil/",
                        dokumentbeskrivelse_id, ref)


@router.post("/noark5/api/arkivstruktur/dokumentobjekt/{dokumentobjekt_id}/referanseFil/")
async def upload_to_dokumentobjekt(dokumentobjekt_id: UUID, caller: Writer) -> Response:
    """A dokumentobjekt here always has its file, and the standard overwrites none."""
    raise Conflict("This dokumentobjekt has its file; a file is never replaced. Upload a new version on its "
                   "dokumentbeskrivelse's arkivstruktur/fil/ link.")
