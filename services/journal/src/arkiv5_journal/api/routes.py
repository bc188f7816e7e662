"""HTTP routes: translate requests into service calls, one unit of work each, and answers into JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select

from arkiv5_contracts.codelists import (
    CodeList,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    TilknyttetRegistreringSom,
)
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.auth import require_scopes
from arkiv5_kit.errors import PayloadTooLarge, Unprocessable

from .. import corrections, documents, formdata, idempotency, reports, search, service, visibility
from ..blobstore import BlobStore
from ..errors import UnsupportedMediaType
from ..journalpost.commands import NewDocument
from ..journalpost.register import Registered, register
from ..models import Journalpost, Saksmappe
from ..schemas import (
    AvskrivningIn,
    AvskrivningOut,
    AvsluttSaksmappe,
    DokumentbeskrivelseOut,
    EndringsloggOut,
    FordelingIn,
    FordelingOut,
    JournalpostCreate,
    JournalpostOut,
    KlasseIn,
    KlasseOut,
    KlientAvslutning,
    MerknadIn,
    MerknadOut,
    OffentligJournalpost,
    Page,
    RestanseOut,
    SaksmappeCreate,
    SaksmappeOut,
    StatusChange,
)
from . import translate

READ = "journal.read"
WRITE = "journal.write"
ADMIN = "journal.admin"
DOCUMENTS_READ = "journal.documents.read"
DOCUMENTS_WRITE_ARCHIVAL = "journal.documents.write-archival"

Reader = Annotated[Caller, Depends(require_scopes(READ))]
Writer = Annotated[Caller, Depends(require_scopes(WRITE))]
Admin = Annotated[Caller, Depends(require_scopes(ADMIN))]

router = APIRouter(tags=["journal"])


internal = APIRouter(prefix="/internal", tags=["internal"])


def _ctx(request: Request) -> service.Context:
    return request.app.state.journal_context


def _db(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.runtime.database


def _blobs(request: Request) -> BlobStore:
    return request.app.state.blob_store


def _code(code_list: type[CodeList], value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return code_list(value)
    except ValueError as exc:
        raise service.UnknownCode(str(exc), field=name) from None


# --- arkivstruktur ---------------------------------------------------------------------


@router.post("/klasser", status_code=201, response_model=KlasseOut)
async def create_klasse(body: KlasseIn, request: Request, caller: Admin) -> KlasseOut:
    async with _db(request).unit_of_work() as session:
        klasse = await service.create_klasse(session, ctx=_ctx(request), caller=caller, body=body)
        return KlasseOut(system_id=klasse.system_id, klasse_id=klasse.klasse_id, tittel=klasse.tittel)


@router.get("/klasser", response_model=list[KlasseOut])
async def list_klasser(request: Request, caller: Reader) -> list[KlasseOut]:
    async with _db(request).unit_of_work() as session:
        return [KlasseOut(system_id=k.system_id, klasse_id=k.klasse_id, tittel=k.tittel)
                for k in await service.list_klasser(session)]


# --- saksmappe -------------------------------------------------------------------------


_IDEMPOTENCY_KEY = {"parameters": [{
    "name": idempotency.HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
    "description": "Makes a retry safe: the same key with the same request answers the first result, "
                   "the same key with a different request 409 idempotency-key-reused.",
}]}


@router.post("/saksmapper", status_code=201, response_model=SaksmappeOut, openapi_extra=_IDEMPOTENCY_KEY)
async def create_saksmappe(body: SaksmappeCreate, request: Request, response: Response, caller: Writer) -> SaksmappeOut:
    key = idempotency.requested(request.headers.get(idempotency.HEADER), caller,
                                idempotency.fingerprint("POST /saksmapper", body.model_dump(mode="json")))

    async def create(session: Any) -> tuple[SaksmappeOut, UUID]:
        saksmappe = await service.create_saksmappe(session, ctx=_ctx(request), caller=caller, body=body)
        return await visibility.saksmappe(session, caller, saksmappe, answer=True), saksmappe.system_id

    result = await idempotency.create_once(_db(request), key, 201, create)
    if isinstance(result, idempotency.Replayed):
        response.status_code = result.status_code
        async with _db(request).unit_of_work() as session:
            result = await _saksmappe_view(session, caller, await service.get_saksmappe(session, result.resource_id))
    response.headers["Location"] = f"/saksmapper/{result.system_id}"
    return result


async def _saksmappe_view(session: Any, caller: Caller, saksmappe: Saksmappe) -> SaksmappeOut:
    return await visibility.saksmappe(session, caller, saksmappe,
                                      merknader=await service.merknader(session, saksmappe_id=saksmappe.system_id))


@router.get("/saksmapper/{saksmappe_id}", response_model=SaksmappeOut)
async def get_saksmappe(saksmappe_id: UUID, request: Request, response: Response, caller: Reader) -> SaksmappeOut:
    async with _db(request).unit_of_work() as session:
        saksmappe = await service.get_saksmappe(session, saksmappe_id)
        response.headers["ETag"] = corrections.etag(saksmappe)
        return await _saksmappe_view(session, caller, saksmappe)


@router.patch("/saksmapper/{saksmappe_id}", response_model=SaksmappeOut)
async def correct_saksmappe(saksmappe_id: UUID, request: Request, response: Response, caller: Writer) -> SaksmappeOut:
    """JSON merge-patch of the correctable fields; If-Match with the ETag as read is required."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        raise corrections.PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    corrections.SaksmappePatch, corrections._IMMUTABLE_SAKSMAPPE)
    async with _db(request).unit_of_work() as session:
        saksmappe = await corrections.correct_saksmappe(session, ctx=_ctx(request), caller=caller,
                                                        saksmappe_id=saksmappe_id,
                                                        patch=patch, if_match=if_match)  # type: ignore[arg-type]
        response.headers["ETag"] = corrections.etag(saksmappe)
        return await visibility.saksmappe(session, caller, saksmappe, answer=True)


