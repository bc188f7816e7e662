"""Skjerming and sekundærklassifikasjon in the Noark 5 interface: read resources of a record.

A skjerming is held on the saksmappe or journalpost it screens (at most one, as the standard
allows), so the record's `…/skjerming/` is that skjerming, with the record's ETag; a record
without one has no link and its address is a 404. It is shown as our own API shows it,
to whoever may read the record (the code, hjemmel and screened fields are what the public
journal shows too). PUT (the skjerming as read, with changes) and PATCH (a merge-patch of
it) go through the record's correction (`corrections`, the same rules, policy, If-Match and
change log as a PATCH of the record's `skjerming`), and answer the changed skjerming.

A client case's sekundærklassifikasjon is the client's fødselsnummer: the saksmappe's
`…/sekundaerklassifikasjon/` lists it (one, or none for other cases) as `visibility`
renders it, so a caller not cleared for the case sees ***** exactly as in our own API. The
journal has no use case that changes it: read-only here.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.sessions import ReadSessionDep

from .. import corrections, visibility
from ..api.deps import Reader, Writer, ctx_of, db_of, saksmappe_view
from ..errors import NotFound
from ..store import repository
from . import journalposter, render, saksmapper
from .change import Changeable
from .http import MERGE_PATCH, Noark5Route, hal, if_match, json_object, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

SKJERMING = "arkivstruktur/skjerming"
SEKUNDAER = "sakarkiv/sekundaerklassifikasjon"
NO_SKJERMING = "The record has no skjerming."


def _skjerming(request: Request, record_path: str, record_rel: str, skjerming: dict[str, Any]) -> dict[str, Any]:
    own = record_path + "skjerming/"
    return {**skjerming, "_links": {
        "self": link(request, own), rel(SKJERMING): link(request, own),
        rel(record_rel): link(request, record_path),
    }}


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/skjerming/")
async def saksmappe_skjerming(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                              caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    out = await visibility.saksmappe(session, caller, saksmappe)
    if out.skjerming is None:
        raise NotFound(NO_SKJERMING)
    body = out.skjerming.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hal(request, _skjerming(request, render.saksmappe_path(saksmappe_id), "sakarkiv/saksmappe", body),
               etag=corrections.etag(saksmappe))


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/skjerming/")
async def journalpost_skjerming(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                                caller: Reader) -> JSONResponse:
    journalpost = await repository.get_journalpost(session, journalpost_id)
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    out = await visibility.journalpost(session, caller, journalpost, saksmappe)
    if out.skjerming is None:
        raise NotFound(NO_SKJERMING)
    body = out.skjerming.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hal(request, _skjerming(request, render.journalpost_path(journalpost_id), "sakarkiv/journalpost", body),
               etag=corrections.etag(journalpost))


def _merged(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge-patch (RFC 7396) of the skjerming's flat fields: null removes a field."""
    merged = {name: value for name, value in current.items() if name != "_links"}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


async def _change(request: Request, caller: Caller, record_id: UUID, kind: Changeable[Any, Any], record_path: str,
                  record_rel: str, *, whole: bool) -> JSONResponse:
    """PUT (`whole`) or PATCH of the record's skjerming, as a correction of the record's `skjerming`."""
    tag = if_match(request)
    if tag is None:
        raise corrections.PreconditionRequired("A change needs the If-Match (or ETag) header with the ETag as read.")
    body = await json_object(request, read_only=frozenset())
    async with db_of(request).unit_of_work() as session:
        record = await kind.load(session, record_id)
        current = (await kind.render(session, request, caller, record, False)).get("skjerming")
        if current is None:
            raise NotFound(NO_SKJERMING)
        new = body if whole else _merged(current, body)
        patch = corrections.parse_patch(json.dumps({"skjerming": new}).encode(), MERGE_PATCH, kind.patch_model,
                                        kind.immutable)
        record = await kind.correct(session, ctx_of(request), caller, record_id, patch, tag)
        changed = (await kind.render(session, request, caller, record, True)).get("skjerming") or {}
        new_tag = corrections.etag(record)
    return hal(request, _skjerming(request, record_path, record_rel, changed), etag=new_tag)


@router.put("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/skjerming/")
async def put_saksmappe_skjerming(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    return await _change(request, caller, saksmappe_id, saksmapper.CHANGEABLE, render.saksmappe_path(saksmappe_id),
                         "sakarkiv/saksmappe", whole=True)


@router.patch("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/skjerming/")
async def patch_saksmappe_skjerming(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    return await _change(request, caller, saksmappe_id, saksmapper.CHANGEABLE, render.saksmappe_path(saksmappe_id),
                         "sakarkiv/saksmappe", whole=False)


@router.put("/noark5/api/sakarkiv/journalpost/{journalpost_id}/skjerming/")
async def put_journalpost_skjerming(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    return await _change(request, caller, journalpost_id, journalposter.CHANGEABLE,
                         render.journalpost_path(journalpost_id), "sakarkiv/journalpost", whole=True)


@router.patch("/noark5/api/sakarkiv/journalpost/{journalpost_id}/skjerming/")
async def patch_journalpost_skjerming(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    return await _change(request, caller, journalpost_id, journalposter.CHANGEABLE,
                         render.journalpost_path(journalpost_id), "sakarkiv/journalpost", whole=False)


def _sekundaer(request: Request, saksmappe_id: UUID, klasse_id: str) -> dict[str, Any]:
    own = f"{SEKUNDAER}/{saksmappe_id}/"
    return {"klasseID": klasse_id, "tittel": "Fødselsnummer", "_links": {
        "self": link(request, own), rel(SEKUNDAER): link(request, own),
        rel("sakarkiv/saksmappe"): link(request, render.saksmappe_path(saksmappe_id)),
    }}


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/sekundaerklassifikasjon/")
async def saksmappe_sekundaer(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                              caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    out = await saksmappe_view(session, caller, saksmappe)
    shown = [] if out.sekundaerklassifikasjon is None else [_sekundaer(request, saksmappe_id,
                                                                        out.sekundaerklassifikasjon)]
    return hal(request, render.page(request, render.saksmappe_path(saksmappe_id) + "sekundaerklassifikasjon/", shown))


@router.get("/noark5/api/sakarkiv/sekundaerklassifikasjon/{saksmappe_id}/")
async def get_sekundaer(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                        caller: Reader) -> JSONResponse:
    """A case has at most one (its client's fødselsnummer), so the case's systemID names it."""
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    out = await saksmappe_view(session, caller, saksmappe)
    if out.sekundaerklassifikasjon is None:
        raise NotFound("The case has no sekundærklassifikasjon.")
    return hal(request, _sekundaer(request, saksmappe_id, out.sekundaerklassifikasjon),
               etag=corrections.etag(saksmappe))
