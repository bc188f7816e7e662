"""Our answers as Noark 5 HAL objects: the visibility module's output plus `_links` keyed by rel URIs.

The fields come from `visibility` unchanged (already masked for the caller); this module
adds only the links and leaves out what the standard serves as its own resource (the
journalpost's documents are `dokumentbeskrivelse` resources).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from ..models import Saksmappe
from ..schemas import DokumentbeskrivelseOut, DokumentobjektOut, JournalpostOut, SaksmappeOut
from .http import link, rel
from .odata import Paging, query

LIST_QUERY = "{?$filter,$orderby,$top,$skip}"
SEARCH_QUERY = "{?$filter,$orderby,$top,$skip,$search}"
PAGE_QUERY = "{?$top,$skip}"


def _fields(model: Any, *leave_out: str) -> dict[str, Any]:
    body: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    for name in leave_out:
        body.pop(name, None)
    return body


def saksmappe_path(system_id: UUID) -> str:
    return f"sakarkiv/saksmappe/{system_id}/"


def journalpost_path(system_id: UUID) -> str:
    return f"sakarkiv/journalpost/{system_id}/"


def dokumentbeskrivelse_path(system_id: UUID) -> str:
    return f"arkivstruktur/dokumentbeskrivelse/{system_id}/"


def dokumentobjekt_path(system_id: UUID) -> str:
    return f"arkivstruktur/dokumentobjekt/{system_id}/"


def _change_log(request: Request, own: str, out: SaksmappeOut | JournalpostOut) -> dict[str, Any]:
    """The record's endringslogg link, for a caller from whom nothing of it is masked (the log
    shows every value as it was; noark5/endringslogg.py refuses the others)."""
    if out.er_skjermet_for_deg:
        return {}
    return {rel("loggingogsporing/endringslogg"): link(request, own + "endringslogg/" + PAGE_QUERY, templated=True)}


def _remarks(request: Request, own: str) -> dict[str, Any]:
    """The record's merknader and where to add one (noark5/merknader.py)."""
    return {rel("arkivstruktur/merknad"): link(request, own + "merknad/" + PAGE_QUERY, templated=True),
            rel("arkivstruktur/ny-merknad"): link(request, own + "ny-merknad/")}


def _screening(request: Request, own: str, out: SaksmappeOut | JournalpostOut) -> dict[str, Any]:
    """The record's skjerming and a case's sekundærklassifikasjon, when it has them (noark5/skjerming.py)."""
    links = {rel("arkivstruktur/skjerming"): link(request, own + "skjerming/")} if out.skjerming else {}
    if isinstance(out, SaksmappeOut) and out.sekundaerklassifikasjon is not None:
        links[rel("sakarkiv/sekundaerklassifikasjon")] = link(request, own + "sekundaerklassifikasjon/")
    return links


def _structure(request: Request, case: Saksmappe) -> dict[str, Any]:
    """Up the archive structure: the case's arkivdel, and its klasse when it is classified."""
    links = {rel("arkivstruktur/arkivdel"): link(request, f"arkivstruktur/arkivdel/{case.arkivdel_id}/")}
    if case.klasse_id is not None:
        links[rel("arkivstruktur/klasse")] = link(request, f"arkivstruktur/klasse/{case.klasse_id}/")
    return links


def saksmappe(request: Request, out: SaksmappeOut, case: Saksmappe) -> dict[str, Any]:
    own = saksmappe_path(out.system_id)
    return {**_fields(out), "_links": {
        "self": link(request, own),
        rel("sakarkiv/saksmappe"): link(request, own),
        rel("sakarkiv/journalpost"): link(request, own + "journalpost/"),
        # The standard's generic name for a mappe's registreringer: the same list.
        rel("arkivstruktur/registrering"): link(request, own + "journalpost/"),
        rel("sakarkiv/ny-journalpost"): link(request, own + "ny-journalpost/"),
        rel("arkivstruktur/part"): link(request, own + "part/"),
        # Every part here is a person: the same list, under the rel the reference implementation links.
        rel("arkivstruktur/partperson"): link(request, own + "part/"),
        **_screening(request, own, out),
        **_structure(request, case),
        **_change_log(request, own, out),
        **_remarks(request, own),
    }}