@router.post("/saksmapper/{saksmappe_id}/avslutt", response_model=SaksmappeOut)
async def close_saksmappe(saksmappe_id: UUID, request: Request, caller: Writer,
                          body: AvsluttSaksmappe | None = None) -> SaksmappeOut:
    body = body or AvsluttSaksmappe()
    async with _db(request).unit_of_work() as session:
        saksmappe = await service.close_saksmappe(session, ctx=_ctx(request), caller=caller,
                                                  saksmappe_id=saksmappe_id, saksstatus=body.saksstatus)
        return await visibility.saksmappe(session, caller, saksmappe, answer=True)


@router.post("/klientsaker/avslutt", response_model=list[SaksmappeOut])
async def close_client_cases(body: KlientAvslutning, request: Request, caller: Writer) -> list[SaksmappeOut]:
    """The client moved away or the service ended: close all the client's open cases, or none."""
    async with _db(request).unit_of_work() as session:
        closed = await service.close_client_cases(session, ctx=_ctx(request), caller=caller,
                                                  foedselsnummer=body.foedselsnummer)
        return [await visibility.saksmappe(session, caller, c, answer=True) for c in closed]


@router.get("/saksmapper/{saksmappe_id}/journalposter", response_model=Page[JournalpostOut])
async def list_case_journalposter(saksmappe_id: UUID, request: Request, caller: Reader) -> Page[JournalpostOut]:
    async with _db(request).unit_of_work() as session:
        saksmappe = await service.get_saksmappe(session, saksmappe_id)
        rows = list((await session.execute(select(Journalpost).where(Journalpost.saksmappe_id == saksmappe_id)
                                           .order_by(Journalpost.journalpostnummer))).scalars())
        results = await visibility.journalposter(session, caller, [(j, saksmappe) for j in rows])
        return Page[JournalpostOut](count=len(results), results=results)


# --- journalpost -----------------------------------------------------------------------


_REGISTRATION_BODY = {
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/JournalpostCreate"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["journalpost"],
            "properties": {
                "journalpost": {"type": "string", "description": "The JournalpostCreate JSON (Content-Type "
                                "application/json); its dokumentbeskrivelse entries name the file parts"},
            },
            "additionalProperties": {"type": "string", "format": "binary",
                                     "description": "A document: one file part per document, in order"},
        }},
    }},
}
METADATA_PART = "journalpost"
MAX_METADATA_BYTES = 1024 * 1024


