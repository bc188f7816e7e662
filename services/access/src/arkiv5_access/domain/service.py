"""Rights management as seed 004 §1–2 prescribes: the directory, written change requests
and their approval, leaders' direct authorisations and their review, history, decisions.

Every function is keyword-only with an explicit session and never commits; the request
boundary does. Every grant, change, approval and refusal is written to the sporingslogg.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.events.access import AccessCodeChanged
from arkiv5_contracts.policy import Action, Decision, Grant, Principal, Resource, Role, decide
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from arkiv5_kit.outbox import Outbox

from .. import schemas
from ..models import (
    AccessCode,
    AccessGroup,
    Account,
    Authorisation,
    AuthorisationReview,
    ChangeRequest,
    ChangeRequestDecision,
    Person,
    Unit,
)
from . import audit, directory, rights, units
from .secrets import hash_secret


class PolicyRefused(Forbidden):
    slug, title = "policy-refused", "Refused by the authorisation policy"


@dataclass(frozen=True)
class Actor:
    """The caller: a person (or client account) with their rights today."""

    subject_id: UUID
    principal: Principal

    def has(self, *roles: Role) -> bool:
        return not self.principal.roles.isdisjoint(roles)


def _require(actor: Actor, *roles: Role) -> None:
    if not actor.has(*roles):
        raise Forbidden(f"This needs the role {' or '.join(r.value for r in roles)}.")


# --- directory -------------------------------------------------------------------------------


async def create_unit(session: AsyncSession, *, outbox: Outbox, actor: Actor, body: schemas.UnitCreate) -> Unit:
    _require(actor, Role.ARKIVLEDER, Role.SYSTEMANSVARLIG)
    if body.parent_id is not None and await session.get(Unit, body.parent_id) is None:
        raise Unprocessable("The parent unit does not exist.")
    if await session.scalar(select(col(Unit.id)).where(col(Unit.code) == body.code)) is not None:
        raise Conflict("A unit with this code exists.")
    unit = Unit(**body.model_dump(), created_at=clock.now())
    session.add(unit)
    await session.flush()
    await units.created(session, outbox, unit=unit, by=actor.subject_id)
    return unit


async def list_units(session: AsyncSession) -> list[Unit]:
    return list((await session.scalars(select(Unit).order_by(col(Unit.code)))).all())


async def create_access_code(session: AsyncSession, *, outbox: Outbox, actor: Actor,
                             body: schemas.AccessCodeCreate) -> AccessCode:
    """A local code; published (AccessCodeChanged) so the journal accepts it on a skjerming."""
    _require(actor, Role.ARKIVLEDER)
    if await session.get(AccessCode, body.code) is not None:
        raise Conflict("This access code exists.")
    code = AccessCode(code=body.code, name=body.name, is_local=True, created_at=clock.now())
    session.add(code)
    await session.flush()
    await outbox.add(session, AccessCodeChanged(code=code.code, is_local=True))
    await audit.record(session, action="access-code.created", outcome="allowed", actor_id=actor.subject_id,
                       access_code=code.code)
    return code


async def list_access_codes(session: AsyncSession) -> list[AccessCode]:
    return list((await session.scalars(select(AccessCode).order_by(col(AccessCode.is_local), col(AccessCode.code)))).all())


async def _check_references(
    session: AsyncSession, *, unit_ids: list[UUID] = (), access_codes: list[str] = (),  # type: ignore[assignment]
    group_ids: list[UUID] = (),  # type: ignore[assignment]
) -> None:
    for unit_id in set(unit_ids):
        if await session.get(Unit, unit_id) is None:
            raise Unprocessable("A unit named in the request does not exist.")
    for code in set(access_codes):
        if await session.get(AccessCode, code) is None:
            raise Unprocessable("An access code named in the request does not exist.")
    for group_id in set(group_ids):
        if await session.get(AccessGroup, group_id) is None:
            raise Unprocessable("An access group named in the request does not exist.")


async def _person(session: AsyncSession, person_id: UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    return person


async def _named_person(session: AsyncSession, person_id: UUID) -> Person:
    """A person named in a request body: unknown is 422 (the URL itself exists)."""
    person = await session.get(Person, person_id)
    if person is None:
        raise Unprocessable("A person named in the request does not exist.")
    return person


async def _subject_exists(session: AsyncSession, subject_id: UUID) -> bool:
    """A person, or a client account (whose id is its subject)."""
    if await session.get(Person, subject_id) is not None:
        return True
    return await session.get(Account, subject_id) is not None


async def create_group(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, is_service: bool, body: schemas.GroupCreate
) -> AccessGroup:
    """Standing groups: the arkivleder. Ad hoc groups: the archive service, or our journal
    on a case handler's behalf (it enforces `create-ad-hoc-group` on the record it holds)."""
    if body.is_ad_hoc:
        if not (is_service or actor.has(Role.ARKIVLEDER, Role.ARKIVTJENESTE)):
            raise Forbidden("Ad hoc groups are created through the journal, on the record they belong to.")
    else:
        _require(actor, Role.ARKIVLEDER)
    members = sorted(set(body.member_person_ids), key=str)  # one lock order for everyone: no deadlock
    for person_id in members:
        await _named_person(session, person_id)
        await rights.lock_subject(session, person_id)
    group = AccessGroup(**body.model_dump(exclude={"member_person_ids"}), created_by=actor.subject_id, created_at=clock.now())
    session.add(group)
    await session.flush()
    by = rights.Granter(granted_by=actor.subject_id, source="admin")
    for person_id in members:
        await rights.add_rights(session, person_id=person_id, pairs={(rights.GROUP, str(group.id))},
                                valid_from=body.valid_from, valid_to=body.valid_to, by=by)
        await rights.publish_rights(session, outbox, person_id=person_id)
    await rights.publish_group(session, outbox, group=group, day=clock.today())
    await audit.record(session, action="group.created", outcome="allowed", actor_id=actor.subject_id,
                       object_type="group", object_id=group.id,
                       details={"is_ad_hoc": group.is_ad_hoc, "members": len(body.member_person_ids)})
    return group


