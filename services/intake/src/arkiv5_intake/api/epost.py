"""The e-mail queue the archive service works through. Translates only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from arkiv5_contracts import scopes
from arkiv5_kit.auth import Principal, require_scopes

from .. import store
from ..errors import MailNotFound
from ..mail import queue

router = APIRouter(prefix="/epost", tags=["epost"])
WORK = scopes.INTAKE_EPOST
Worker = Annotated[Principal, Depends(require_scopes(WORK))]


class Registrer(BaseModel):
    saksmappe: UUID = Field(description="systemID of the saksmappe the mail is registered in")
    tittel: str | None = Field(default=None, min_length=1, max_length=2000, description="Default: the subject")


class Avvis(BaseModel):
    grunn: str = Field(min_length=1, max_length=500)


class Videresend(BaseModel):
    til: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


@router.get("", summary="The queue: mails with their senders, recipients, subject and attachments")
async def list_mail(request: Request, _: Worker, state: Annotated[str | None, Query()] = "NEW",
                    limit: Annotated[int, Query(ge=1, le=500)] = 100,
                    offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    async with request.app.state.runtime.database.unit_of_work() as session:
        rows = await store.list_mail(session, state=state or None, limit=limit, offset=offset)
        return {"items": [queue.summary(row) for row in rows]}


@router.get("/{mail_id}", summary="One mail of the queue")
async def get_mail(mail_id: UUID, request: Request, _: Worker) -> dict[str, Any]:
    async with request.app.state.runtime.database.unit_of_work() as session:
        row = await store.get_mail(session, mail_id)
        if row is None:
            raise MailNotFound("No mail in the queue has this id.")
        return queue.summary(row)


@router.post("/{mail_id}/registrer", summary="Register as an incoming journalpost (the mail as hoveddokument)")
async def register(mail_id: UUID, body: Registrer, request: Request, principal: Worker) -> dict[str, Any]:
    row = await queue.register(request.app.state.runtime.database, request.app.state.journal, mail_id=mail_id,
                               saksmappe_id=body.saksmappe, tittel=body.tittel, handled_by=principal.subject,
                               today=date.today())
    return queue.summary(row)


@router.post("/{mail_id}/avvis", summary="Reject: not archived; moved to the rejected folder")
async def reject(mail_id: UUID, body: Avvis, request: Request, principal: Worker) -> dict[str, Any]:
    row = await queue.reject(request.app.state.runtime.database, mail_id=mail_id, reason=body.grunn,
                             handled_by=principal.subject)
    return queue.summary(row)


@router.post("/{mail_id}/videresend", summary="Forward: recorded, and moved to the forwarded folder")
async def forward(mail_id: UUID, body: Videresend, request: Request, principal: Worker) -> dict[str, Any]:
    row = await queue.forward(request.app.state.runtime.database, mail_id=mail_id, to=body.til,
                              handled_by=principal.subject)
    return queue.summary(row)