async def _capped_body(request: Request, limit: int) -> bytes:
    """The body, refused at the chunk that passes `limit` (a chunked body has no Content-Length)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"The journalpost JSON is larger than the limit of {limit} bytes.")
    return bytes(body)


def _validated(raw: bytes, *, location: tuple[str, ...]) -> JournalpostCreate:
    try:
        return JournalpostCreate.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": (*location, *e["loc"])} for e in exc.errors(include_input=False)]) from None


async def _registration_request(
    request: Request,
) -> tuple[JournalpostCreate, list[NewDocument], list[tuple[str, str]]]:
    """The journalpost from a JSON body, or from a multipart body with its documents as file parts.

    Also each file part's name and SHA-256, which the idempotency fingerprint covers.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        if content_type and not content_type.lower().startswith("application/json"):
            raise UnsupportedMediaType("Send the journalpost as application/json, or with its documents as "
                                       "multipart/form-data.")
        _check_length(request, MAX_METADATA_BYTES)
        return _validated(await _capped_body(request, MAX_METADATA_BYTES), location=("body",)), [], []
    settings = _ctx(request).settings
    _check_length(request, settings.max_documents_per_registration * settings.max_upload_bytes + MAX_METADATA_BYTES)
    form = await formdata.read_form(
        _body(request), content_type, blobs=_blobs(request), max_file_bytes=settings.max_upload_bytes,
        max_files=settings.max_documents_per_registration, max_field_bytes=MAX_METADATA_BYTES)
    if METADATA_PART not in form.fields:
        raise Unprocessable(f"The multipart body needs a {METADATA_PART!r} part with the journalpost as JSON.",
                            errors=[{"field": f"body.{METADATA_PART}", "message": "Field required", "code": "missing"}])
    body = _validated(form.fields[METADATA_PART], location=("body", METADATA_PART))
    documents = translate.match_documents(
        body, [(f.name, f.filename, f.content_type, f.blob) for f in form.files])
    return body, documents, [(f.name, f.blob.sha256) for f in form.files]


@router.post("/saksmapper/{saksmappe_id}/journalposter", status_code=201, response_model=JournalpostOut,
             openapi_extra={**_REGISTRATION_BODY, **_IDEMPOTENCY_KEY})
