"""Sending: ekspedere (once per recipient, Idempotency-Key), each recipient's letters, and correcting a recipient."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.limits import Instant
from arkiv5_kit.sessions import ReadSessionDep, SessionDep, read_session

from ... import corrections, idempotency, visibility
from ...domain.numbering import today_in_oslo
from ...ekspedering import mottaker, send
from ...models import ForsendelseMottaker
from ...schemas import ApiModel, JournalpostOut, KorrespondansepartOut
from ...store import forsendelser
from ..deps import IDEMPOTENCY_KEY_HEADER, Reader, Writer, ctx_of, db_of, journalpost_view

router = APIRouter(tags=["journal"])


class ForsendelseOut(ApiModel):
    """One recipient's letter in one dispatch. `reason` is for a person and never holds personal data."""

    korrespondansepart: UUID = Field(description="The recipient's systemID")
    dispatch_id: UUID = Field(alias="dispatchID", description="The dispatch (forsendelse) the letter went in")
    state: str = Field(description="requested, waiting, accepted, delivered or rejected")
    reason_code: str | None = Field(default=None, description="Why it waits or was refused, e.g. no-valid-address")
    reason: str | None = None
    requested_at: Instant
    changed_at: Instant


class EkspedertJournalpost(JournalpostOut):
    """The journalpost as the caller may see it, and where sending stands for each recipient."""

    forsendelser: list[ForsendelseOut] = Field(default_factory=list)


def _out(letter: ForsendelseMottaker) -> ForsendelseOut:
    return ForsendelseOut(korrespondansepart=letter.korrespondansepart_id, dispatch_id=letter.dispatch_id,
                          state=letter.state, reason_code=letter.reason_code, reason=letter.reason,
                          requested_at=letter.requested_at, changed_at=letter.changed_at)


async def _answer(session: AsyncSession, caller: Caller, journalpost_id: UUID, letters: list[ForsendelseMottaker], *,
                  answer: bool = False) -> EkspedertJournalpost:
    view = await journalpost_view(session, caller, journalpost_id, answer=answer)
    return EkspedertJournalpost(**dict(view), forsendelser=[_out(letter) for letter in letters])


@router.post("/journalposter/{journalpost_id}/ekspedere", status_code=202, response_model=EkspedertJournalpost,
             openapi_extra=IDEMPOTENCY_KEY_HEADER)
async def ekspedere(journalpost_id: UUID, request: Request, response: Response, caller: Writer,
                    dokumentobjekt: Annotated[list[UUID] | None, Query()] = None) -> EkspedertJournalpost:
    """Send to each external recipient not yet sent to; a repeat (or a repeat of the key) sends nothing new."""
    chosen = dokumentobjekt or []
    key = idempotency.requested(request.headers.get(idempotency.HEADER), caller, lambda: idempotency.fingerprint(
        f"POST /journalposter/{journalpost_id}/ekspedere", {"dokumentobjekt": sorted(str(d) for d in chosen)}))

    async def sending(session: AsyncSession) -> tuple[EkspedertJournalpost, UUID]:
        letters = await send.ekspedere(session, ctx=ctx_of(request), caller=caller,
                                       journalpost_id=journalpost_id, dokumentobjekt_ids=chosen)
        return await _answer(session, caller, journalpost_id, letters, answer=True), journalpost_id

    result = await idempotency.create_once(db_of(request), key, 202, sending)
    if isinstance(result, idempotency.Replayed):
        response.status_code = result.status_code
        async with read_session(db_of(request)) as session:
            result = await _answer(session, caller, journalpost_id,
                                   await forsendelser.newest_per_recipient(session, journalpost_id))
    return result


@router.get("/journalposter/{journalpost_id}/forsendelser", response_model=list[ForsendelseOut])
async def list_forsendelser(journalpost_id: UUID, session: ReadSessionDep, caller: Reader) -> list[ForsendelseOut]:
    """Every letter of the journalpost, oldest first: state and reason per recipient and dispatch."""
    await journalpost_view(session, caller, journalpost_id)  # the same read check as the record
    return [_out(letter) for letter in await forsendelser.letters_of(session, journalpost_id)]


@router.patch("/journalposter/{journalpost_id}/korrespondanseparter/{part_id}", response_model=KorrespondansepartOut)
async def correct_korrespondansepart(journalpost_id: UUID, part_id: UUID, request: Request, session: SessionDep,
                                     response: Response, caller: Writer) -> KorrespondansepartOut:
    """JSON merge-patch of a recipient's name, numbers and address; If-Match with the journalpost's ETag."""
    if_match = request.headers.get("if-match")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    mottaker.KorrespondansepartPatch, mottaker.IMMUTABLE)
    journalpost, saksmappe, part = await mottaker.correct_korrespondansepart(
        session, caller=caller, journalpost_id=journalpost_id, part_id=part_id,
        patch=patch, if_match=if_match)
    response.headers["ETag"] = corrections.etag(journalpost)
    full = await visibility.may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=True)
    return visibility.korrespondansepart_out(part, visibility.journalpost_codes(journalpost, saksmappe, today_in_oslo()),
                                             masked=not full)
