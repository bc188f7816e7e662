"""The decision API (policy.decide for other systems) and the sporingslogg."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from .. import schemas
from ..domain import audit, service
from .deps import AuditReaderDep, AuditWriterDep, DeciderDep, ReadSessionDep, SessionDep

router = APIRouter(tags=["decisions and audit"])


@router.post("/decisions", summary="May this person do this action to this record on this date? (policy.decide)")
async def decide(
    body: schemas.DecisionRequest, session: SessionDep, who: DeciderDep
) -> schemas.DecisionRead:
    decision, day = await service.decision(session, body=body)
    return schemas.DecisionRead(**decision.model_dump(), at=day)


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
