"""Read API: where each letter of a dispatch stands. Translates only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal, require_scopes
from arkiv5_kit.db import read_connection

from ..dispatch_status import DispatchView, dispatches_of_journalpost, get_dispatch

router = APIRouter(prefix="/dispatches", tags=["dispatches"])
READ = "svarut-gateway.read"


class DispatchList(BaseModel):
    items: list[DispatchView]


async def _read(request: Request):  # type: ignore[no-untyped-def]
    # A reading connection: on SQLite it does not queue behind the worker's writes.
    async with read_connection(request.app.state.runtime.database.engine) as connection:
        async with AsyncSession(bind=connection) as session:
            yield session


@router.get("/{dispatch_id}", summary="One dispatch: per recipient its state, SvarUt id and status")
async def read_dispatch(
    dispatch_id: UUID,
    _: Annotated[Principal, Depends(require_scopes(READ))],  # first: no connection for a refused call
    session: Annotated[AsyncSession, Depends(_read)],
) -> DispatchView:
    return await get_dispatch(session, dispatch_id=dispatch_id)


@router.get("", summary="The dispatches of one journalpost, newest first")
async def list_dispatches(
    journalpost_id: Annotated[UUID, Query(description="The journalpost's systemID")],
    _: Annotated[Principal, Depends(require_scopes(READ))],
    session: Annotated[AsyncSession, Depends(_read)],
) -> DispatchList:
    return DispatchList(items=await dispatches_of_journalpost(session, journalpost_id=journalpost_id))