async def list_groups(session: AsyncSession) -> list[AccessGroup]:
    return list((await session.scalars(select(AccessGroup).order_by(col(AccessGroup.created_at)))).all())


async def create_client(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, body: schemas.ClientCreate, secret: str | None = None
) -> tuple[Account, str]:
    """A system client (fagsystem) or one of our services; the secret is returned once."""
    _require(actor, Role.ARKIVLEDER, Role.SYSTEMANSVARLIG)
    await _check_references(session, access_codes=body.access_codes)
    if await session.scalar(select(col(Account.id)).where(col(Account.client_id) == body.client_id)) is not None:
        raise Conflict("A client with this client_id exists.")
    secret = secret or secrets.token_urlsafe(32)
    account = Account(kind="client", client_id=body.client_id, secret_hash=hash_secret(secret),
                      allowed_scopes=sorted(set(body.allowed_scopes)), created_at=clock.now())
    session.add(account)
    await session.flush()
    pairs = rights.desired_pairs(roles=[body.role.value], access_codes=body.access_codes)
    await rights.add_rights(session, person_id=account.id, pairs=pairs, valid_from=body.valid_from, valid_to=None,
                            by=rights.Granter(granted_by=actor.subject_id, source="admin"))
    await rights.publish_rights(session, outbox, person_id=account.id)
    await audit.record(session, action="client.created", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=account.id, details={"role": body.role.value, "access_codes": body.access_codes})
    return account, secret


async def disable_account(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, account_id: UUID, disabled_from: date
) -> Account:
    _require(actor, Role.ARKIVLEDER, Role.SYSTEMANSVARLIG)
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    await rights.disable_account(session, outbox, account=account, disabled_from=disabled_from, by=actor.subject_id)
    await audit.record(session, action="account.disabled", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=account.person_id or account.id, details={"disabled_from": disabled_from.isoformat()})
    return account


async def list_persons(session: AsyncSession, *, scope: directory.Scope = directory.EVERYONE) -> list[Person]:
    query = select(Person).order_by(col(Person.created_at))
    if not scope.everyone:
        query = query.where(col(Person.id).in_(scope.person_ids))
    return list((await session.scalars(query)).all())


# --- rights, history -------------------------------------------------------------------------


