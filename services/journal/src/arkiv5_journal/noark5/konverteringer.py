"""`konvertering` in the Noark 5 interface: the log of how an archival variant was made.

The standard keeps a konvertering (M615–M715) on the dokumentobjekt a conversion produced.
Ours are made by the conversion service alone, which attaches the archival (A) variant with
`konvertert_fra_id` naming its production (P) source, so each archival dokumentobjekt has
exactly one konvertering and the others none. They are derived from those two rows, never
stored twice, and read-only here: the standard says they are "registreres automatisk ved
konvertering", and a client cannot convert through this interface (`ny-konvertering` is not
advertised; a POST answers 405 like every method a route does not offer).

A konvertering's systemID is a UUID derived from its dokumentobjekt's (uuid5), so it is stable
across reads and exports without a table of its own.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.clock import as_utc
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Reader, journalpost_view
from ..dokument import documents
from ..errors import NotFound
from ..models import Dokumentobjekt
from . import render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

# The namespace of konvertering systemIDs (uuid5 of the archival dokumentobjekt's systemID).
_NAMESPACE = UUID("5f0b8f43-6a8e-4f5e-9c55-2b1c1f0e7a51")


def konvertering_id(archival_id: UUID) -> UUID:
    return uuid5(_NAMESPACE, str(archival_id))


def _path(objekt_id: UUID, konvertering: UUID | None = None) -> str:
    own = render.dokumentobjekt_path(objekt_id) + "konvertering/"
    return own if konvertering is None else f"{own}{konvertering}/"


async def _visible_objekt(session: Any, caller: Any, dokumentobjekt_id: UUID) -> Dokumentobjekt:
    """The dokumentobjekt row, once the caller may see it through its journalpost (as on the read)."""
    objekt, beskrivelse, journalpost, _case = await documents.dokumentobjekt_with_record(session, dokumentobjekt_id)
    view = await journalpost_view(session, caller, journalpost.system_id)
    visible = {o.system_id for b in view.dokumentbeskrivelse if b.system_id == beskrivelse.system_id
               for o in b.dokumentobjekt}
    if dokumentobjekt_id not in visible:
        raise NotFound("No dokumentobjekt has this systemID.")
    return objekt


async def _konverteringer(request: Request, session: Any, objekt: Dokumentobjekt) -> list[dict[str, Any]]:
    if objekt.konvertert_fra_id is None:
        return []
    source = await session.get(Dokumentobjekt, objekt.konvertert_fra_id)
    if source is None:  # the source is never deleted while its variant exists; a race reads as no log
        return []
    system_id = konvertering_id(objekt.system_id)
    own = _path(objekt.system_id, system_id)
    body: dict[str, Any] = {
        "systemID": str(system_id),
        "konvertertDato": as_utc(objekt.opprettet_dato).isoformat().replace("+00:00", "Z"),
        "konvertertAv": objekt.opprettet_av,
        "konvertertFraFormat": source.format,
        "konvertertTilFormat": objekt.format,
    }
    if objekt.format_detaljer:
        body["konverteringskommentar"] = f"PRONOM {objekt.format_detaljer}"
    body["_links"] = {
        "self": link(request, own),
        rel("arkivstruktur/konvertering"): link(request, own),
        rel("arkivstruktur/dokumentobjekt"): link(request, render.dokumentobjekt_path(objekt.system_id)),
    }
    return [body]


@router.get("/noark5/api/arkivstruktur/dokumentobjekt/{dokumentobjekt_id}/konvertering/")
async def list_konverteringer(dokumentobjekt_id: UUID, request: Request, session: ReadSessionDep,
                              caller: Reader) -> JSONResponse:
    objekt = await _visible_objekt(session, caller, dokumentobjekt_id)
    results = await _konverteringer(request, session, objekt)
    return hal(request, render.page(request, _path(dokumentobjekt_id), results))


@router.get("/noark5/api/arkivstruktur/dokumentobjekt/{dokumentobjekt_id}/konvertering/{konvertering}/")
async def get_konvertering(dokumentobjekt_id: UUID, konvertering: UUID, request: Request,
                           session: ReadSessionDep, caller: Reader) -> JSONResponse:
    objekt = await _visible_objekt(session, caller, dokumentobjekt_id)
    for body in await _konverteringer(request, session, objekt):
        if body["systemID"] == str(konvertering):
            return hal(request, body)
    raise NotFound("No konvertering has this systemID.")