async def register_journalpost(saksmappe_id: UUID, request: Request, caller: Writer) -> Response:
    """Register a journalpost in the case; as multipart/form-data, with its documents in the same transaction."""
    body, new_documents, files = await _registration_request(request)
    key = idempotency.requested(
        request.headers.get(idempotency.HEADER), caller,
        idempotency.fingerprint(f"POST /saksmapper/{saksmappe_id}/journalposter", body.model_dump(mode="json"), files))

    command = translate.registration_command(saksmappe_id, body, new_documents)

    async def create(session: Any) -> tuple[tuple[Registered, bool], UUID]:
        registered = await register(session, _ctx(request), caller, command)
        full = await visibility.may_see_registration(session, caller, registered.journalpost, registered.saksmappe)
        return (registered, full), registered.journalpost.system_id

    result = await idempotency.create_once(_db(request), key, 201, create)
    if isinstance(result, idempotency.Replayed):
        async with _db(request).unit_of_work() as session:
            again = await _journalpost_view(session, caller, result.resource_id)
        return Response(again.model_dump_json(), status_code=result.status_code, media_type="application/json",
                        headers={"Location": f"/journalposter/{result.resource_id}"})
    registered, full = result
    out = visibility.registered_journalpost(registered.journalpost, registered.saksmappe, full=full,
                                            parts=registered.korrespondanseparter, documents=registered.dokumenter)
    # Serialised once here; returning the model would have FastAPI validate it a second time.
    return Response(out.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": f"/journalposter/{registered.journalpost.system_id}"})


async def _journalpost_view(session: Any, caller: Caller, journalpost_id: UUID, *,
                            answer: bool = False) -> JournalpostOut:
    journalpost = await service.get_journalpost(session, journalpost_id)
    saksmappe = await service.get_saksmappe(session, journalpost.saksmappe_id)
    return await visibility.journalpost(session, caller, journalpost, saksmappe, answer=answer)


@router.get("/journalposter/{journalpost_id}", response_model=JournalpostOut)
async def get_journalpost(journalpost_id: UUID, request: Request, response: Response,
                          caller: Reader) -> JournalpostOut:
    async with _db(request).unit_of_work() as session:
        out = await _journalpost_view(session, caller, journalpost_id)
        response.headers["ETag"] = corrections.etag(await service.get_journalpost(session, journalpost_id))
        return out


@router.patch("/journalposter/{journalpost_id}", response_model=JournalpostOut)
async def correct_journalpost(journalpost_id: UUID, request: Request, response: Response,
                              caller: Writer) -> JournalpostOut:
    """JSON merge-patch of the correctable fields; numbers, journaldato and journalposttype never change."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        raise corrections.PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    corrections.JournalpostPatch, corrections._IMMUTABLE_JOURNALPOST)
    async with _db(request).unit_of_work() as session:
        journalpost = await corrections.correct_journalpost(session, ctx=_ctx(request), caller=caller,
                                                            journalpost_id=journalpost_id,
                                                            patch=patch, if_match=if_match)  # type: ignore[arg-type]
        response.headers["ETag"] = corrections.etag(journalpost)
        return await _journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/journalstatus", response_model=JournalpostOut)
async def change_status(journalpost_id: UUID, body: StatusChange, request: Request, caller: Writer) -> JournalpostOut:
    async with _db(request).unit_of_work() as session:
        await service.change_status(session, ctx=_ctx(request), caller=caller, journalpost_id=journalpost_id,
                                    to=body.journalstatus)
        return await _journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/ekspedere", status_code=202, response_model=JournalpostOut)
async def ekspedere(journalpost_id: UUID, request: Request, caller: Writer,
                    dokumentobjekt: Annotated[list[UUID] | None, Query()] = None) -> JournalpostOut:
    async with _db(request).unit_of_work() as session:
        await service.ekspedere(session, ctx=_ctx(request), caller=caller, journalpost_id=journalpost_id,
                                dokumentobjekt_ids=dokumentobjekt or [])
        return await _journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/avskrivninger", status_code=201, response_model=AvskrivningOut)
async def avskriv(journalpost_id: UUID, body: AvskrivningIn, request: Request, caller: Writer) -> AvskrivningOut:
    async with _db(request).unit_of_work() as session:
        a = await service.avskriv(session, ctx=_ctx(request), caller=caller, journalpost_id=journalpost_id, body=body)
        return AvskrivningOut(system_id=a.system_id, avskrivningsdato=a.avskrivningsdato, avskrevet_av=a.avskrevet_av,
                              avskrivningsmaate=body.avskrivningsmaate,
                              referanse_avskrives_av_journalpost=a.referanse_avskrives_av_journalpost)


@router.post("/journalposter/{journalpost_id}/merknader", status_code=201, response_model=MerknadOut)
async def add_merknad(journalpost_id: UUID, body: MerknadIn, request: Request, caller: Writer) -> MerknadOut:
    async with _db(request).unit_of_work() as session:
        m = await service.add_merknad(session, caller=caller, journalpost_id=journalpost_id, body=body)
        journalpost = await service.get_journalpost(session, journalpost_id)
        return await visibility.journalpost_merknad(
            session, caller, journalpost, await service.get_saksmappe(session, journalpost.saksmappe_id), m,
            answer=True)


@router.get("/journalposter/{journalpost_id}/merknader", response_model=list[MerknadOut])
async def journalpost_merknader(journalpost_id: UUID, request: Request, caller: Reader) -> list[MerknadOut]:
    """The journalpost's remarks, masked as in the journalpost itself."""
    async with _db(request).unit_of_work() as session:
        return (await _journalpost_view(session, caller, journalpost_id)).merknad


@router.post("/saksmapper/{saksmappe_id}/merknader", status_code=201, response_model=MerknadOut)
async def add_saksmappe_merknad(saksmappe_id: UUID, body: MerknadIn, request: Request, response: Response,
                                caller: Writer) -> MerknadOut:
    async with _db(request).unit_of_work() as session:
        m = await service.add_saksmappe_merknad(session, caller=caller, saksmappe_id=saksmappe_id, body=body)
        saksmappe = await service.get_saksmappe(session, saksmappe_id)
        full = await visibility.may_see_screened_saksmappe(session, caller, saksmappe, answer=True)
        [out] = visibility.saksmappe_merknader(saksmappe, [m], full=full)
    response.headers["Location"] = f"/saksmapper/{saksmappe_id}/merknader"
    return out


@router.get("/saksmapper/{saksmappe_id}/merknader", response_model=list[MerknadOut])
async def saksmappe_merknader(saksmappe_id: UUID, request: Request, caller: Reader) -> list[MerknadOut]:
    async with _db(request).unit_of_work() as session:
        saksmappe = await service.get_saksmappe(session, saksmappe_id)
        return await visibility.saksmappe_merknader_for(
            session, caller, saksmappe, await service.merknader(session, saksmappe_id=saksmappe_id))


@router.post("/journalposter/{journalpost_id}/fordeling", status_code=201, response_model=FordelingOut)
async def fordel(journalpost_id: UUID, body: FordelingIn, request: Request, caller: Writer) -> FordelingOut:
    async with _db(request).unit_of_work() as session:
        f = await service.fordel(session, caller=caller, journalpost_id=journalpost_id, body=body)
        return _fordeling_out(f)


@router.get("/journalposter/{journalpost_id}/fordeling", response_model=list[FordelingOut])
async def fordelinger(journalpost_id: UUID, request: Request, caller: Reader) -> list[FordelingOut]:
    async with _db(request).unit_of_work() as session:
        await _journalpost_view(session, caller, journalpost_id)  # the same read check as the record
        return [_fordeling_out(f) for f in await service.fordelinger(session, journalpost_id)]


def _fordeling_out(f: Any) -> FordelingOut:
    return FordelingOut(fra_saksbehandler=f.fra_saksbehandler_id, til_saksbehandler=f.til_saksbehandler_id,
                        til_administrativ_enhet=f.til_administrativ_enhet_id, fordelt_at=f.fordelt_at,
                        fordelt_av=f.fordelt_av)


@router.get("/journalposter", response_model=Page[JournalpostOut])
async def list_journalposter(
    request: Request, caller: Reader,
    journalaar: int | None = None, journalstatus: str | None = None, journalposttype: str | None = None,
    administrativ_enhet: Annotated[UUID | None, Query(alias="administrativEnhet")] = None,
    saksbehandler: UUID | None = None,
    fra: date | None = None, til: date | None = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[int, Query(alias="$skip", ge=0)] = 0,
) -> Page[JournalpostOut]:
    status = _code(Journalstatus, journalstatus, "journalstatus")
    kind = _code(Journalposttype, journalposttype, "journalposttype")
    async with _db(request).unit_of_work() as session:
        query = select(Journalpost, Saksmappe).join(Saksmappe, Saksmappe.system_id == Journalpost.saksmappe_id)
        if journalaar is not None:
            query = query.where(Journalpost.journalaar == journalaar)
        if status is not None:
            query = query.where(Journalpost.journalstatus == status.kode)
        if kind is not None:
            query = query.where(Journalpost.journalposttype == kind.kode)
        if administrativ_enhet is not None:
            query = query.where(Journalpost.administrativ_enhet_id == administrativ_enhet)
        if saksbehandler is not None:
            query = query.where(Journalpost.saksbehandler_id == saksbehandler)
        if fra is not None:
            query = query.where(Journalpost.journaldato >= fra)
        if til is not None:
            query = query.where(Journalpost.journaldato <= til)
        query = query.order_by(Journalpost.journalaar.desc(), Journalpost.journalsekvensnummer.desc())  # type: ignore[attr-defined]
        rows = [(j, s) for j, s in (await session.execute(query.offset(skip).limit(top))).all()]
        results = await visibility.journalposter(session, caller, rows, detail=False)
        return Page[JournalpostOut](count=len(results), results=results)


@router.get("/sok", response_model=Page[JournalpostOut])
async def sok(
    request: Request, caller: Reader, q: Annotated[str, Query(min_length=1, max_length=500)],
    journalaar: int | None = None, journalstatus: str | None = None, journalposttype: str | None = None,
    administrativ_enhet: Annotated[UUID | None, Query(alias="administrativEnhet")] = None,
    saksbehandler: UUID | None = None, fra: date | None = None, til: date | None = None,
    sort: Annotated[str, Query(pattern="^-?journaldato$")] = "-journaldato",
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[int, Query(alias="$skip", ge=0, le=1000)] = 0,
) -> Page[JournalpostOut]:
    """Full text over titles and parties with filters; screened words match only for those cleared."""
    status = _code(Journalstatus, journalstatus, "journalstatus")
    kind = _code(Journalposttype, journalposttype, "journalposttype")
    filters = search.Filters(journalaar=journalaar, journalstatus=status.kode if status else None,
                             journalposttype=kind.kode if kind else None, administrativ_enhet=administrativ_enhet,
                             saksbehandler=saksbehandler, fra=fra, til=til)
    async with _db(request).unit_of_work() as session:
        rows, masked = await search.search(session, caller=caller, q=q, filters=filters, top=top, skip=skip,
                                           newest_first=sort.startswith("-"),
                                           may_read_screened=visibility.may_see_screened_journalpost)
        results = await visibility.journalposter_out(session, rows, masked_ids=masked, detail=False)
        return Page[JournalpostOut](count=len(results), results=results)


# --- documents -------------------------------------------------------------------------


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"The document is larger than the limit of {limit} bytes.")


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