def journalpost(request: Request, out: JournalpostOut, case: Saksmappe) -> dict[str, Any]:
    own = journalpost_path(out.system_id)
    return {**_fields(out, "dokumentbeskrivelse"), "_links": {
        "self": link(request, own),
        rel("sakarkiv/journalpost"): link(request, own),
        rel("arkivstruktur/mappe"): link(request, saksmappe_path(out.saksmappe)),
        rel("sakarkiv/saksmappe"): link(request, saksmappe_path(out.saksmappe)),
        **_structure(request, case),
        rel("arkivstruktur/dokumentbeskrivelse"): link(request, own + "dokumentbeskrivelse/"),
        rel("arkivstruktur/korrespondansepart"): link(request, own + "korrespondansepart/"),
        # Upload: the body is the file; it becomes a dokumentbeskrivelse with its dokumentobjekt.
        rel("arkivstruktur/fil"): link(request, own + "fil/"),
        **_screening(request, own, out),
        **_change_log(request, own, out),
        **_remarks(request, own),
        # Sign-offs (noark5/avskrivninger.py); the use case refuses those of other types than I and N.
        rel("sakarkiv/avskrivning"): link(request, own + "avskrivning/" + PAGE_QUERY, templated=True),
        rel("sakarkiv/ny-avskrivning"): link(request, own + "ny-avskrivning/"),
    }}


def dokumentbeskrivelse(request: Request, out: DokumentbeskrivelseOut, journalpost_id: UUID) -> dict[str, Any]:
    own = dokumentbeskrivelse_path(out.system_id)
    return {**_fields(out, "dokumentobjekt"), "_links": {
        "self": link(request, own),
        rel("arkivstruktur/dokumentbeskrivelse"): link(request, own),
        rel("arkivstruktur/dokumentobjekt"): link(request, own + "dokumentobjekt/"),
        rel("arkivstruktur/registrering"): link(request, journalpost_path(journalpost_id)),
        # Upload: the body is the file; it becomes the document's next version.
        rel("arkivstruktur/fil"): link(request, own + "fil/"),
    }}


def dokumentobjekt(request: Request, out: DokumentobjektOut, dokumentbeskrivelse_id: UUID) -> dict[str, Any]:
    own = dokumentobjekt_path(out.system_id)
    return {**_fields(out), "_links": {
        "self": link(request, own),
        rel("arkivstruktur/dokumentobjekt"): link(request, own),
        rel("arkivstruktur/dokumentbeskrivelse"): link(request, dokumentbeskrivelse_path(dokumentbeskrivelse_id)),
        # Download: the bytes with their own media type.
        rel("arkivstruktur/fil"): link(request, own + "referanseFil/"),
        # How an archival variant was made (empty for the others); noark5/konverteringer.py.
        rel("arkivstruktur/konvertering"): link(request, own + "konvertering/"),
    }}


def page(request: Request, self_path: str, results: list[dict[str, Any]],
         next_path: str | None = None, *, total: int | None = None) -> dict[str, Any]:
    """A list's page; `count` is `total`, the whole list's size, where the list knows it."""
    links: dict[str, Any] = {"self": link(request, self_path)}
    if next_path is not None:
        links["next"] = link(request, next_path)
    return {"count": len(results) if total is None else total, "results": results, "_links": links}


def paged(request: Request, own: str, paging: Paging, results: list[dict[str, Any]], *,
          more: bool) -> dict[str, Any]:
    """A page of a `$top`/`$skip` list, with `next` when `more` rows follow."""
    return page(request, own + query(None, paging.top, paging.skip), results,
                next_path=own + query(None, paging.top, paging.skip + paging.top) if more else None)
