"""Saksmappe in the Noark 5 interface: the template, create, read, merge-patch, its journalposts.

Creation goes through `saksmappe.create` and corrections through `corrections`, exactly as
our own API; every answer is rendered by `visibility`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.sessions import ReadSessionDep

from .. import corrections, visibility
from ..api.deps import Reader, Writer, ctx_of, db_of, saksmappe_view
from ..context import Context
from ..domain.numbering import today_in_oslo
from ..models import Saksmappe
from ..saksmappe import create as creation
from ..schemas import SaksmappeCreate
from ..store import repository
from . import counts, odata, render, row_filter
from .change import Changeable, change
from .http import Noark5Route, hal, json_object, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

# Set by the archive, never by the client (dropped from a posted template).
SERVER_SET = frozenset({"systemID", "opprettetDato", "opprettetAv", "referanseOpprettetAv", "mappeID", "saksaar",
                        "sakssekvensnummer", "saksstatus", "avsluttetDato", "erSkjermetForDeg", "part", "merknad",
                        "referanseArkivdel", "oppdatertDato", "oppdatertAv"})


def validated(model: type[Any], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]) from None


@router.get("/noark5/api/sakarkiv/ny-saksmappe/")
async def ny_saksmappe(request: Request, _caller: Writer) -> JSONResponse:
    return template(request, "sakarkiv/ny-saksmappe/")


def template(request: Request, own: str) -> JSONResponse:
    """The template: what the server would set, for the client to fill in and post back."""
    status = Saksstatus("B")
    return hal(request, {
        "saksdato": today_in_oslo().isoformat(),
        "saksstatus": {"kode": status.kode, "kodenavn": status.kodenavn},
        "_links": {"self": link(request, own), rel("sakarkiv/ny-saksmappe"): link(request, own)},
    })


async def create(request: Request, caller: Caller, **placed: Any) -> JSONResponse:
    """Create the posted case through the journal's own use case; `placed` (arkivdel, klasse) are
    given by the link it was posted to and win over the body's."""
    body = validated(SaksmappeCreate, await json_object(request, read_only=SERVER_SET))
    if placed:
        body = body.model_copy(update=placed)
    async with db_of(request).unit_of_work() as session:
        saksmappe = await creation.create_saksmappe(session, ctx=ctx_of(request), caller=caller, body=body)
        out = await visibility.saksmappe(session, caller, saksmappe, answer=True)
        tag = corrections.etag(saksmappe)
    return hal(request, render.saksmappe(request, out, saksmappe), status_code=201, etag=tag,
               location_path=render.saksmappe_path(saksmappe.system_id))


@router.post("/noark5/api/sakarkiv/ny-saksmappe/")
async def create_saksmappe(request: Request, caller: Writer) -> JSONResponse:
    return await create(request, caller)


async def saksmappe_page(request: Request, session: AsyncSession, caller: Caller, own: str, top: str | None,
                         skip: str | None, *, arkivdel_id: UUID | None = None,
                         klasse_id: UUID | None = None) -> JSONResponse:
    """Cases (of one arkivdel or klasse when given) the OData `$filter` selects, by `$orderby` and then
    newest case number first, a page at a time with `next`; a case the caller may not see at all is
    left out (as our policy refuses reading it)."""
    filter_, orderby = odata.list_options(request.query_params)
    page = odata.paging(top, skip)
    conditions = odata.parse_filter(filter_, odata.SAKSMAPPE) if filter_ else ()
    nested = row_filter.is_nested(conditions)
    wanted = repository.SaksmappeFilter(arkivdel_id=arkivdel_id, klasse_id=klasse_id,
                                        conditions=row_filter.widened(conditions) if nested else conditions,
                                        order=odata.parse_orderby(orderby, odata.SAKSMAPPE) if orderby else ())
    rows = await repository.saksmapper(session, skip=page.skip, top=page.top + 1, arkivdel_id=arkivdel_id,
                                       klasse_id=klasse_id, wanted=wanted)
    shown = rows[:page.top]
    tests = odata.title_tests(conditions)
    # The title as this caller sees it decides, as on the journalpost list.
    results = [render.saksmappe(request, out, saksmappe)
               for out, saksmappe in zip(await visibility.saksmapper(session, caller, shown), shown, strict=True)
               if out is not None and (row_filter.holds(conditions, saksmappe, out.tittel) if nested
                                       else odata.title_matches(out.tittel, tests))]
    more = len(rows) > page.top
    return hal(request, render.page(
        request, own + odata.query(filter_, page.top, page.skip, orderby), results,
        next_path=own + odata.query(filter_, page.top, page.skip + page.top, orderby) if more else None,
        total=await counts.total(page, len(shown), more=more, count=_counter(session, wanted, conditions))))


@router.get("/noark5/api/sakarkiv/saksmappe/")
async def list_saksmapper(
    request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    return await saksmappe_page(request, session, caller, "sakarkiv/saksmappe/", top, skip)


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/")
async def get_saksmappe(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                        caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    out = await saksmappe_view(session, caller, saksmappe)
    return hal(request, render.saksmappe(request, out, saksmappe), etag=corrections.etag(saksmappe))


async def _correct(session: AsyncSession, ctx: Context, caller: Caller, saksmappe_id: UUID,
                   patch: corrections.SaksmappePatch, tag: str) -> Saksmappe:
    return await corrections.correct_saksmappe(session, ctx=ctx, caller=caller, saksmappe_id=saksmappe_id,
                                               patch=patch, if_match=tag)


async def _render(session: AsyncSession, request: Request, caller: Caller, saksmappe: Saksmappe,
                  answer: bool) -> dict[str, Any]:
    if answer:
        return render.saksmappe(request, await visibility.saksmappe(session, caller, saksmappe, answer=True), saksmappe)
    return render.saksmappe(request, await saksmappe_view(session, caller, saksmappe), saksmappe)


CHANGEABLE = Changeable(
    patch_model=corrections.SaksmappePatch, immutable=corrections.IMMUTABLE_SAKSMAPPE, server_set=SERVER_SET,
    stale="The case changed since it was read; read it again.", load=repository.get_saksmappe,
    correct=_correct, render=_render)


@router.patch("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/")
async def patch_saksmappe(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    """Merge-patch of the correctable fields, with the ETag as read in If-Match (or ETag); 409 if stale."""
    return await change(request, caller, saksmappe_id, CHANGEABLE, whole=False)


@router.put("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/")
async def put_saksmappe(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    """The whole object as read, with correctable fields changed; If-Match (or ETag) as for PATCH."""
    return await change(request, caller, saksmappe_id, CHANGEABLE, whole=True)


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/journalpost/")
async def case_journalposter(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                             caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    rows = await repository.journalposter_in_case(session, saksmappe_id)
    results = await visibility.journalposter(session, caller, [(j, saksmappe) for j in rows])
    own = render.saksmappe_path(saksmappe_id) + "journalpost/"
    return hal(request, render.page(request, own, [render.journalpost(request, r, saksmappe) for r in results]))


def _counter(session: AsyncSession, wanted: repository.SaksmappeFilter,
             conditions: tuple[odata.Node, ...]) -> Callable[[int], Awaitable[int]] | None:
    """The list's count query; none where a title function decides rows one by one (`counts.total`)."""
    if odata.title_tests(conditions) or row_filter.is_nested(conditions):
        return None
    return lambda at_most: repository.count(session, wanted, at_most=at_most)