@router.post("/journalposter/{journalpost_id}/dokumenter", status_code=201, response_model=DokumentbeskrivelseOut)
async def upload_document(
    journalpost_id: UUID, request: Request, caller: Writer,
    tittel: Annotated[str, Query(min_length=1, max_length=2000)],
    tilknyttet_registrering_som: Annotated[str | None, Query(alias="tilknyttetRegistreringSom")] = None,
    dokumenttype: str | None = None,
    filnavn: Annotated[str | None, Query(max_length=255)] = None,
    skanning_kontrollert: Annotated[bool | None, Query(alias="skanningKontrollert")] = None,
    sjekksum: Annotated[str | None, Query(description="Expected SHA-256 (hex) of the bytes")] = None,
) -> DokumentbeskrivelseOut:
    """The request body is the document itself, streamed; metadata travels as query parameters."""
    settings = _ctx(request).settings
    rolle = _code(TilknyttetRegistreringSom, tilknyttet_registrering_som, "tilknyttetRegistreringSom")
    doktype = _code(Dokumenttype, dokumenttype, "dokumenttype")
    expected = documents.check_expected_sha256(sjekksum)
    _check_length(request, settings.max_upload_bytes)
    async with _db(request).unit_of_work() as session:
        await service.get_journalpost(session, journalpost_id)  # 404 before reading a large body
    blob = await documents.store(_blobs(request), _body(request), max_bytes=settings.max_upload_bytes,
                                 expected_sha256=expected)
    async with _db(request).unit_of_work() as session:
        beskrivelse, objekt = await documents.add_document(
            session, ctx=_ctx(request), caller=caller, journalpost_id=journalpost_id, blob=blob,
            declared_type=request.headers.get("content-type"), tittel=tittel, tilknyttet_registrering_som=rolle,
            dokumenttype=doktype, filnavn=filnavn, skanning_kontrollert=skanning_kontrollert)
        return await _document_answer(session, caller, beskrivelse, [objekt])


