"""Links between identities at trusted issuers and Arkiv5 persons (for the token exchange)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request

from arkiv5_kit.clock import as_utc

from .. import schemas
from ..domain import federation
from .deps import AdminDep, ReaderDep, ReadSessionDep, SessionDep, actor

router = APIRouter(tags=["federation"])


def _read(identity, account) -> schemas.ExternalIdentityRead:  # type: ignore[no-untyped-def]
    return schemas.ExternalIdentityRead(id=identity.id, person_id=account.person_id, account_id=account.id,
                                        issuer=identity.issuer, subject=identity.subject,
                                        created_at=as_utc(identity.created_at))


@router.post("/external-identities", status_code=201,
             summary="Link a person's identity at a trusted issuer (a new federated account)")
async def link(
    request: Request, body: schemas.ExternalIdentityCreate, session: SessionDep,
    who: AdminDep,
) -> schemas.ExternalIdentityRead:
    identity, account = await federation.link(
        session, federation=request.app.state.federation, actor=await actor(session, who), person_id=body.person_id,
        issuer=body.issuer, subject=body.subject,
    )
    return _read(identity, account)


@router.get("/external-identities", summary="Linked identities, optionally of one person")
async def list_links(
    session: ReadSessionDep, who: ReaderDep, person_id: UUID | None = None
) -> list[schemas.ExternalIdentityRead]:
    return [_read(identity, account) for identity, account in await federation.links(session, person_id=person_id)]
