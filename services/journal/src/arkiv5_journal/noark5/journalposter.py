"""Journalpost in the Noark 5 interface: the template, registration, read, merge-patch and the OData list.

Registration is the journal's one way in (`journalpost.register` with the same command our
own API builds); corrections go through `corrections`; every answer renders in `visibility`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Journalposttype
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.sessions import ReadSessionDep

from .. import corrections, visibility
from ..api.deps import Reader, Writer, ctx_of, db_of
from ..api.translate import registration_command
from ..context import Context
from ..domain.numbering import today_in_oslo
from ..errors import UnsupportedQuery
from ..journalpost.register import register
from ..models import Journalpost
from ..schemas import JournalpostCreate
from ..store import repository
from . import counts, odata, render, row_filter, search
from .change import Changeable, change
from .http import Noark5Route, hal, json_object, link, rel
from .saksmapper import validated

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

SERVER_SET = frozenset({"systemID", "opprettetDato", "opprettetAv", "referanseOpprettetAv", "saksmappe", "mappeID",
                        "journalaar", "journalsekvensnummer", "journalpostnummer", "journaldato", "erSkjermetForDeg",
                        "erEtterregistrert", "harForsendelsesfeil", "avskrivning", "merknad", "dokumentbeskrivelse",
                        "oppdatertDato", "oppdatertAv", "referanseArkivdel"})
# Query options of a list; anything else starting with "$" is refused by name.
LIST_OPTIONS = {"$filter", "$orderby", "$top", "$skip", "$search"}


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/ny-journalpost/")
async def ny_journalpost(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                         caller: Writer) -> JSONResponse:
    await repository.get_saksmappe(session, saksmappe_id)  # 404 for an unknown case
    kind = Journalposttype("I")
    own = render.saksmappe_path(saksmappe_id) + "ny-journalpost/"
    return hal(request, {
        "journalposttype": {"kode": kind.kode, "kodenavn": kind.kodenavn},
        "mottattDato": today_in_oslo().isoformat(),
        "_links": {"self": link(request, own), rel("sakarkiv/ny-journalpost"): link(request, own)},
    })


@router.post("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/ny-journalpost/")
async def create_journalpost(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    body: JournalpostCreate = validated(JournalpostCreate, await json_object(request, read_only=SERVER_SET))
    command = registration_command(saksmappe_id, body, [])
    async with db_of(request).unit_of_work() as session:
        registered = await register(session, ctx_of(request), caller, command)
        full = await visibility.may_see_registration(session, caller, registered.journalpost, registered.saksmappe)
    # After the commit: on PostgreSQL the journal number is given inside it.
    out = visibility.registered_journalpost(registered.journalpost, registered.saksmappe, full=full,
                                            parts=registered.korrespondanseparter, documents=registered.dokumenter)
    return hal(request, render.journalpost(request, out, registered.saksmappe), status_code=201,
               etag=corrections.etag(registered.journalpost),
               location_path=render.journalpost_path(registered.journalpost.system_id))


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/")
async def get_journalpost(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                          caller: Reader) -> JSONResponse:
    journalpost = await repository.get_journalpost(session, journalpost_id)
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    out = await visibility.journalpost(session, caller, journalpost, saksmappe)
    return hal(request, render.journalpost(request, out, saksmappe), etag=corrections.etag(journalpost))


async def _correct(session: AsyncSession, ctx: Context, caller: Caller, journalpost_id: UUID,
                   patch: corrections.JournalpostPatch, tag: str) -> Journalpost:
    return await corrections.correct_journalpost(session, ctx=ctx, caller=caller, journalpost_id=journalpost_id,
                                                 patch=patch, if_match=tag)


async def _render(session: AsyncSession, request: Request, caller: Caller, journalpost: Journalpost,
                  answer: bool) -> dict[str, Any]:
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    return render.journalpost(request, await visibility.journalpost(session, caller, journalpost, saksmappe,
                                                                    answer=answer), saksmappe)


CHANGEABLE = Changeable(
    patch_model=corrections.JournalpostPatch, immutable=corrections.IMMUTABLE_JOURNALPOST, server_set=SERVER_SET,
    stale="The journalpost changed since it was read; read it again.", load=repository.get_journalpost,
    correct=_correct, render=_render)


@router.patch("/noark5/api/sakarkiv/journalpost/{journalpost_id}/")
async def patch_journalpost(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    """Merge-patch of the correctable fields, with the ETag as read in If-Match (or ETag); 409 if stale."""
    return await change(request, caller, journalpost_id, CHANGEABLE, whole=False)


@router.put("/noark5/api/sakarkiv/journalpost/{journalpost_id}/")
async def put_journalpost(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    """The whole object as read, with correctable fields changed; If-Match (or ETag) as for PATCH."""
    return await change(request, caller, journalpost_id, CHANGEABLE, whole=True)


@router.get("/noark5/api/sakarkiv/journalpost/")
async def list_journalposter(
    request: Request, session: ReadSessionDep, caller: Reader,
    filter_: Annotated[str | None, Query(alias="$filter", max_length=2000)] = None,
    orderby: Annotated[str | None, Query(alias="$orderby", max_length=200)] = None,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
    search_text: Annotated[str | None, Query(alias="$search", max_length=500)] = None,
) -> JSONResponse:
    """The journalposts the filter selects, newest journal number first, a page at a time with `next`;
    with `$search`, the journal's full-text search (`noark5/search.py`)."""
    unknown = sorted(name for name in request.query_params if name not in LIST_OPTIONS)
    if unknown:
        raise UnsupportedQuery(f"Query option {unknown[0]} is not supported here; supported: "
                               f"{', '.join(sorted(LIST_OPTIONS))}.")
    page = odata.paging(top, skip)
    if search_text is not None:
        return await search.page(request, session, caller, search_text, filter_, orderby, page)
    conditions = odata.parse_filter(filter_) if filter_ else ()
    nested = row_filter.is_nested(conditions)
    wanted = repository.JournalpostFilter(conditions=row_filter.widened(conditions) if nested else conditions,
                                          order=odata.parse_orderby(orderby) if orderby else ())
    rows = await repository.journalposter(session, wanted, skip=page.skip, top=page.top + 1)
    more = len(rows) > page.top
    shown = rows[:page.top]
    results = list(zip(await visibility.journalposter(session, caller, shown, detail=False),
                       (saksmappe for _, saksmappe in shown), strict=True))
    if nested:
        results = [(r, s) for (r, s), (journalpost, _) in zip(results, shown, strict=True)
                   if row_filter.holds(conditions, journalpost, r.tittel)]
    elif tests := odata.title_tests(conditions):
        # The title as this caller sees it decides: a word masked for the caller is never found.
        # A page may then hold fewer than $top; `next` still continues where this page ended.
        results = [(r, s) for r, s in results if odata.title_matches(r.tittel, tests)]
    own = "sakarkiv/journalpost/"
    return hal(request, render.page(
        request, own + odata.query(filter_, page.top, page.skip, orderby),
        [render.journalpost(request, r, s) for r, s in results],
        next_path=own + odata.query(filter_, page.top, page.skip + page.top, orderby) if more else None,
        total=await counts.total(page, len(shown), more=more, count=_counter(session, wanted, conditions))))


def _counter(session: AsyncSession, wanted: repository.JournalpostFilter,
             conditions: tuple[odata.Node, ...]) -> Callable[[int], Awaitable[int]] | None:
    """The list's count query; none where a title function decides rows one by one (`counts.total`)."""
    if odata.title_tests(conditions) or row_filter.is_nested(conditions):
        return None
    return lambda at_most: repository.count(session, wanted, at_most=at_most)
