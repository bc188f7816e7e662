"""Loggingogsporing: a saksmappe's or journalpost's endringslogg as Noark 5 resources.

A read view of the journal's own change log (`store/changelog.py`: every field from the
first version on, who changed it, when, from what to what), through the same use case and
policy as our own `/rapporter/endringslogg/{systemID}`: the log shows values as they were,
screened or not, so only a caller cleared to see the record in full may read it (403
otherwise), and the record's link to it is shown only to a caller for whom nothing of the
record is masked. Entries are recorded by the journal alone: read-only here.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Reader
from ..errors import NotFound
from ..rapporter import reports
from ..schemas import EndringsloggOut
from ..store import repository
from . import odata, render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

REL = "loggingogsporing/endringslogg"
ENTRIES = "loggingogsporing/endringslogg/"


def _entry(request: Request, out: EndringsloggOut) -> dict[str, Any]:
    own = f"{ENTRIES}{out.system_id}/"
    body: dict[str, Any] = {
        "systemID": str(out.system_id), "referanseArkivenhet": str(out.referanse_arkivenhet),
        "referanseMetadata": out.referanse_metadata, "endretDato": out.endret_dato.isoformat(),
        "endretAv": out.endret_av,
    }
    try:
        body["referanseEndretAv"] = str(UUID(out.endret_av))  # a person (a system client's name is no id)
    except ValueError:
        pass
    if out.tidligere_verdi is not None:
        body["tidligereVerdi"] = out.tidligere_verdi
    if out.ny_verdi is not None:
        body["nyVerdi"] = out.ny_verdi
    body["_links"] = {"self": link(request, own), rel(REL): link(request, own)}
    return body


async def _log(request: Request, session: ReadSessionDep, caller: Caller, record_id: UUID, own: str,
               top: str | None, skip: str | None) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    entries = await reports.endringslogg(session, caller=caller, system_id=record_id)
    window = entries[page.skip:page.skip + page.top]
    return hal(request, render.paged(request, own, page, [_entry(request, e) for e in window],
                                     more=len(entries) > page.skip + page.top))


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/endringslogg/")
async def saksmappe_log(
    saksmappe_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    await repository.get_saksmappe(session, saksmappe_id)
    own = render.saksmappe_path(saksmappe_id) + "endringslogg/"
    return await _log(request, session, caller, saksmappe_id, own, top, skip)


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/endringslogg/")
async def journalpost_log(
    journalpost_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    await repository.get_journalpost(session, journalpost_id)
    own = render.journalpost_path(journalpost_id) + "endringslogg/"
    return await _log(request, session, caller, journalpost_id, own, top, skip)


@router.get("/noark5/api/loggingogsporing/endringslogg/{entry_id}/")
async def get_entry(entry_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    """One entry, read through its record's log (so under the same policy)."""
    owner = await repository.endringslogg_owner(session, entry_id)
    entries = await reports.endringslogg(session, caller=caller, system_id=owner)
    entry = next((e for e in entries if e.system_id == entry_id), None)
    if entry is None:
        raise NotFound("No endringslogg entry of a saksmappe or journalpost has this systemID.")
    return hal(request, _entry(request, entry))
