"""Local passwords: the arkivleder's one-time password and unlock; the person's own change."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .. import schemas
from ..domain import passwords
from .deps import ApproverDep, PasswordRulesDep, SessionDep, actor
from .tokens import NO_STORE

router = APIRouter(tags=["passwords"])


def _state(account: passwords.Account) -> schemas.AccountState:
    return schemas.AccountState(account_id=account.id, username=account.username,
                                must_change_password=account.must_change_password,
                                failed_logins=account.failed_logins, is_locked=account.locked_at is not None)


@router.post("/persons/{person_id}/password", status_code=201,
             summary="Give a person a one-time password for the local account (arkivleder; shown once)",
             response_model=schemas.OneTimePasswordRead)
async def set_one_time_password(
    person_id: UUID, body: schemas.OneTimePasswordCreate, session: SessionDep, who: ApproverDep
) -> JSONResponse:
    account, one_time = await passwords.set_one_time(session, actor=await actor(session, who), person_id=person_id,
                                                     username=body.username)
    assert account.username is not None
    read = schemas.OneTimePasswordRead(account_id=account.id, username=account.username, one_time_password=one_time)
    return JSONResponse(read.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.post("/persons/{person_id}/unlock", summary="Unlock a local account locked after failed sign-ins (arkivleder)")
async def unlock(person_id: UUID, session: SessionDep, who: ApproverDep) -> schemas.AccountState:
    return _state(await passwords.unlock(session, actor=await actor(session, who), person_id=person_id))


@router.post("/password-change", summary="A person sets their own password with the current (or one-time) one; "
             "no token needed")
async def change_password(
    body: schemas.PasswordChange, session: SessionDep, rules: PasswordRulesDep
) -> schemas.AccountState:
    account = await passwords.change(session, username=body.username, password=body.password,
                                     new_password=body.new_password, rules=rules)
    return _state(account)