@router.post("/dokumentbeskrivelser/{dokumentbeskrivelse_id}/versjoner", status_code=201,
             response_model=DokumentbeskrivelseOut)
async def upload_version(
    dokumentbeskrivelse_id: UUID, request: Request, response: Response, caller: Writer,
    filnavn: Annotated[str | None, Query(max_length=255)] = None,
    sjekksum: Annotated[str | None, Query(description="Expected SHA-256 (hex) of the bytes")] = None,
) -> DokumentbeskrivelseOut:
    """A new version (variantformat P) of a document; the body is the document itself, streamed."""
    settings = _ctx(request).settings
    expected = documents.check_expected_sha256(sjekksum)
    _check_length(request, settings.max_upload_bytes)
    async with _db(request).unit_of_work() as session:
        # 404, 403 and a final journalstatus before reading a large body.
        await documents.check_new_version(session, caller=caller, dokumentbeskrivelse_id=dokumentbeskrivelse_id)
    blob = await documents.store(_blobs(request), _body(request), max_bytes=settings.max_upload_bytes,
                                 expected_sha256=expected)
    async with _db(request).unit_of_work() as session:
        beskrivelse, objekt = await documents.add_version(
            session, ctx=_ctx(request), caller=caller, dokumentbeskrivelse_id=dokumentbeskrivelse_id, blob=blob,
            declared_type=request.headers.get("content-type"), filnavn=filnavn)
        objekter = await documents.objekter_of(session, dokumentbeskrivelse_id)
        out = await _document_answer(session, caller, beskrivelse, objekter)
    response.headers["Location"] = f"/dokumentobjekter/{objekt.system_id}/fil"
    return out


