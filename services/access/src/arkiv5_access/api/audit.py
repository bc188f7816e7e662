"""The sporingslogg: services post entries, the archive service lists them, the arkivleder
searches the reads of screened content per person and per object."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from .. import schemas
from ..domain import audit, service
from .deps import AuditReaderDep, AuditWriterDep, ReadSessionDep, SessionDep

router = APIRouter(tags=["sporingslogg"])


@router.post("/audit", status_code=201, summary="Post a sporingslogg entry (services, e.g. a denied screened read)")
async def post_audit(
    body: schemas.AuditCreate, session: SessionDep, who: AuditWriterDep
) -> schemas.AuditRead:
    if not who.is_service:
        raise service.Forbidden("Only services post audit entries.")
    service_name = who.claims.client_id or "unknown"
    entry = await audit.record(session, service=service_name[:40], **body.model_dump())
    return schemas.AuditRead.model_validate(entry)


@router.get("/audit", summary="List the sporingslogg, newest first")
async def list_audit(
    session: ReadSessionDep, who: AuditReaderDep,
    actor_id: UUID | None = None, subject_id: UUID | None = None, object_id: UUID | None = None,
    action: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z][a-z0-9.-]*$")] = None,
    outcome: Annotated[str | None, Query(pattern="^(allowed|denied|failed)$")] = None,
    since: Annotated[schemas.Moment | None, Query()] = None, until: Annotated[schemas.Moment | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[schemas.AuditRead]:
    rows = await audit.entries(session, actor_id=actor_id, subject_id=subject_id, object_id=object_id, action=action,
                               outcome=outcome, since=since, until=until, limit=limit, offset=offset)
    return [schemas.AuditRead.model_validate(r) for r in rows]


@router.get("/sporingslogg", summary="Reads of screened content, per person and/or per object (the arkivleder)")
async def sporingslogg(
    session: ReadSessionDep, who: AuditReaderDep,
    person: Annotated[UUID | None, Query(description="The reader's person id")] = None,
    objekt: Annotated[UUID | None, Query(description="A saksmappe (with its journalposts) or a journalpost")] = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=1000)] = 100,
    skip: Annotated[int, Query(alias="$skip", ge=0, le=1_000_000)] = 0,
) -> schemas.SporingsloggPage:
    audit.require_arkivleder(who.claims.roles)
    rows, total = await audit.screened_reads(session, person_id=person, object_id=objekt, limit=top, offset=skip)
    return schemas.SporingsloggPage(count=total, results=[schemas.SporingRead.model_validate(r) for r in rows])