async def rights_on(
    session: AsyncSession, *, person_id: UUID, day: date, scope: directory.Scope = directory.EVERYONE
) -> schemas.RightsRead:
    if not scope.allows(person_id) or not await _subject_exists(session, person_id):
        raise NotFound("No such person or client account.")
    principal = await rights.principal_at(session, person_id, day)
    return schemas.RightsRead(
        person_id=person_id, at=day, valid_from=principal.valid_from, valid_to=principal.valid_to,
        roles=sorted(principal.roles, key=lambda r: r.value), unit_id=principal.unit_id,
        led_unit_ids=sorted(principal.led_unit_ids, key=str), access_codes=sorted(principal.access_codes),
        group_ids=sorted(principal.group_ids, key=str), is_disabled=principal.is_disabled,
    )


async def history(
    session: AsyncSession, *, person_id: UUID | None = None, access_code: str | None = None,
    scope: directory.Scope = directory.EVERYONE,
) -> list[schemas.HistoryEntry]:
    """Who had what, when, granted by whom on whose request (seed 004 §1), of the persons in `scope`."""
    if access_code is not None:
        if await session.get(AccessCode, access_code) is None:
            raise NotFound("No such access code.")
        held = [h for h in await rights.held_rights(session, kind=rights.ACCESS_CODE, value=access_code)
                if scope.allows(h.entry.person_id)]
    else:
        assert person_id is not None
        if not scope.allows(person_id) or not await _subject_exists(session, person_id):
            raise NotFound("No such person or client account.")
        held = await rights.held_rights(session, person_id=person_id)
    return await history_entries(session, held)


async def history_entries(session: AsyncSession, held: list[rights.HeldRight]) -> list[schemas.HistoryEntry]:
    request_ids = {h.entry.change_request_id for h in held if h.entry.change_request_id}
    requested_by: dict[UUID, UUID] = {}
    if request_ids:
        rows = await session.execute(
            select(col(ChangeRequest.id), col(ChangeRequest.submitted_by)).where(col(ChangeRequest.id).in_(request_ids))
        )
        requested_by = {request_id: submitter for request_id, submitter in rows.all()}
    return [
        schemas.HistoryEntry(
            entry_id=h.entry.id, person_id=h.entry.person_id, kind=h.kind, value=h.value, valid_from=h.valid_from,
            valid_to=h.valid_to, was_ever_held=h.ever_held, granted_by=h.entry.granted_by, source=h.entry.source,
            change_request_id=h.entry.change_request_id,
            requested_by=requested_by.get(h.entry.change_request_id) if h.entry.change_request_id else None,
            authorisation_id=h.entry.authorisation_id, recorded_at=h.entry.created_at,
            ends=[schemas.HistoryEnd(ends_on=e.ends_on, ended_by=e.ended_by, change_request_id=e.change_request_id,
                                     reason=e.reason, recorded_at=e.created_at) for e in h.ends],
        )
        for h in held
    ]


# --- change requests (seed 004 §1) -----------------------------------------------------------


async def _decision_of(session: AsyncSession, request_id: UUID) -> ChangeRequestDecision | None:
    return await session.scalar(
        select(ChangeRequestDecision).where(col(ChangeRequestDecision.change_request_id) == request_id)
    )


def _request_read(request: ChangeRequest, decision: ChangeRequestDecision | None) -> schemas.ChangeRequestRead:
    return schemas.ChangeRequestRead(
        id=request.id, kind=schemas.ChangeKind(request.kind), person_id=request.person_id,
        full_name=request.full_name, job_title=request.job_title, effective_date=request.effective_date,
        valid_to=request.valid_to, unit_id=request.unit_id, roles=request.roles,
        led_unit_ids=[UUID(u) for u in request.led_unit_ids], access_codes=request.access_codes,
        group_ids=[UUID(g) for g in request.group_ids], submitted_by=request.submitted_by,
        submitted_at=request.submitted_at, status=decision.outcome if decision else "submitted",
        decided_by=decision.decided_by if decision else None, decided_at=decision.decided_at if decision else None,
        note=decision.note if decision else None,
    )


def _in_unit_tree(actor: Actor, unit_id: UUID | None) -> bool:
    p = actor.principal
    return unit_id is not None and (unit_id == p.unit_id or unit_id in p.led_unit_ids)


