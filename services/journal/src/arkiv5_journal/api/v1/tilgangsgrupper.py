"""Ad hoc access groups on a saksmappe or a journalpost, created by its case handler."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import Field

from ... import tilgangsgrupper
from ...schemas import ApiModel
from ..deps import Writer, ctx_of, db_of

router = APIRouter(tags=["tilgangsgrupper"])


class TilgangsgruppeIn(ApiModel):
    medlemmer: list[UUID] = Field(default_factory=list, max_length=1000, description="Person ids of the members")
    gyldig_fra: date | None = Field(default=None, description="First day; default today")
    gyldig_til: date | None = Field(default=None, description="Last day; default open-ended")


class TilgangsgruppeBestilt(ApiModel):
    tilgangsgruppe: UUID = Field(description="The group's id in the access service (GET /access/groups)")
    saksmappe: UUID | None
    journalpost: UUID | None
    medlemmer: list[UUID]
    gyldig_fra: date
    gyldig_til: date | None
    status: str = Field(default="bestilt", description="Access creates the group from the journal's event")


def _out(requested: tilgangsgrupper.Requested) -> TilgangsgruppeBestilt:
    return TilgangsgruppeBestilt(
        tilgangsgruppe=requested.group_id, saksmappe=requested.saksmappe_id, journalpost=requested.journalpost_id,
        medlemmer=requested.member_person_ids, gyldig_fra=requested.valid_from, gyldig_til=requested.valid_to)


_SUMMARY = ("Create an ad hoc access group on {what} (its case handler; the policy's create-ad-hoc-group). "
            "202: the access service creates the group from the journal's event")


@router.post("/saksmapper/{saksmappe_id}/tilgangsgrupper", status_code=202, response_model=TilgangsgruppeBestilt,
             summary=_SUMMARY.format(what="a saksmappe the caller is saksansvarlig for"))
async def saksmappe_tilgangsgruppe(
    saksmappe_id: UUID, body: TilgangsgruppeIn, request: Request, caller: Writer
) -> TilgangsgruppeBestilt:
    async with db_of(request).unit_of_work() as session:
        requested = await tilgangsgrupper.request_group(
            session, ctx=ctx_of(request), caller=caller, saksmappe_id=saksmappe_id, member_person_ids=body.medlemmer,
            valid_from=body.gyldig_fra, valid_to=body.gyldig_til)
    return _out(requested)


@router.post("/journalposter/{journalpost_id}/tilgangsgrupper", status_code=202, response_model=TilgangsgruppeBestilt,
             summary=_SUMMARY.format(what="a journalpost the caller is saksbehandler for"))
async def journalpost_tilgangsgruppe(
    journalpost_id: UUID, body: TilgangsgruppeIn, request: Request, caller: Writer
) -> TilgangsgruppeBestilt:
    async with db_of(request).unit_of_work() as session:
        requested = await tilgangsgrupper.request_group(
            session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
            member_person_ids=body.medlemmer, valid_from=body.gyldig_fra, valid_to=body.gyldig_til)
    return _out(requested)
