"""Directory, rights, change requests, authorisations and their review, history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from arkiv5_contracts import scopes
from arkiv5_kit.clock import SYSTEM_CLOCK as clock

from .. import schemas
from ..domain import directory, groups, service, units
from .deps import (
    AdminDep,
    AnyoneDep,
    ApproverDep,
    OutboxDep,
    ReaderDep,
    ReadSessionDep,
    RequesterDep,
    SessionDep,
    actor,
)

router = APIRouter(tags=["rights"])


@router.get("/roles", summary="The roles of seed 004")
async def roles() -> list[str]:
    return [role.value for role in service.Role]


@router.get("/me", summary="The caller's own rights today")
async def me(session: ReadSessionDep, who: AnyoneDep) -> schemas.RightsRead:
    return await service.rights_on(session, person_id=who.subject_id, day=clock.today())


@router.get("/units", summary="Administrative units (a tree by parent_id)")
async def list_units(session: ReadSessionDep, who: ReaderDep) -> list[schemas.UnitRead]:
    return [schemas.UnitRead.model_validate(u) for u in await service.list_units(session)]


@router.post("/units", status_code=201, summary="Create an administrative unit")
async def create_unit(body: schemas.UnitCreate, session: SessionDep, outbox: OutboxDep, who: AdminDep) -> schemas.UnitRead:
    unit = await service.create_unit(session, outbox=outbox, actor=await actor(session, who), body=body)
    return schemas.UnitRead.model_validate(unit)


@router.post("/units/{unit_id}/rename", summary="Rename a unit (history kept; publishes UnitChanged)")
async def rename_unit(
    unit_id: UUID, body: schemas.UnitRename, session: SessionDep, outbox: OutboxDep, who: AdminDep
) -> schemas.UnitRead:
    unit = await units.rename(session, outbox, actor=await actor(session, who), unit_id=unit_id, name=body.name)
    return schemas.UnitRead.model_validate(unit)


@router.post("/units/{unit_id}/move", summary="Move a unit below another parent (leaders' unit trees follow)")
async def move_unit(
    unit_id: UUID, body: schemas.UnitMove, session: SessionDep, outbox: OutboxDep, who: AdminDep
) -> schemas.UnitRead:
    unit = await units.move(session, outbox, actor=await actor(session, who), unit_id=unit_id,
                            parent_id=body.parent_id)
    return schemas.UnitRead.model_validate(unit)


@router.post("/units/{unit_id}/end", summary="End a unit: its last day (units below it end or move first)")
async def end_unit(
    unit_id: UUID, body: schemas.UnitEnd, session: SessionDep, outbox: OutboxDep, who: AdminDep
) -> schemas.UnitRead:
    unit = await units.end(session, outbox, actor=await actor(session, who), unit_id=unit_id,
                           valid_to=body.valid_to)
    return schemas.UnitRead.model_validate(unit)


@router.get("/units/{unit_id}/history", summary="Every change of a unit, oldest first, with who made it")
async def unit_history(unit_id: UUID, session: ReadSessionDep, who: ReaderDep) -> list[schemas.UnitChangeRead]:
    return [schemas.UnitChangeRead.model_validate(c) for c in await units.history(session, unit_id=unit_id)]


@router.get("/access-codes", summary="Tilgangsrestriksjon codes: the Noark list and the archive's own")
async def list_access_codes(session: ReadSessionDep, who: ReaderDep) -> list[schemas.AccessCodeRead]:
    return [schemas.AccessCodeRead.model_validate(c) for c in await service.list_access_codes(session)]


@router.post("/access-codes", status_code=201, summary="Add a local access code (arkivleder)")
async def create_access_code(body: schemas.AccessCodeCreate, session: SessionDep, outbox: OutboxDep,
                             who: ApproverDep) -> schemas.AccessCodeRead:
    code = await service.create_access_code(session, outbox=outbox, actor=await actor(session, who), body=body)
    return schemas.AccessCodeRead.model_validate(code)


@router.get("/access-codes/{code}/history",
            summary="Who was cleared for this code, when, by whom, on whose request (within the caller's directory)")
async def access_code_history(
    code: Annotated[str, Path(max_length=20, pattern=schemas.CODE_PATTERN)], session: ReadSessionDep, who: ReaderDep) -> list[schemas.HistoryEntry]:
    scope = await directory.scope_of(session, await actor(session, who))
    return await service.history(session, access_code=code, scope=scope)


@router.get("/groups", summary="Access groups, standing and ad hoc")
async def list_groups(session: ReadSessionDep, who: ReaderDep) -> list[schemas.GroupRead]:
    return [schemas.GroupRead.model_validate(g) for g in await service.list_groups(session)]


@router.post("/groups", status_code=201, summary="Create an access group (ad hoc: tied to one saksmappe or journalpost)")
async def create_group(
    body: schemas.GroupCreate, session: SessionDep, outbox: OutboxDep,
    who: AnyoneDep,
) -> schemas.GroupRead:
    if not (who.claims.has_scopes(scopes.ACCESS_GROUPS_WRITE) or who.claims.has_scopes(scopes.ACCESS_RIGHTS_ADMIN)):
        raise service.Forbidden("This call needs the scope access.groups.write or access.rights.admin.")
    group = await service.create_group(session, outbox=outbox, actor=await actor(session, who),
                                       is_service=who.is_service and who.claims.has_scopes(scopes.ACCESS_GROUPS_WRITE),
                                       body=body)
    return schemas.GroupRead.model_validate(group)


@router.get("/groups/{group_id}/members",
            summary="Every membership of a group with its dates (read scope, or the ad hoc group's creator)")
async def group_members(group_id: UUID, session: ReadSessionDep, who: AnyoneDep) -> list[schemas.HistoryEntry]:
    held = await groups.members(session, actor=await actor(session, who), group_id=group_id,
                                may_read_all=who.claims.has_scopes(scopes.ACCESS_RIGHTS_READ))
    return await service.history_entries(session, held)


@router.post("/groups/{group_id}/members", status_code=201,
             summary="Add a member (arkivleder, or the ad hoc group's creator)")
async def add_group_member(
    group_id: UUID, body: schemas.GroupMemberAdd, session: SessionDep, outbox: OutboxDep, who: AnyoneDep
) -> schemas.HistoryEntry:
    held = await groups.add_member(session, outbox, actor=await actor(session, who), group_id=group_id,
                                   person_id=body.person_id, valid_from=body.valid_from)
    [entry] = await service.history_entries(session, [held])
    return entry


@router.post("/groups/{group_id}/members/{person_id}/end",
             summary="End a membership (arkivleder, or the ad hoc group's creator); default: it stops today")
async def end_group_member(
    group_id: UUID, person_id: UUID, body: schemas.GroupMemberEnd, session: SessionDep, outbox: OutboxDep,
    who: AnyoneDep,
) -> list[schemas.HistoryEntry]:
    await groups.remove_member(session, outbox, actor=await actor(session, who), group_id=group_id,
                               person_id=person_id, last_day=body.last_day)
    return await service.history_entries(
        session, [h for h in await groups.members(session, actor=await actor(session, who), group_id=group_id,
                                                  may_read_all=True) if h.entry.person_id == person_id])


@router.post("/clients", status_code=201, summary="Register a system client (the secret is shown once)")
async def create_client(body: schemas.ClientCreate, session: SessionDep, outbox: OutboxDep, who: AdminDep) -> schemas.ClientCreated:
    account, secret = await service.create_client(session, outbox=outbox, actor=await actor(session, who), body=body)
    assert account.client_id is not None
    return schemas.ClientCreated(account_id=account.id, client_id=account.client_id, client_secret=secret)


@router.post("/accounts/{account_id}/disable", summary="Disable an account from a date (publishes AccountDisabled)")
async def disable_account(
    account_id: UUID, body: schemas.AccountDisable, session: SessionDep, outbox: OutboxDep, who: AdminDep
) -> dict[str, str]:
    await service.disable_account(session, outbox=outbox, actor=await actor(session, who), account_id=account_id,
                                  disabled_from=body.disabled_from)
    return {"account_id": str(account_id), "disabled_from": body.disabled_from.isoformat()}


@router.get("/persons", summary="Persons the caller may see: all (arkivleder, systemansvarlig), a leader's unit tree, "
            "or oneself")
async def list_persons(session: ReadSessionDep, who: ReaderDep) -> list[schemas.PersonRead]:
    scope = await directory.scope_of(session, await actor(session, who))
    return [schemas.PersonRead.model_validate(p) for p in await service.list_persons(session, scope=scope)]


@router.get("/persons/{person_id}/rights", summary="A person's (or client's) rights on a date (within the caller's directory)")
async def person_rights(
    person_id: UUID, session: ReadSessionDep, who: ReaderDep, at: Annotated[schemas.Day | None, Query()] = None
) -> schemas.RightsRead:
    scope = await directory.scope_of(session, await actor(session, who))
    return await service.rights_on(session, person_id=person_id, day=at or clock.today(), scope=scope)


@router.get("/persons/{person_id}/history",
            summary="Every right the person held, when, by whom, on whose request (within the caller's directory)")
async def person_history(person_id: UUID, session: ReadSessionDep, who: ReaderDep) -> list[schemas.HistoryEntry]:
    scope = await directory.scope_of(session, await actor(session, who))
    return await service.history(session, person_id=person_id, scope=scope)


@router.post("/persons/{person_id}/authorisations", status_code=201,
             summary="Authorise a case handler directly, within the granter's own codes and groups")
async def authorise(
    person_id: UUID, body: schemas.AuthorisationCreate, session: SessionDep, outbox: OutboxDep, who: RequesterDep
) -> schemas.AuthorisationRead:
    return await service.authorise(session, outbox=outbox, actor=await actor(session, who), person_id=person_id,
                                   body=body)


@router.post("/change-requests", status_code=201, summary="A leader's written request: new user, change or leaver")
async def submit(body: schemas.ChangeRequestCreate, session: SessionDep, who: RequesterDep) -> schemas.ChangeRequestRead:
    return await service.submit_change_request(session, actor=await actor(session, who), body=body)


@router.get("/change-requests", summary="Change requests, optionally by status")
async def list_requests(
    session: ReadSessionDep, who: ReaderDep,
    status: Annotated[str | None, Query(pattern="^(submitted|approved|rejected)$")] = None,
) -> list[schemas.ChangeRequestRead]:
    return await service.list_change_requests(session, status=status)


@router.get("/change-requests/{request_id}", summary="One change request and its decision")
async def get_request(request_id: UUID, session: ReadSessionDep, who: ReaderDep) -> schemas.ChangeRequestRead:
    return await service.get_change_request(session, request_id=request_id)


@router.post("/change-requests/{request_id}/decision", summary="The arkivleder approves or rejects")
async def decide_request(
    request_id: UUID, body: schemas.ChangeRequestDecide, session: SessionDep, outbox: OutboxDep, who: ApproverDep
) -> schemas.ChangeRequestRead:
    return await service.decide_change_request(session, outbox=outbox, actor=await actor(session, who),
                                               request_id=request_id, body=body)


@router.get("/reviews", summary="The arkivleder's review list: leaders' direct authorisations")
async def reviews(
    session: ReadSessionDep, who: ApproverDep, pending: Annotated[bool, Query()] = True
) -> list[schemas.AuthorisationRead]:
    return await service.review_list(session, pending_only=pending)


@router.post("/reviews/{authorisation_id}", summary="Accept or revoke a leader's direct authorisation")
async def review(
    authorisation_id: UUID, body: schemas.ReviewCreate, session: SessionDep, outbox: OutboxDep, who: ApproverDep
) -> schemas.AuthorisationRead:
    return await service.review(session, outbox=outbox, actor=await actor(session, who),
                                authorisation_id=authorisation_id, body=body)
