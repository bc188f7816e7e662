"""Arkivstruktur: klasser of the classification system."""

from __future__ import annotations

from fastapi import APIRouter, Request

from arkiv5_kit.sessions import ReadSessionDep, SessionDep

from ...arkivstruktur import structure
from ...schemas import (
    KlasseIn,
    KlasseOut,
)
from ..deps import Admin, Reader, ctx_of

router = APIRouter(tags=["journal"])


@router.post("/klasser", status_code=201, response_model=KlasseOut)
async def create_klasse(body: KlasseIn, request: Request, session: SessionDep, caller: Admin) -> KlasseOut:
    klasse = await structure.create_klasse(session, ctx=ctx_of(request), caller=caller, body=body)
    return KlasseOut(system_id=klasse.system_id, klasse_id=klasse.klasse_id, tittel=klasse.tittel)


@router.get("/klasser", response_model=list[KlasseOut])
async def list_klasser(session: ReadSessionDep, caller: Reader) -> list[KlasseOut]:
    return [KlasseOut(system_id=k.system_id, klasse_id=k.klasse_id, tittel=k.tittel)
            for k in await structure.list_klasser(session)]