async def submit_change_request(
    session: AsyncSession, *, actor: Actor, body: schemas.ChangeRequestCreate
) -> schemas.ChangeRequestRead:
    """A leader's written request for a person in the leader's unit tree (or the arkivleder's)."""
    _require(actor, Role.LEDER, Role.ARKIVLEDER)
    await _check_references(session, unit_ids=[*([body.unit_id] if body.unit_id else []), *body.led_unit_ids],
                            access_codes=body.access_codes, group_ids=body.group_ids)
    if body.person_id is not None:
        await _named_person(session, body.person_id)
    if body.username is not None and await session.scalar(
        select(col(Account.id)).where(col(Account.username) == body.username)
    ) is not None:
        raise Conflict("This username is taken.")
    if not actor.has(Role.ARKIVLEDER):
        unit_id = body.unit_id
        if body.kind is schemas.ChangeKind.LEAVER and body.person_id is not None:
            unit_id = (await rights.principal_at(session, body.person_id, clock.today())).unit_id
        if not _in_unit_tree(actor, unit_id):
            audit.record_denial(session, action="change-request.submitted", outcome="denied",
                               actor_id=actor.subject_id, subject_id=body.person_id, rule="leader.not-subordinate")
            raise PolicyRefused("Leaders submit requests only for persons in their own unit and the units below it.")
    request = ChangeRequest(
        kind=body.kind.value, person_id=body.person_id, full_name=body.full_name, job_title=body.job_title,
        effective_date=body.effective_date, valid_to=body.valid_to, unit_id=body.unit_id,
        roles=sorted({r.value for r in body.roles}), led_unit_ids=sorted({str(u) for u in body.led_unit_ids}),
        access_codes=sorted(set(body.access_codes)), group_ids=sorted({str(g) for g in body.group_ids}),
        username=body.username, submitted_by=actor.subject_id, submitted_at=clock.now(),
    )
    session.add(request)
    await session.flush()
    await audit.record(session, action="change-request.submitted", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=body.person_id, object_type="change-request", object_id=request.id,
                       details={"kind": request.kind, "effective_date": request.effective_date.isoformat()})
    return _request_read(request, None)


async def list_change_requests(session: AsyncSession, *, status: str | None = None) -> list[schemas.ChangeRequestRead]:
    requests = (await session.scalars(select(ChangeRequest).order_by(col(ChangeRequest.submitted_at)))).all()
    decisions = {d.change_request_id: d for d in (await session.scalars(select(ChangeRequestDecision))).all()}
    result = [_request_read(r, decisions.get(r.id)) for r in requests]
    return [r for r in result if status is None or r.status == status]


async def get_change_request(session: AsyncSession, *, request_id: UUID) -> schemas.ChangeRequestRead:
    request = await session.get(ChangeRequest, request_id)
    if request is None:
        raise NotFound("No such change request.")
    return _request_read(request, await _decision_of(session, request_id))


async def decide_change_request(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, request_id: UUID, body: schemas.ChangeRequestDecide,
    initial_password_hash: str | None = None,
) -> schemas.ChangeRequestRead:
    """The arkivleder approves (the rights are recorded with their dates and published) or rejects.

    The request row is locked first, so of two concurrent decisions the second waits and
    then finds the first one's decision (409), and the person's row next (see
    `rights.lock_subject`), always in this order.
    """
    request = await session.get(ChangeRequest, request_id, with_for_update={"key_share": True})
    if request is None:
        raise NotFound("No such change request.")
    if not actor.has(Role.ARKIVLEDER):
        audit.record_denial(session, action="change-request.decided", outcome="denied", actor_id=actor.subject_id,
                           object_type="change-request", object_id=request.id, rule="arkivleder-only")
        raise Forbidden("Only the arkivleder approves or rejects change requests.")
    if await _decision_of(session, request_id) is not None:
        raise Conflict("This change request has already been decided.")
    if request.submitted_by == actor.subject_id and request.person_id == actor.subject_id:
        raise PolicyRefused("Nobody may authorise themselves.")
    if body.outcome == "approved" and request.kind == "new-user" and request.username and await session.scalar(
        select(col(Account.id)).where(col(Account.username) == request.username)
    ) is not None:
        raise Conflict("The username of this request has been taken since it was submitted; reject it and submit "
                       "a new one.")
    decision = ChangeRequestDecision(change_request_id=request.id, outcome=body.outcome, decided_by=actor.subject_id,
                                     note=body.note, decided_at=clock.now())
    session.add(decision)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("This change request has already been decided.") from None
    if body.outcome == "approved":
        await _carry_out(session, outbox=outbox, actor=actor, request=request, password_hash=initial_password_hash)
    await audit.record(session, action=f"change-request.{body.outcome}", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=request.person_id, object_type="change-request", object_id=request.id)
    return _request_read(request, decision)


