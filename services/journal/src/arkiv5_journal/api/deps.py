"""What every journal route needs: the scopes, the caller, the service's objects, and the shared helpers.

Routes translate a request into a use-case call and render the result through
`visibility`; nothing here or in `v1/` queries the database itself.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.responses import StreamingResponse

from arkiv5_contracts import scopes
from arkiv5_contracts.codelists import (
    CodeList,
)
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.auth import require_scopes
from arkiv5_kit.db import Database
from arkiv5_kit.errors import PayloadTooLarge
from arkiv5_kit.sessions import database_of

from .. import idempotency, visibility
from ..blobstore import BlobStore
from ..context import Context
from ..errors import UnknownCode
from ..models import Saksmappe
from ..rapporter import reports
from ..saksmappe.merknader import merknader
from ..schemas import (
    JournalpostOut,
    SaksmappeOut,
)
from ..store import repository

READ = scopes.JOURNAL_READ
WRITE = scopes.JOURNAL_WRITE
ADMIN = scopes.JOURNAL_ADMIN
DOCUMENTS_READ = scopes.JOURNAL_DOCUMENTS_READ
DOCUMENTS_WRITE_ARCHIVAL = scopes.JOURNAL_DOCUMENTS_WRITE_ARCHIVAL
DISPATCH = scopes.JOURNAL_DISPATCH

Reader = Annotated[Caller, Depends(require_scopes(READ))]
Writer = Annotated[Caller, Depends(require_scopes(WRITE))]
Admin = Annotated[Caller, Depends(require_scopes(ADMIN))]


def ctx_of(request: Request) -> Context:
    context: Context = request.app.state.journal_context
    return context


def db_of(request: Request) -> Database:
    return database_of(request)


def blobs_of(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blob_store
    return blobs


def code_of(code_list: type[CodeList], value: str | None, name: str) -> Any:
    """A code from a query parameter, or 422 unknown-code naming the parameter (never the value)."""
    if value is None:
        return None
    try:
        return code_list(value)
    except ValueError:
        # Names the parameter and the list, never the value sent (it may be personal data).
        codes = ", ".join(f"{member.kode} ({member.kodenavn})" for member in code_list)
        raise UnknownCode(f"{name} is not a code in the Noark 5 code list {code_list.list_name} "
                          f"({code_list.noark_id}); valid codes: {codes}", field=name) from None


IDEMPOTENCY_KEY_HEADER = {"parameters": [{
    "name": idempotency.HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
    "description": "Makes a retry safe: the same key with the same request answers the first result, "
                   "the same key with a different request 409 idempotency-key-reused.",
}]}


async def capped_body(request: Request, limit: int) -> bytes:
    """The body, refused at the chunk that passes `limit` (a chunked body has no Content-Length)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"The journalpost JSON is larger than the limit of {limit} bytes.")
    return bytes(body)


def check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"The document is larger than the limit of {limit} bytes.")


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


def file_response(request: Request, objekt: Any) -> StreamingResponse:
    return StreamingResponse(
        blobs_of(request).open_stream(objekt.sjekksum), media_type=objekt.format,
        headers={"Content-Length": str(objekt.filstoerrelse), "ETag": f'"{objekt.sjekksum}"',
                 "Digest": f"sha-256={objekt.sjekksum}", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "attachment"})


def csv_or_json(request: Request, format_: str | None, rows: list[Any], csv_name: str) -> Any:
    wants_csv = format_ == "csv" or "text/csv" in request.headers.get("accept", "")
    if not wants_csv:
        return rows
    return Response(reports.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{csv_name}.csv"'})


async def saksmappe_view(session: Any, caller: Caller, saksmappe: Saksmappe) -> SaksmappeOut:
    return await visibility.saksmappe(session, caller, saksmappe,
                                      merknader=await merknader(session, saksmappe_id=saksmappe.system_id))


async def journalpost_view(session: Any, caller: Caller, journalpost_id: UUID, *,
                            answer: bool = False) -> JournalpostOut:
    journalpost = await repository.get_journalpost(session, journalpost_id)
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    return await visibility.journalpost(session, caller, journalpost, saksmappe, answer=answer)


