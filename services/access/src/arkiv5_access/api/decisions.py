"""The decision API (policy.decide for other systems); the sporingslogg is in api/audit.py."""

from __future__ import annotations

from fastapi import APIRouter

from .. import schemas
from ..domain import service
from .deps import DeciderDep, SessionDep

router = APIRouter(tags=["decisions"])


@router.post("/decisions", summary="May this person do this action to this record on this date? (policy.decide)")
async def decide(
    body: schemas.DecisionRequest, session: SessionDep, who: DeciderDep
) -> schemas.DecisionRead:
    decision, day = await service.decision(session, body=body)
    return schemas.DecisionRead(**decision.model_dump(), at=day)