async def _carry_out(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, request: ChangeRequest, password_hash: str | None
) -> None:
    by = rights.Granter(granted_by=actor.subject_id, source="change-request", change_request_id=request.id)
    if request.kind == "new-user":
        person = Person(full_name=request.full_name, job_title=request.job_title, created_at=clock.now())
        session.add(person)
        await session.flush()
        request.person_id = person.id  # the one update: the request learns whom it created
        if request.username:
            session.add(Account(kind="local", person_id=person.id, username=request.username,
                                secret_hash=password_hash or hash_secret(secrets.token_urlsafe(32)), created_at=clock.now()))
    assert request.person_id is not None
    await rights.lock_subject(session, request.person_id)
    person = await _person(session, request.person_id)
    person.full_name, person.job_title = request.full_name, request.job_title
    if request.kind == "leaver":
        await rights.stop_all(session, person_id=person.id, last_day=request.effective_date - timedelta(days=1), by=by)
        for account in await rights.accounts_of(session, person.id):
            await rights.disable_account(session, outbox, account=account, disabled_from=request.effective_date,
                                         by=actor.subject_id)
    else:
        desired = rights.desired_pairs(
            roles=request.roles, unit_id=request.unit_id, led_unit_ids=[UUID(u) for u in request.led_unit_ids],
            access_codes=request.access_codes, group_ids=[UUID(g) for g in request.group_ids],
        )
        await rights.replace_rights(session, person_id=person.id, desired=desired,
                                    valid_from=request.effective_date, valid_to=request.valid_to, by=by)
    await rights.publish_rights(session, outbox, person_id=person.id, change_request_id=request.id)
    for group_id in sorted(request.group_ids):
        group = await session.get(AccessGroup, UUID(group_id))
        if group is not None:
            await rights.publish_group(session, outbox, group=group, day=clock.today())


# --- direct authorisation by a leader (seed 004 §2) and its review ---------------------------


async def authorise(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, person_id: UUID, body: schemas.AuthorisationCreate
) -> schemas.AuthorisationRead:
    """Grant within the policy (`authorise`); a leader's grant is put on the arkivleder's review list."""
    await _person(session, person_id)
    await _check_references(session, access_codes=body.access_codes, group_ids=body.group_ids)
    await rights.lock_subject(session, person_id)
    grantee = await rights.principal_at(session, person_id, body.valid_from)
    if grantee.unit_id is None:
        raise Unprocessable("The person has no unit on that date; a written change request comes first.")
    grant = Grant(person_id=person_id, unit_id=grantee.unit_id, roles=frozenset(body.roles),
                  access_codes=frozenset(body.access_codes), group_ids=frozenset(body.group_ids))
    decision = decide(actor.principal, Action.AUTHORISE, None, clock.today(), grant)
    if not decision.allowed:
        audit.record_denial(session, action="rights.authorised", outcome="denied", actor_id=actor.subject_id,
                           subject_id=person_id, rule=decision.rule,
                           details={"access_codes": sorted(body.access_codes)})
        raise PolicyRefused(decision.reason, rule=decision.rule)
    needs_review = not actor.has(Role.ARKIVLEDER)
    authorisation = Authorisation(
        person_id=person_id, granted_by=actor.subject_id, needs_review=needs_review,
        roles=sorted({r.value for r in body.roles}), access_codes=sorted(set(body.access_codes)),
        group_ids=sorted({str(g) for g in body.group_ids}), valid_from=body.valid_from, valid_to=body.valid_to,
        rule=decision.rule, created_at=clock.now(),
    )
    session.add(authorisation)
    await session.flush()
    pairs = rights.desired_pairs(roles=authorisation.roles, access_codes=authorisation.access_codes,
                                 group_ids=[UUID(g) for g in authorisation.group_ids])
    by = rights.Granter(granted_by=actor.subject_id, source="direct", authorisation_id=authorisation.id)
    await rights.add_rights(session, person_id=person_id, pairs=pairs, valid_from=body.valid_from,
                            valid_to=body.valid_to, by=by)
    await rights.publish_rights(session, outbox, person_id=person_id)
    for group_id in sorted(authorisation.group_ids):
        group = await session.get(AccessGroup, UUID(group_id))
        if group is not None:
            await rights.publish_group(session, outbox, group=group, day=clock.today())
    for code in authorisation.access_codes:
        await audit.record(session, action="rights.authorised", outcome="allowed", actor_id=actor.subject_id,
                           subject_id=person_id, object_type="authorisation", object_id=authorisation.id,
                           access_code=code, rule=decision.rule)
    if not authorisation.access_codes:
        await audit.record(session, action="rights.authorised", outcome="allowed", actor_id=actor.subject_id,
                           subject_id=person_id, object_type="authorisation", object_id=authorisation.id,
                           rule=decision.rule)
    return _authorisation_read(authorisation, None)