@router.get("/journalposter/{journalpost_id}/dokumenter", response_model=list[DokumentbeskrivelseOut])
async def list_documents(journalpost_id: UUID, request: Request, caller: Reader) -> list[DokumentbeskrivelseOut]:
    """Every dokumentbeskrivelse with all its versions and variants, masked as the journalpost is."""
    async with _db(request).unit_of_work() as session:
        return (await _journalpost_view(session, caller, journalpost_id)).dokumentbeskrivelse


async def _document_answer(session: Any, caller: Caller, beskrivelse: Any, objekter: list[Any]) -> DokumentbeskrivelseOut:
    journalpost = await service.get_journalpost(session, beskrivelse.journalpost_id)
    saksmappe = await service.get_saksmappe(session, journalpost.saksmappe_id)
    return await visibility.dokumentbeskrivelse(session, caller, journalpost, saksmappe, beskrivelse, objekter,
                                                answer=True)


def _file_response(request: Request, objekt: Any) -> StreamingResponse:
    return StreamingResponse(
        _blobs(request).open_stream(objekt.sjekksum), media_type=objekt.format,
        headers={"Content-Length": str(objekt.filstoerrelse), "ETag": f'"{objekt.sjekksum}"',
                 "Digest": f"sha-256={objekt.sjekksum}", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "attachment"})


@router.get("/dokumentobjekter/{dokumentobjekt_id}/fil")
async def download(dokumentobjekt_id: UUID, request: Request, caller: Reader) -> StreamingResponse:
    async with _db(request).unit_of_work() as session:
        objekt = await documents.authorize_download(session, caller=caller, dokumentobjekt_id=dokumentobjekt_id)
    return _file_response(request, objekt)


# --- change log and reports ------------------------------------------------------------


@router.get("/endringslogg/{system_id}", response_model=list[EndringsloggOut])
async def endringslogg(system_id: UUID, request: Request, caller: Reader) -> list[EndringsloggOut]:
    async with _db(request).unit_of_work() as session:
        return await reports.endringslogg(session, caller=caller, system_id=system_id)


def _csv_or_json(request: Request, format_: str | None, rows: list[Any], csv_name: str) -> Any:
    wants_csv = format_ == "csv" or "text/csv" in request.headers.get("accept", "")
    if not wants_csv:
        return rows
    return Response(reports.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{csv_name}.csv"'})


@router.get("/rapporter/restanseliste", response_model=list[RestanseOut])
async def restanseliste(request: Request, caller: Reader,
                        format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    async with _db(request).unit_of_work() as session:
        rows = await reports.restanseliste(session, ctx=_ctx(request), caller=caller)
    return _csv_or_json(request, format, rows, "restanseliste")


@router.get("/rapporter/offentlig-journal", response_model=list[OffentligJournalpost])
async def offentlig_journal(request: Request, caller: Reader, fra: date, til: date,
                            format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    async with _db(request).unit_of_work() as session:
        rows = await reports.offentlig_journal(session, ctx=_ctx(request), fra=fra, til=til)
    return _csv_or_json(request, format, rows, "offentlig-journal")


@router.get("/rapporter/oppfolging", response_model=list[JournalpostOut])
async def oppfolging(request: Request, caller: Reader) -> list[JournalpostOut]:
    """Registered incoming post not yet processed (journalstatus M or S)."""
    async with _db(request).unit_of_work() as session:
        return await reports.oppfolging(session, caller=caller)


@router.get("/rapporter/kvalitet", response_model=list[reports.QualityFinding])
async def kvalitet(request: Request, caller: Reader, fra: date, til: date,
                   format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    """The weekly quality report: one line per finding (check, record ids and numbers; no titles)."""
    reports.check_range(fra, til)
    async with _db(request).unit_of_work() as session:
        rows = await reports.quality_report(session, fra=fra, til=til)
    return _csv_or_json(request, format, rows, "kvalitetsrapport")


@router.get("/rapporter/postjournal", response_model=list[JournalpostOut])
async def postjournal(request: Request, caller: Reader, fra: date, til: date,
                      format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    async with _db(request).unit_of_work() as session:
        rows = await reports.postjournal(session, caller=caller, fra=fra, til=til)
    return _csv_or_json(request, format, rows, "postjournal")