def _authorisation_read(a: Authorisation, review: AuthorisationReview | None) -> schemas.AuthorisationRead:
    return schemas.AuthorisationRead(
        id=a.id, person_id=a.person_id, granted_by=a.granted_by, roles=a.roles, access_codes=a.access_codes,
        group_ids=[UUID(g) for g in a.group_ids], valid_from=a.valid_from, valid_to=a.valid_to, rule=a.rule,
        needs_review=a.needs_review, created_at=a.created_at,
        review_outcome=review.outcome if review else None, reviewed_by=review.reviewed_by if review else None,
        reviewed_at=review.reviewed_at if review else None,
    )


async def review_list(session: AsyncSession, *, pending_only: bool) -> list[schemas.AuthorisationRead]:
    """The arkivleder's notifications: leaders' direct authorisations, newest first."""
    authorisations = (await session.scalars(
        select(Authorisation).where(col(Authorisation.needs_review).is_(True)).order_by(col(Authorisation.created_at).desc())
    )).all()
    reviews = {r.authorisation_id: r for r in (await session.scalars(select(AuthorisationReview))).all()}
    result = [_authorisation_read(a, reviews.get(a.id)) for a in authorisations]
    return [r for r in result if not pending_only or r.review_outcome is None]


async def review(
    session: AsyncSession, *, outbox: Outbox, actor: Actor, authorisation_id: UUID, body: schemas.ReviewCreate
) -> schemas.AuthorisationRead:
    """Accept, or revoke: the authorisation's rights stop from today (or never start)."""
    _require(actor, Role.ARKIVLEDER)
    # Locked like a change request: of two concurrent reviews the second finds the first's.
    authorisation = await session.get(Authorisation, authorisation_id, with_for_update={"key_share": True})
    if authorisation is None or not authorisation.needs_review:
        raise NotFound("No such authorisation awaiting review.")
    if await session.scalar(
        select(col(AuthorisationReview.id)).where(col(AuthorisationReview.authorisation_id) == authorisation_id)
    ) is not None:
        raise Conflict("This authorisation has already been reviewed.")
    result = AuthorisationReview(authorisation_id=authorisation_id, outcome=body.outcome, reviewed_by=actor.subject_id,
                                 note=body.note, reviewed_at=clock.now())
    session.add(result)
    await session.flush()
    if body.outcome == "revoked":
        await rights.lock_subject(session, authorisation.person_id)
        held = [h for h in await rights.held_rights(session, person_id=authorisation.person_id)
                if h.entry.authorisation_id == authorisation.id]
        by = rights.Granter(granted_by=actor.subject_id, source="review-revoked")
        await rights.end_entries(session, entries=held, ends_on=clock.today() - timedelta(days=1), by=by,
                                 reason="review-revoked")
        await rights.publish_rights(session, outbox, person_id=authorisation.person_id)
    await audit.record(session, action=f"authorisation.{body.outcome}", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=authorisation.person_id, object_type="authorisation", object_id=authorisation.id)
    return _authorisation_read(authorisation, result)


# --- decisions -------------------------------------------------------------------------------


async def decision(session: AsyncSession, *, body: schemas.DecisionRequest) -> tuple[Decision, date]:
    """policy.decide for another system, with the principal from the stored rights on `at`."""
    day = body.at or clock.today()
    if not await _subject_exists(session, body.person_id):
        raise Unprocessable("person_id names no person or client account known here.")
    principal = await rights.principal_at(session, body.person_id, day)
    try:
        return decide(principal, body.action, body.resource, day, body.grant), day
    except ValueError as error:
        raise Unprocessable(str(error)) from None


async def actor_for(session: AsyncSession, *, subject_id: UUID) -> Actor:
    return Actor(subject_id=subject_id, principal=await rights.principal_at(session, subject_id, clock.today()))


__all__ = ["Actor", "PolicyRefused", "Resource"]
